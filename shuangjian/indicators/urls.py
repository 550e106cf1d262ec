from django.urls import path

from . import views

urlpatterns = [
    path("indicators/", views.catalogue, name="indicators_catalogue"),
    path("s/<int:school_id>/indicators/", views.school_dashboard, name="indicators_school"),
    path("s/<int:school_id>/indicators/<str:indicator>/", views.drill, name="indicators_drill"),
    path("r/<int:region_id>/indicators/", views.region_dashboard, name="indicators_region"),
]
