from django.urls import path

from . import views

urlpatterns = [
    path(
        "s/<int:school_id>/classes/<int:class_id>/homework/", views.class_day, name="homework_class"
    ),
    path(
        "s/<int:school_id>/classes/<int:class_id>/homework/week/",
        views.class_week,
        name="homework_week",
    ),
    path(
        "s/<int:school_id>/classes/<int:class_id>/homework/board/",
        views.board,
        name="homework_board",
    ),
    path("s/<int:school_id>/homework/grade/<int:grade>/", views.grade_week, name="homework_grade"),
    path("s/<int:school_id>/homework/report/", views.report, name="homework_report"),
    path("s/<int:school_id>/homework/grading/", views.grading_disclosure, name="homework_grading"),
    path(
        "s/<int:school_id>/classes/<int:class_id>/homework/audit/",
        views.audit,
        name="homework_audit",
    ),
    path("s/<int:school_id>/homework/rules/", views.rules_documents, name="homework_rules"),
    path("s/<int:school_id>/homework/limits/", views.limits, name="homework_limits"),
    path("r/<int:region_id>/homework/limits/", views.region_limits, name="homework_region_limits"),
    path("children/<int:student_id>/homework/", views.child_homework, name="child_homework"),
]
