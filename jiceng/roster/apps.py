from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    """党员花名册: reads roster tables and hands their rows to per-table handlers.

    Other apps register handlers for their own tables (``jiceng.roster.handlers.register``) in their
    ``AppConfig.ready``; the importer, the console commands and the pages pick them up from there.
    """

    name = "jiceng.roster"
    label = "roster"
    verbose_name = _("党员花名册导入导出")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import services
        from .handlers import builtin

        builtin.register_all()
        # 导入 in the navigation for whoever may import (organization admins and secretaries alike).
        registry.nav_flags.register(registry.NavFlag(key="can_import", value=services.can_import))
