from django.urls import path

from . import views

urlpatterns = [
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
    path("afterschool/", views.children, name="afterschool_children"),
    path("children/<int:student_id>/afterschool/", views.child, name="afterschool_child"),
]
