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

        from . import demo, views

        registry.landings.register(registry.Landing(key="members.me", url=views.own_record_url))
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
