from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path

from shuangjian.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("shuangjian.org.urls")),
    path("", include("shuangjian.homework.urls")),
    path("", include("shuangjian.notify.urls")),
    path("", include("shuangjian.complaints.urls")),
    path("", include("shuangjian.surveys.urls")),
    path("", include("shuangjian.letters.urls")),
    path("", include("shuangjian.afterschool.urls")),
    path("", include("shuangjian.afternoon.urls")),
    path("", include("shuangjian.asreview.urls")),
    path("", include("shuangjian.indicators.urls")),
    path("", include("shuangjian.reporting.urls")),
]

if settings.BENCH:

    def constant(request):
        """A fixed body of ?size= bytes: what the stack serves with no application work."""
        size = min(int(request.GET.get("size", "1000") or 1000), 1_000_000)
        return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")

    urlpatterns.append(path("bench/constant/", constant))
