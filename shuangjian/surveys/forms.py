"""Forms of the questionnaire pages.  They check shapes; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shuangjian.org.grades import grade_label

from .models import (
    DEFAULT_MIN_GROUP,
    INDICATORS,
    MIN_GROUP_FLOOR,
    SCALE_MAX,
    SCALE_MIN,
    TEXT_MAX,
    Question,
)

Kind = Question.Kind


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    intro = forms.CharField(
        label=_("Introduction for parents"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    min_group_size = forms.IntegerField(
        label=_("Smallest group whose answers are shown"),
        min_value=MIN_GROUP_FLOOR,
        max_value=1000,
        initial=DEFAULT_MIN_GROUP,
        help_text=_("Groups with fewer responses are not shown. At least 5; 10 is usual."),
    )


def _numbers(value: str) -> set[int] | None:
    parts = [p for p in value.replace("，", ",").replace(" ", ",").split(",") if p]
    if not all(p.isdecimal() and len(p) <= 2 for p in parts):
        return None
    return {int(p) for p in parts}


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    indicator = forms.ChoiceField(
        label=_("Feeds the indicator"),
        required=False,
        choices=[("", "—"), *INDICATORS.items()],
    )
    affirms = forms.CharField(
        label=_("Choices that count as yes for the indicator (numbers, e.g. 1,2)"),
        required=False,
        max_length=60,
    )
    left_out = forms.CharField(
        label=_("Choices left out of the indicator, such as “not applicable” (numbers)"),
        required=False,
        max_length=60,
    )

    def clean(self):
        data = super().clean()
        data["choice_list"] = [
            line.strip() for line in (data.get("choices") or "").splitlines() if line.strip()
        ]
        yes, out = _numbers(data.get("affirms") or ""), _numbers(data.get("left_out") or "")
        if yes is None:
            self.add_error("affirms", _("Give choice numbers separated by commas."))
        if out is None:
            self.add_error("left_out", _("Give choice numbers separated by commas."))
        if yes is not None and out is not None:
            count = len(data["choice_list"])
            if any(not 1 <= n <= count for n in yes | out) or yes & out:
                self.add_error("affirms", _("Use the numbers of the choices listed above."))
            data["affirm_list"] = [
                True if n in yes else None if n in out else False for n in range(1, count + 1)
            ]
        return data


class InviteForm(forms.Form):
    """Schools (bureau surveys), grades and classes whose pupils' families get a code."""

    schools = forms.MultipleChoiceField(
        label=_("Schools"), required=False, widget=forms.CheckboxSelectMultiple
    )
    grades = forms.MultipleChoiceField(
        label=_("Grades (none chosen: all grades of the chosen schools)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    classes = forms.MultipleChoiceField(
        label=_("Classes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    output = forms.ChoiceField(
        label=_("Codes as"),
        choices=[("print", _("Printable slips")), ("xlsx", _("Excel file"))],
        initial="print",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, schools, classes, grades, bureau: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.bureau = bureau
        if bureau:
            self.fields["schools"].choices = [(str(s.id), s.name) for s in schools]
            del self.fields["classes"]
        else:
            del self.fields["schools"]
            self.fields["grades"].label = _("Whole grades")
            self.fields["classes"].choices = [
                (str(k.id), f"{k} ({k.invited}/{k.pupils})") for k in classes
            ]
        self.fields["grades"].choices = [(str(g), grade_label(g)) for g in sorted(grades)]

    def clean(self):
        data = super().clean()
        picked = data.get("schools") if self.bureau else data.get("grades") or data.get("classes")
        if not picked:
            raise forms.ValidationError(
                _("Choose at least one school.") if self.bureau else _("Choose grades or classes.")
            )
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code on your slip"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class AnswerForm(forms.Form):
    """The questionnaire: one field per question, named q<id>."""

    def __init__(self, *args, questions, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            label = f"{q.position}. {q.text}"
            choices = [(str(c.id), c.text) for c in q.choices.all()]
            if q.kind == Kind.SINGLE:
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
            elif q.kind == Kind.MULTIPLE:
                field = forms.MultipleChoiceField(
                    choices=choices, widget=forms.CheckboxSelectMultiple
                )
            elif q.kind == Kind.SCALE:
                field = forms.ChoiceField(
                    choices=[(str(v), str(v)) for v in range(SCALE_MIN, SCALE_MAX + 1)],
                    widget=forms.RadioSelect(attrs={"class": "scale"}),
                )
            else:
                field = forms.CharField(
                    max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
                )
            field.label = label
            field.required = q.required
            field.question = q
            self.fields[f"q{q.id}"] = field

    def answers(self) -> dict:
        return {q.id: self.cleaned_data.get(f"q{q.id}") for q in self.questions}
