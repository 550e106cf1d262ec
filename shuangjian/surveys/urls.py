from django.urls import path

from . import views

urlpatterns = [
    path("r/<int:region_id>/surveys/", views.region_surveys, name="surveys_region"),
    path("s/<int:school_id>/surveys/", views.school_surveys, name="surveys_school"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey"),
    path("surveys/<int:survey_id>/invite/", views.invite, name="survey_invite"),
    path("surveys/<int:survey_id>/results/", views.results, name="survey_results"),
    # Public: parents answer with the code on their slip, without logging in.
    path("surveys/answer/", views.answer_start, name="survey_answer_start"),
    path("surveys/answer/thanks/", views.answer_done, name="survey_answer_done"),
    path("surveys/answer/<str:code>/", views.answer, name="survey_answer"),
]
