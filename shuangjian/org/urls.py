from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.ShuangjianLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("register/", views.register_parent, name="register_parent"),
    path("children/add/", views.link_child, name="link_child"),
    path("s/<int:school_id>/", views.school_detail, name="school"),
    path("s/<int:school_id>/classes/<int:class_id>/", views.class_detail, name="class"),
    path("s/<int:school_id>/classes/<int:class_id>/codes/", views.issue_codes, name="issue_codes"),
    path("s/<int:school_id>/roster/", views.roster_page, name="roster"),
    path(
        "s/<int:school_id>/roster/template/<str:kind>/",
        views.roster_template,
        name="roster_template",
    ),
    path("s/<int:school_id>/roster/export/<str:kind>/", views.roster_export, name="roster_export"),
    path("s/<int:school_id>/staff/", views.staff_page, name="staff"),
    path(
        "s/<int:school_id>/staff/<int:staff_id>/reset-password/",
        views.reset_staff_password,
        name="reset_staff_password",
    ),
    path(
        "s/<int:school_id>/students/<int:student_id>/parents/<int:user_id>/reset-password/",
        views.reset_parent_password,
        name="reset_parent_password",
    ),
    path("s/<int:school_id>/calendar/", views.calendar_page, name="calendar"),
    path("r/<int:region_id>/", views.region_page, name="region"),
]
