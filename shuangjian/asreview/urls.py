from django.urls import path

from . import views

urlpatterns = [
    path("s/<int:school_id>/afterschool/load/", views.load, name="asreview_load"),
    path("s/<int:school_id>/afterschool/subsidy/", views.subsidy, name="asreview_subsidy"),
    path(
        "s/<int:school_id>/afterschool/flexible-hours/",
        views.flexible,
        name="asreview_flexible",
    ),
    path("s/<int:school_id>/afterschool/patrols/", views.patrols, name="asreview_patrols"),
    path("s/<int:school_id>/afterschool/scores/", views.scores, name="asreview_scores"),
    path(
        "s/<int:school_id>/afterschool/scores/<int:programme_id>/",
        views.score,
        name="asreview_score",
    ),
    path("s/<int:school_id>/afterschool/teachers/", views.teachers, name="asreview_teachers"),
    path(
        "children/<int:student_id>/afterschool/ratings/",
        views.ratings,
        name="asreview_ratings",
    ),
]
