from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    label = "orgs"
    verbose_name = _("党组织")

    def ready(self) -> None:
        # This app's rules and the facts they need join the compliance engine's registry.
        from .compliance import register

        register()

        from jiceng.core import registry

        from . import views

        registry.home_sections.register(
            registry.HomeSection(
                key="orgs.cards", template="orgs/_home.html", context=views.home_cards, order=20
            )
        )
