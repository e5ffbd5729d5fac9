from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "jiceng.partners"
    label = "partners"
    verbose_name = _("共建单位")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import public
        from .compliance import register

        # agreement.project_overdue joins the compliance engine (switched off by default).
        register()
        registry.register_public_section("partners.projects", 30, public.projects_section)
        registry.register_public_section("partners.figures", 40, public.figures_section)
