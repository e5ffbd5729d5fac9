from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class LifeConfig(AppConfig):
    name = "jiceng.life"
    label = "life"
    verbose_name = _("组织生活")

    def ready(self) -> None:
        # This app's rules and the facts they need join the compliance engine's registry.
        from .compliance import register

        register()

        from jiceng.core import registry

        from . import task_answers

        # A record of this app answers a task (任务督办) with no typing.
        task_answers.register()

        from . import demo, own

        # After the members (10) and the development files (50): everyone's year of meetings.
        registry.demo_loaders.register(registry.DemoLoader(key="life.history", load=demo.load_demo, order=60))

        registry.home_sections.register(
            registry.HomeSection(
                key="life.attendance",
                template="life/_own_attendance.html",
                context=own.attendance_context,
                data=own.attendance_data,
                audience=registry.OWN,
                title=_("我参加的组织生活"),
                order=20,
            )
        )
        # meetings.csv joins the roster import (`jiceng import`), in place of the roster's
        # "recognized but not yet imported" placeholder, whichever app is ready first.
        if apps.is_installed("jiceng.roster"):
            from .importing import register_handler

            register_handler()
