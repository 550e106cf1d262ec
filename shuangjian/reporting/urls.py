from django.urls import path

from . import views

urlpatterns = [
    path("s/<int:school_id>/reports/", views.school_reports, name="reporting_school"),
    path("s/<int:school_id>/reports/<str:period>/", views.report, name="reporting_report"),
    path("s/<int:school_id>/cases/", views.school_cases, name="reporting_school_cases"),
    path("r/<int:region_id>/reports/", views.overview, name="reporting_overview"),
    path("r/<int:region_id>/bulletins/", views.bulletins, name="reporting_bulletins"),
    path(
        "r/<int:region_id>/bulletins/<int:bulletin_id>/",
        views.bulletin,
        name="reporting_bulletin",
    ),
    path(
        "r/<int:region_id>/bulletins/<int:bulletin_id>/xlsx/",
        views.bulletin_xlsx,
        name="reporting_bulletin_xlsx",
    ),
    path(
        "r/<int:region_id>/bulletins/<int:bulletin_id>/pdf/",
        views.bulletin_pdf,
        name="reporting_bulletin_pdf",
    ),
    path("r/<int:region_id>/monthly/", views.monthly, name="reporting_monthly"),
    path("r/<int:region_id>/cases/", views.region_cases, name="reporting_region_cases"),
    path("cases/r/<int:region_id>/", views.published_cases, name="reporting_published_cases"),
    path("cases/<int:case_id>/", views.published_case, name="reporting_published_case"),
]
