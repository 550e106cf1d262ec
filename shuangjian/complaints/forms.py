"""Forms of the complaint pages.  They check shapes; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import School
from shuangjian.rules import complaints as rules

from .models import MAX_DESCRIPTION, MAX_TEXT, Category, Finding, Status

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, max_length=MAX_TEXT, rows=4, required=True, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their kind, size and number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class FileComplaintForm(forms.Form):
    """SV-03: anyone, with or without an account, with or without their name."""

    school = forms.TypedChoiceField(label=_("School"), coerce=int, choices=())
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = _text(
        _("What happened"),
        MAX_DESCRIPTION,
        rows=6,
        help_text=_("Class, dates and what was done; at most 5,000 characters."),
    )
    files = MultipleFileField(
        label=_("Photos or PDF (optional)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF; at most 5 files of 5 MB each."),
    )
    real_name = forms.BooleanField(
        label=_("File under my real name (实名举报)"),
        required=False,
        help_text=_("The school never sees who filed, in either case."),
    )
    complainant_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    complainant_contact = forms.CharField(
        label=_("Contact for the bureau's reply (mobile or e-mail)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}),
        help_text=_("Optional when anonymous; needed for a real-name complaint."),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "—"), *schools]

    def clean_school(self):
        school = School.objects.filter(id=self.cleaned_data["school"]).first()
        if school is None:
            raise forms.ValidationError(_("Choose a school."))
        return school


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX",
            }
        ),
        help_text=_("The 16-character code you were given when you filed."),
    )


class ReplyForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=40)
    text = _text(_("Your answer"), rows=4)


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + Status.choices, required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All"))] + Category.choices, required=False
    )
    school = forms.TypedChoiceField(label=_("School"), coerce=int, required=False, empty_value=None)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", _("All"))] + [(s.id, s.name) for s in schools]


class LimitForm(forms.Form):
    working_days = forms.IntegerField(
        label=_("Handling limit (working days)"),
        min_value=1,
        max_value=rules.DEFAULT_LIMIT_WORKING_DAYS,
    )


class StatsPeriodForm(forms.Form):
    start = forms.DateField(label=_("Filed from"), widget=DATE_INPUT)
    end = forms.DateField(label=_("to"), widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end must not be before the start."))
        elif start and end and (end - start).days > 3 * 366:
            self.add_error("end", _("At most three years at a time."))
        return data


# -- The bureau's actions on a case ----------------------------------------------------------


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class VerificationRequestForm(forms.Form):
    description_for_school = _text(
        _("Facts the school is shown"),
        MAX_DESCRIPTION,
        rows=6,
        help_text=_("Remove anything that would tell the school who filed."),
    )
    request = _text(_("What the school must check and report"), rows=3)


class FindingForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"), choices=Finding.choices, widget=forms.RadioSelect
    )
    finding_text = _text(_("Grounds of the finding"), rows=3)


class RectificationRequirementForm(forms.Form):
    requirement = _text(_("What the school must put right, and by when"), rows=3)


class CloseForm(forms.Form):
    reply = _text(
        _("Reply to the complainant"),
        rows=4,
        help_text=_("Shown on the tracking page."),
    )


class PauseForm(forms.Form):
    question = _text(
        _("Question to the complainant"),
        rows=3,
        help_text=_("Shown on the tracking page; the clock stops until the answer."),
    )


class SupervisionForm(forms.Form):
    on = forms.BooleanField(label=_("Under special supervision (挂牌督办)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)


class ExposureForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    summary = _text(
        _("Summary in the bureau's words"),
        rows=5,
        help_text=_("No names of pupils, parents or the complainant, and no contact details."),
    )


# -- The school's answers ----------------------------------------------------------------------


class SchoolReportForm(forms.Form):
    complaint = forms.IntegerField(widget=forms.HiddenInput)
    report = _text(_("Your report"), rows=4)
