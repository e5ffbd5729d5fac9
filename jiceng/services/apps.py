from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def fill_figures_after_migrate(**kwargs: Any) -> None:
    """A database that held requests before the maintained figures existed gets them filled once, right
    after ``migrate`` (later writes keep them): otherwise every dashboard would read zeros until
    someone ran ``jiceng requests_figures --rebuild``."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from . import figures
    from .models import MonthlyFigures, ServiceRequest

    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    tables = set(connections[using].introspection.table_names())
    if not {MonthlyFigures._meta.db_table, ServiceRequest._meta.db_table} <= tables:
        return  # migrated back to before the figures
    if ServiceRequest.objects.using(using).exists() and not MonthlyFigures.objects.using(using).exists():
        figures.rebuild()


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
        post_migrate.connect(fill_figures_after_migrate, sender=self)
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
