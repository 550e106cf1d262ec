from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "shuangjian.indicators"
    label = "indicators"
    verbose_name = _("Supervision indicators")

    def ready(self) -> None:
        from . import signals

        signals.connect()
