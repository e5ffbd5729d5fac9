from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "jiceng.services"
    label = "services"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        from jiceng.core import registry

        from . import demo
        from .compliance import register

        # The time limits join the compliance engine's rule registry.
        register()
        registry.demo_loaders.register(
            registry.DemoLoader(key="services.requests", load=demo.load_demo, order=60, present=demo.present)
        )
