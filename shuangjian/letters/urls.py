from django.urls import path

from . import views

urlpatterns = [
    path("s/<int:school_id>/letters/", views.school_letters, name="letters"),
    path("s/<int:school_id>/letters/new/", views.new_letter, name="letter_new"),
    path("s/<int:school_id>/letters/<int:letter_id>/", views.letter_report, name="letter_report"),
    path("s/<int:school_id>/letters/<int:letter_id>/edit/", views.edit_letter, name="letter_edit"),
    path(
        "s/<int:school_id>/letters/<int:letter_id>/not-confirmed.xlsx",
        views.letter_export,
        name="letter_export",
    ),
    path("letters/", views.parent_letters, name="parent_letters"),
    path(
        "children/<int:student_id>/letters/<int:letter_id>/",
        views.child_letter,
        name="child_letter",
    ),
]
