from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "jiceng.consultation"
    label = "consultation"
    verbose_name = _("议事协商")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo, public, task_answers
        from .compliance import register

        # consultation.notice_short and consultation.item_overdue join the compliance engine.
        register()
        # The year's topics on the public community page, after the request form (10).
        registry.register_public_section("consultation.topics", 15, public.topics_section)
        # A topic carried to a decision answers a task (任务督办) asking for a consultation.
        task_answers.register()
        registry.demo_loaders.register(
            registry.DemoLoader(key="consultation", load=demo.load, order=87, present=demo.present)
        )
