from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .auth import login_checked
from .models import Vacation, mobile_validator


class LoginForm(AuthenticationForm):
    """Username or mobile number, with failed attempts throttled (see auth.login_checked)."""

    username = forms.CharField(
        label=_("Username or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            self.user_cache = login_checked(self.request, username, password)
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ParentRegisterForm(forms.Form):
    code = forms.CharField(label=_("Code from the school"), max_length=20)
    name = forms.CharField(label=_("Your name"), max_length=50)
    relation = forms.CharField(
        label=_("Relation to the child"),
        max_length=20,
        required=False,
        help_text=_("For example 父亲, 母亲, 祖父"),
    )
    mobile = forms.CharField(label=_("Mobile number"), max_length=11, validators=[mobile_validator])
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password"):
            try:
                password_validation.validate_password(data["password"])
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class LinkChildForm(forms.Form):
    code = forms.CharField(label=_("Code from the school"), max_length=20)
    relation = forms.CharField(label=_("Relation to the child"), max_length=20, required=False)


class AddClassForm(forms.Form):
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=12)
    number = forms.IntegerField(label=_("Class number"), min_value=1, max_value=99)


class RosterUploadForm(forms.Form):
    KIND_CHOICES = [("students", _("Student roster")), ("staff", _("Staff list"))]
    kind = forms.ChoiceField(label=_("Roster"), choices=KIND_CHOICES)
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class TermForm(forms.Form):
    name = forms.CharField(
        label=_("Term"), max_length=50, help_text=_("For example 2026—2027学年第一学期")
    )
    start = forms.DateField(label=_("first day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("last day"), widget=forms.DateInput(attrs={"type": "date"}))


class VacationForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Vacation.Kind.choices)
    name = forms.CharField(label=_("name"), max_length=50)
    start = forms.DateField(label=_("first day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("last day"), widget=forms.DateInput(attrs={"type": "date"}))
