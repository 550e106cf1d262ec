from django.urls import path

from . import views

urlpatterns = [
    path("complaints/new/", views.file_new, name="complaint_new"),
    path("complaints/filed/", views.filed, name="complaint_filed"),
    path("complaints/track/", views.track, name="complaint_track"),
    path("r/<int:region_id>/complaints/", views.region_list, name="complaints_region"),
    path("r/<int:region_id>/complaints/stats/", views.stats, name="complaints_stats"),
    path(
        "r/<int:region_id>/complaints/<int:complaint_id>/",
        views.case_page,
        name="complaint_case",
    ),
    path(
        "r/<int:region_id>/complaints/<int:complaint_id>/files/<int:attachment_id>/",
        views.attachment,
        name="complaint_attachment",
    ),
    path("s/<int:school_id>/complaints/", views.school_page, name="complaints_school"),
    path("exposure/", views.exposure, name="exposure"),
    path("exposure/r/<int:region_id>/", views.exposure, name="exposure_region"),
]
