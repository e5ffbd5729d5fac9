from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "jiceng.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from jiceng.core import events, registry

        from . import demo, services, sms  # noqa: F401 (sms registers its deploy check)

        events.subscribe(services.deliver)
        registry.nav_flags.register(registry.NavFlag(key="unread", value=services.unread_flag))
        registry.demo_loaders.register(
            registry.DemoLoader(key="notifications.inbox", load=demo.load, present=demo.present, order=90)
        )
