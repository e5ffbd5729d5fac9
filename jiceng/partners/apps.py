from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "jiceng.partners"
    label = "partners"
    verbose_name = _("共建单位")
