from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AsreviewConfig(AppConfig):
    name = "shuangjian.asreview"
    label = "asreview"
    verbose_name = _("After-school teachers and inspection")
