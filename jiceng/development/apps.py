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

        from jiceng.core import registry

        from . import demo

        registry.demo_loaders.register(
            registry.DemoLoader(key="development.pipeline", load=demo.load_demo, order=50)
        )
        # development.csv (people already in the pipeline) joins the roster import (`jiceng import`).
        if apps.is_installed("jiceng.roster"):
            from .importing import register_handler

            register_handler()
