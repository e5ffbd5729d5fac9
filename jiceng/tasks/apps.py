from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "jiceng.tasks"
    label = "tasks"
    verbose_name = _("任务督办")

    def ready(self) -> None:
        from jiceng.core import moves, registry

        from . import demo, selectors, services
        from .compliance import register

        # task.overdue and the open assignments it reads join the compliance engine's registry.
        register()
        from . import notices

        notices.register()
        moves.subtree_moved.connect(services.subtree_moved, dispatch_uid="tasks.subtree_moved")
        registry.home_sections.register(
            registry.HomeSection(
                key="tasks.inbox", template="tasks/_home.html", context=selectors.home_inbox, order=30
            )
        )
        registry.demo_loaders.register(
            registry.DemoLoader(key="tasks", load=demo.load, order=80, present=demo.present)
        )
