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

        from jiceng.core import registry

        from . import demo, own, views

        registry.landings.register(registry.Landing(key="members.me", url=views.own_record_url))
        registry.home_sections.register(
            registry.HomeSection(
                key="members.record",
                template="members/_own_record.html",
                context=own.record_context,
                data=own.record_data,
                audience=registry.OWN,
                title=_("我的党员信息"),
                order=10,
            )
        )
        registry.nav_flags.register(registry.NavFlag(key="has_member_record", value=views.has_member_record))
        registry.demo_loaders.register(
            registry.DemoLoader(
                key="members.town",
                load=demo.load_town,
                present=demo.town_present,
                accounts=tuple(a[0] for a in demo.ACCOUNTS),
                order=10,
            )
        )
        registry.demo_loaders.register(
            registry.DemoLoader(key="members.summary", load=demo.summarize_town, order=1000)
        )
