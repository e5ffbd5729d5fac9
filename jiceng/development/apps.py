from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "jiceng.development"
    label = "development"
    verbose_name = _("发展党员")

    def ready(self) -> None:
        # This app's rules and the facts they need join the compliance engine's registry.
        from .compliance import register

        register()

        from . import notices

        notices.register()

        from . import task_answers

        # A record of this app answers a task (任务督办) with no typing.
        task_answers.register()

        from jiceng.core import registry

        from . import demo, own

        registry.home_sections.register(
            registry.HomeSection(
                key="development.own",
                template="development/_own_file.html",
                context=own.file_context,
                data=own.file_data,
                audience=registry.OWN,
                title=_("我的入党进程"),
                order=30,
            )
        )
        registry.demo_loaders.register(
            registry.DemoLoader(
                key="development.pipeline",
                load=demo.load_demo,
                order=50,
                accounts=(demo.ACCOUNT, demo.APPLICANT_ACCOUNT),
            )
        )
        # development.csv (people already in the pipeline) joins the roster import (`jiceng import`).
        if apps.is_installed("jiceng.roster"):
            from .importing import register_handler

            register_handler()
