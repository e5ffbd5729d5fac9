from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"
    verbose_name = _("账号管理")

    def ready(self) -> None:
        # Roles follow posts: the receivers watch committees, posts, branches, members and imports.
        from . import signals  # noqa: F401
        from .events import register

        register()
