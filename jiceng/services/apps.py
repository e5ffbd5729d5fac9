from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "jiceng.services"
    label = "services"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo, public, views
        from .compliance import register

        # The time limits join the compliance engine's rule registry.
        register()
        registry.home_sections.register(
            registry.HomeSection(
                key="services.queue", template="services/_home.html", context=views.home_block, order=30
            )
        )
        registry.register_public_section("services.intake", 10, public.request_section)
        registry.nav_flags.register(registry.NavFlag(key="sees_requests", value=views.sees_requests))
        # A partner unit's contact holds no role in the tree: their home is the queue of their unit.
        registry.landings.register(registry.Landing(key="services.partner", url=views.partner_landing))
        # 12345 work orders join ``jiceng import`` (and the import page), recognized by their headers.
        from django.apps import apps

        if apps.is_installed("jiceng.roster"):
            from .hotline import register_handler

            register_handler()
        registry.demo_loaders.register(
            registry.DemoLoader(
                key="services.requests",
                load=demo.load_demo,
                order=60,
                present=demo.present,
                accounts=(demo.PARTNER_ACCOUNT,),
            )
        )
