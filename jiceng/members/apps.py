from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "jiceng.members"
    label = "members"
    verbose_name = _("党员")

    def ready(self) -> None:
        # This app's rules and the facts they need join the compliance engine's registry.
        from .compliance import register

        register()
