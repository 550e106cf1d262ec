from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeworkConfig(AppConfig):
    name = "shuangjian.homework"
    label = "homework"
    verbose_name = _("Homework")

    def ready(self) -> None:
        from . import selectors  # noqa: F401  (registers the cache-invalidation receivers)
