from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AfternoonConfig(AppConfig):
    name = "shuangjian.afternoon"
    label = "afternoon"
    verbose_name = _("After-school afternoons")
