from django.urls import path

from . import views

urlpatterns = [
    path("s/<int:school_id>/afternoon/", views.today, name="afternoon_today"),
    path(
        "s/<int:school_id>/afternoon/sessions/<int:session_id>/",
        views.session_page,
        name="afternoon_session",
    ),
    path(
        "s/<int:school_id>/afternoon/sessions/<int:session_id>/classes/<int:class_id>/",
        views.handover,
        name="afternoon_handover",
    ),
    path("s/<int:school_id>/afternoon/live/", views.live, name="afternoon_live"),
    path("s/<int:school_id>/afternoon/notices/", views.notices, name="afternoon_notices"),
    path(
        "s/<int:school_id>/afternoon/notices/<int:notice_id>/",
        views.notice,
        name="afternoon_notice",
    ),
    path("s/<int:school_id>/afternoon/gate/", views.gate, name="afternoon_gate"),
    path("children/<int:student_id>/afternoon/", views.child, name="afternoon_child"),
    path("afternoon/notices/<int:notice_id>/", views.notice_read, name="afternoon_notice_read"),
]
