from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "shuangjian.org"
    label = "org"
    verbose_name = _("Schools and people")

    def ready(self) -> None:
        from . import cache, selectors  # noqa: F401  (register the cache-invalidation receivers)
