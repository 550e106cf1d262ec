"""Forms of the homework pages.  They check shapes; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_MINUTES, ClassWeekAudit, DayKind, Homework, HomeworkPolicy
from .services import TierSpec

TIER_COUNT = 3
TIER_PARTS = ("name", "minutes", "pupils")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _minutes_field(label, *, required=True, min_value=1, max_value=MAX_MINUTES, **kwargs):
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=min_value,
        max_value=max_value,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


class PupilsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class PublishForm(forms.Form):
    """HW-01: one item for one class and day, optionally in tiers or for named pupils."""

    subject = forms.ModelChoiceField(label=_("Subject"), queryset=None, empty_label=None)
    day = forms.DateField(label=_("For the day"), widget=DATE_INPUT)
    content = forms.CharField(
        label=_("Content"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Homework.Kind.choices)
    minutes = _minutes_field(_("Estimated minutes"))
    elastic = forms.BooleanField(label=_("Elastic (optional for pupils)"), required=False)
    personal_pupil_ids = PupilsField(
        label=_("Personal item only for these pupils"), queryset=None, required=False
    )
    confirm_not_punitive = forms.BooleanField(
        label=_("I confirm this homework is neither punitive nor mechanically repetitive"),
        required=True,
    )

    def __init__(self, *args, subjects, pupils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["personal_pupil_ids"].queryset = pupils
        for n in range(1, TIER_COUNT + 1):
            self.fields[f"tier{n}_name"] = forms.CharField(
                label=_("Tier %(n)d name") % {"n": n}, max_length=20, required=False
            )
            self.fields[f"tier{n}_minutes"] = _minutes_field(
                _("Tier %(n)d minutes") % {"n": n}, required=False
            )
            self.fields[f"tier{n}_pupils"] = PupilsField(
                label=_("Tier %(n)d pupils") % {"n": n}, queryset=pupils, required=False
            )

    def tier_rows(self):
        """(number, name, minutes, pupils) per tier, the last three bound fields, for the template."""
        return [
            (n, self[f"tier{n}_name"], self[f"tier{n}_minutes"], self[f"tier{n}_pupils"])
            for n in range(1, TIER_COUNT + 1)
        ]

    def tiers_open(self) -> bool:
        """Show the tiers section unfolded when a tier is filled in or has an error."""
        names = [f"tier{n}_{part}" for n in range(1, TIER_COUNT + 1) for part in TIER_PARTS]
        return any(self[name].errors or self[name].value() for name in names)

    def clean(self):
        data = super().clean()
        tiers = []
        for n in range(1, TIER_COUNT + 1):
            name = (data.get(f"tier{n}_name") or "").strip()
            minutes = data.get(f"tier{n}_minutes")
            pupils = data.get(f"tier{n}_pupils") or []
            if not name and minutes is None and not pupils:
                continue
            if not name:
                self.add_error(f"tier{n}_name", _("Name the tier."))
            if minutes is None:
                self.add_error(f"tier{n}_minutes", _("Give the tier's minutes."))
            if name and minutes is not None:
                tiers.append(TierSpec(name, minutes, tuple(p.id for p in pupils)))
        data["tiers"] = tiers
        return data


class GradingForm(forms.Form):
    """HW-07: how one item was graded."""

    full = forms.BooleanField(label=_("Every pupil's work graded (全批全改)"), required=False)
    face_to_face = _minutes_field(
        _("Face-to-face gradings (面批)"), min_value=0, max_value=200, initial=0
    )
    feedback_note = forms.CharField(label=_("Feedback given"), max_length=500, required=False)


class ReviewForm(forms.Form):
    """HW-03: the head teacher approves (trimmed if need be) or returns a held item."""

    minutes = _minutes_field(
        _("Trim to minutes"),
        required=False,
        help_text=_("Leave empty to approve the teacher's estimate."),
    )
    note = forms.CharField(
        label=_("Note to the teacher"),
        max_length=200,
        required=False,
        help_text=_("Required when returning."),
    )


class SubjectPlanForm(forms.Form):
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=None)
    minutes = _minutes_field(_("Daily minutes"), min_value=0)

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects


class AuditForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=ClassWeekAudit.Verdict.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(
        label=_("Findings"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    corrections = forms.CharField(
        label=_("Corrections required"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RulesDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    adopted_on = forms.DateField(label=_("Adopted on"), widget=DATE_INPUT)
    text = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class FeedbackForm(forms.Form):
    """HW-06: a parent's report of one day: minutes per written item, or a total."""

    mostly_at_school = forms.TypedChoiceField(
        label=_("Was most of it done at school?"),
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, items, **kwargs):
        """items: (homework, prefilled minutes) pairs, the written items of the day."""
        kwargs.setdefault("label_suffix", "")  # the labels are questions: no "？："
        super().__init__(*args, **kwargs)
        self.item_ids = []
        for hw, minutes in items:
            name = f"item_{hw.id}"
            self.fields[name] = _minutes_field(
                f"{hw.subject.name} · {hw.get_kind_display()}",
                min_value=0,
                max_value=600,
                initial=minutes,
            )
            self.item_ids.append(hw.id)
        if not items:
            self.fields["minutes"] = _minutes_field(
                _("Minutes of written homework in all"), min_value=0, max_value=600
            )

    def item_fields(self):
        return [self[f"item_{i}"] for i in self.item_ids]

    def item_minutes(self) -> dict[int, int]:
        return {i: self.cleaned_data[f"item_{i}"] for i in self.item_ids}


class PolicyForm(forms.Form):
    over_limit = forms.ChoiceField(
        label=_("When a teacher's item would take the day over the limit"),
        choices=HomeworkPolicy.OverLimit.choices,
        widget=forms.RadioSelect,
    )


class LimitOverrideForm(forms.Form):
    """A stricter daily limit for some grades on one kind of day (HW-02)."""

    grade_from = forms.IntegerField(label=_("From grade"), min_value=1, max_value=12)
    grade_to = forms.IntegerField(label=_("To grade"), min_value=1, max_value=12)
    day_kind = forms.ChoiceField(label=_("Day kind"), choices=DayKind.choices)
    minutes = forms.IntegerField(label=_("At most (minutes)"), min_value=0, max_value=240)
