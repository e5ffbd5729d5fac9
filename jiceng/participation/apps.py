from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "jiceng.participation"
    label = "participation"
    verbose_name = _("双报到与志愿服务")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo, own, public
        from .compliance import register

        # partner.member_not_reported joins the compliance engine (switched off by default).
        register()
        registry.home_sections.register(
            registry.HomeSection(
                key="participation.own",
                template="participation/_own.html",
                context=own.own_context,
                data=own.own_data,
                audience=registry.OWN,
                title=_("我的双报到与志愿服务"),
                order=60,
            )
        )
        registry.register_public_section("participation.activities", 20, public.activities_section)
        registry.demo_loaders.register(
            registry.DemoLoader(
                key="participation", load=demo.load, order=85, present=demo.present, accounts=(demo.ACCOUNT,)
            )
        )
