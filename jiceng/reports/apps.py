from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jiceng.reports"
    label = "reports"
    verbose_name = _("合规体检")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (change stamps for stored findings)
