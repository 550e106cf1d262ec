"""Forms of the letter pages.  They check shapes; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shuangjian.org.grades import grade_label

from .models import MAX_ANSWER, MAX_BODY, MAX_QUESTION, MAX_TITLE, Letter

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClassesField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return str(obj)


class LetterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Plain text; line breaks are kept."),
    )
    kind = forms.ChoiceField(
        label=_("What parents do"), choices=Letter.Kind.choices, widget=forms.RadioSelect
    )
    question = forms.CharField(label=_("Question"), max_length=MAX_QUESTION, required=False)
    answer_kind = forms.ChoiceField(
        label=_("Answer"),
        choices=Letter.AnswerKind.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    options = forms.CharField(
        label=_("Options"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One option per line, 2 to 6 options."),
    )
    reply_by = forms.DateField(
        label=_("Reply by"),
        widget=DATE_INPUT,
        required=False,
        help_text=_("Parents can reply until the end of this day."),
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=Letter.Audience.choices, widget=forms.RadioSelect
    )
    grades = forms.TypedMultipleChoiceField(
        label=_("Grades"), coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    classes = ClassesField(label=_("Classes"), queryset=None, required=False)

    def __init__(self, *args, grades, classes, school_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grades"].choices = [(g, grade_label(g)) for g in grades]
        self.fields["classes"].queryset = classes
        if not school_wide:  # a head teacher writes to their own class(es) only
            self.fields["audience"].choices = [
                c for c in Letter.Audience.choices if c[0] == Letter.Audience.CLASSES
            ]
            self.fields["grades"].choices = []

    def clean_options(self):
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    @staticmethod
    def initial_from(letter: Letter) -> dict:
        return {
            "title": letter.title,
            "body": letter.body,
            "kind": letter.kind,
            "question": letter.question,
            "answer_kind": letter.answer_kind,
            "options": "\n".join(letter.options),
            "reply_by": letter.reply_by,
            "audience": letter.audience,
            "grades": letter.grades,
            "classes": list(letter.classes.all()),
        }


class ReceiptForm(forms.Form):
    """What a parent sends back: a confirmation, with one answer for a form letter."""

    def __init__(self, *args, letter: Letter, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the question ends with its own mark
        super().__init__(*args, **kwargs)
        if letter.is_choice:
            self.fields["answer"] = forms.ChoiceField(
                label=letter.question,
                choices=[(o, o) for o in letter.options],
                widget=forms.RadioSelect,
            )
        elif letter.is_text:
            self.fields["answer"] = forms.CharField(
                label=letter.question,
                max_length=MAX_ANSWER,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_ANSWER}),
            )
