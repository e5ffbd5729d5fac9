from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "jiceng.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo
        from .builtin import register_builtin

        register_builtin()
        registry.demo_loaders.register(
            registry.DemoLoader(key="assessment", load=demo.load, order=85, present=demo.present)
        )
