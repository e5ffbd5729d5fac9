from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "jiceng.consultation"
    label = "consultation"
    verbose_name = _("议事协商")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo
        from .compliance import register

        # consultation.notice_short and consultation.item_overdue join the compliance engine.
        register()
        registry.demo_loaders.register(
            registry.DemoLoader(key="consultation", load=demo.load, order=87, present=demo.present)
        )
