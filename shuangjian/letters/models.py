"""Letters to parents (致家长的一封信), their receipts (回执) and one-question forms (SV-07)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shuangjian.org.models import School, SchoolClass, Student

MAX_TITLE = 100
MAX_BODY = 10_000
MAX_QUESTION = 200
MAX_OPTION = 50
MAX_ANSWER = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 6


class Letter(models.Model):
    """One letter of a school to the families of an audience; frozen once sent."""

    class Kind(models.TextChoices):
        INFO = "info", _("Information only")
        RECEIPT = "receipt", _("Receipt: “I have read it”")
        FORM = "form", _("Receipt with one question")

    class AnswerKind(models.TextChoices):
        CHOICE = "choice", _("One choice among options")
        TEXT = "text", _("Short text")

    class Audience(models.TextChoices):
        SCHOOL = "school", _("The whole school")
        GRADES = "grades", _("Some grades")
        CLASSES = "classes", _("Some classes")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        CLOSED = "closed", pgettext_lazy("letter status", "Closed")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="letters")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    body = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RECEIPT)
    question = models.CharField(_("question"), max_length=MAX_QUESTION, blank=True)
    answer_kind = models.CharField(
        _("answer"), max_length=10, choices=AnswerKind.choices, blank=True
    )
    options = models.JSONField(_("options"), default=list, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.SCHOOL
    )
    grades = models.JSONField(_("grades"), default=list, blank=True)
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="+")
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["school", "-created_at", "-id"]
        indexes = [models.Index(fields=["school", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MAX_BODY), name="letter_body_length"
            ),
            models.CheckConstraint(
                condition=Q(kind="form", answer_kind__in=["choice", "text"])
                | Q(~Q(kind="form"), answer_kind=""),
                name="letter_answer_kind_only_for_forms",
            ),
            models.CheckConstraint(
                condition=Q(kind="info") | Q(reply_by__isnull=False),
                name="letter_receipt_has_reply_by",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(sent_at__isnull=False),
                name="letter_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def asks_receipt(self) -> bool:
        return self.kind != self.Kind.INFO

    @property
    def is_choice(self) -> bool:
        return self.kind == self.Kind.FORM and self.answer_kind == self.AnswerKind.CHOICE

    @property
    def is_text(self) -> bool:
        return self.kind == self.Kind.FORM and self.answer_kind == self.AnswerKind.TEXT


class Delivery(models.Model):
    """The letter as one pupil's family received it, and that pupil's receipt (one per pupil).

    The first confirmation counts: by a parent online, or a paper slip the school records.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper slip")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="deliveries")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="letter_deliveries")
    # The pupil's class when the letter was sent: counts per class stay as they were.
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    relation = models.CharField(_("relation"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    answer = models.CharField(_("answer"), max_length=MAX_ANSWER, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["letter", "school_class", "student"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "student"], name="delivery_one_per_pupil"),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, channel="", answer="")
                | Q(confirmed_at__isnull=False, channel__in=["online", "paper"]),
                name="delivery_confirmed_has_channel",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("answer"), MAX_ANSWER),
                name="delivery_answer_length",
            ),
        ]
        indexes = [models.Index(fields=["letter", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.letter} → {self.student}"


class Reminder(models.Model):
    """A reminder sent to the parents of the pupils not yet confirmed (once a day per letter)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    day = models.DateField()
    pupils = models.PositiveIntegerField()
    parents = models.PositiveIntegerField()

    class Meta:
        ordering = ["letter", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "day"], name="reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.letter} {self.day}"
