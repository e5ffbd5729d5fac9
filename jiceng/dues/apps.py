from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "jiceng.dues"
    label = "dues"
    verbose_name = _("党费")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo, own
        from .compliance import register

        # The dues rules, the parameters of the amounts and the ledger facts join the engine's registry.
        register()
        from . import task_answers

        # A month whose dues are all settled answers a task (任务督办).
        task_answers.register()
        registry.home_sections.register(
            registry.HomeSection(
                key="dues.own",
                template="dues/_own.html",
                context=own.own_context,
                data=own.own_data,
                audience=registry.OWN,
                title=_("我的党费"),
                order=40,
            )
        )
        # After the members (10) and a year of meetings (60): a year of dues with a few arrears.
        registry.demo_loaders.register(
            registry.DemoLoader(key="dues", load=demo.load, order=84, present=demo.present)
        )
        # dues_base.csv joins `jiceng import` in place of the roster's placeholder.
        from .importing import register_handler

        register_handler()
        from . import signals

        # The maintained figures follow the writes that change them (figures.py).
        signals.connect()
