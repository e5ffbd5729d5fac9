from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from . import access, lookups, signals  # noqa: F401  (deploy checks; path__prefix lookup; login auditing)
