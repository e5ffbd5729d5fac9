from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifeConfig(AppConfig):
    name = "jiceng.life"
    label = "life"
    verbose_name = _("组织生活")
