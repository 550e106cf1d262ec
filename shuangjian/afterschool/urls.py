from django.urls import path

from . import views

urlpatterns = [
    path(
        "r/<int:region_id>/afterschool/work-hours/", views.work_hours, name="afterschool_work_hours"
    ),
    path("s/<int:school_id>/afterschool/", views.school_programmes, name="afterschool"),
    path(
        "s/<int:school_id>/afterschool/schedule/",
        views.school_schedule,
        name="afterschool_schedule",
    ),
    path("s/<int:school_id>/afterschool/check/", views.timetable_check, name="afterschool_check"),
    path(
        "s/<int:school_id>/afterschool/allocation/",
        views.allocation,
        name="afterschool_allocation",
    ),
    path(
        "s/<int:school_id>/afterschool/allocation/<int:run_id>/",
        views.allocation_run,
        name="afterschool_run",
    ),
    path(
        "s/<int:school_id>/afterschool/applications/",
        views.applications,
        name="afterschool_applications",
    ),
    path(
        "s/<int:school_id>/afterschool/participants/",
        views.participants,
        name="afterschool_participants",
    ),
    path("s/<int:school_id>/afterschool/fees/", views.fees, name="afterschool_fees"),
    path(
        "s/<int:school_id>/afterschool/outside-staff/",
        views.outside_staff,
        name="afterschool_outside_staff",
    ),
    path("s/<int:school_id>/afterschool/propose/", views.propose, name="afterschool_propose"),
    path(
        "children/<int:student_id>/afterschool/application/",
        views.application,
        name="afterschool_application",
    ),
    path("afterschool/", views.children, name="afterschool_children"),
    path("children/<int:student_id>/afterschool/", views.child, name="afterschool_child"),
]
