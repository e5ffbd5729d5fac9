from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jiceng.reports"
    label = "reports"
    verbose_name = _("合规体检")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import notices, selectors, signals  # noqa: F401  (signals: change stamps for stored findings)

        notices.register()

        registry.home_sections.register(
            registry.HomeSection(
                key="reports.due",
                template="compliance/_due.html",
                context=lambda user: {"due_blocks": selectors.due_list(user)},
                order=10,
            )
        )
