"""Anonymous parent questionnaires (SV-05): surveys, questions, invitations, responses.

Anonymity is a property of the schema, not of good intentions:

* `Invitee` records that a pupil's family was sent a code (so each child gets exactly one);
  `Invitation` is the live one-time code: its hash and the group labels (school, grade, class).
  Neither refers to the other, invitations have random UUID keys and are written in a random
  order, and the printed slips carry no pupil's name — a slip is a ballot paper that the head
  teacher hands to each pupil.
* Answering deletes the invitation in the same transaction as the response is written, so a
  used code leaves no row behind (nothing to match a response against, no "used at").
* `Response` and `Answer` carry the survey, the copied group labels, the week and the answers:
  no link to an invitation, pupil or user, no code or hash, no time of day, random UUID keys and
  no ordering by insertion.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shuangjian.org.models import Region, School, SchoolClass, Student

MIN_GROUP_FLOOR = 5  # no survey shows a group smaller than this, whatever its setting
DEFAULT_MIN_GROUP = 10
TEXT_MAX = 500
SCALE_MIN, SCALE_MAX = 1, 5

# Keys the supervision indicators read (`selectors.indicator_shares`).  A question tagged with a
# key measures the share of respondents affirming the statement; choices marked "affirms" count
# as yes, choices with affirms=None (e.g. "my child does not attend") are left out.
INDICATORS = {
    "homework_for_parents": _("Homework was set for parents, or parents were asked to mark it"),
    "homework_within_time": _("The child finishes written homework within the time limits"),
    "afterschool_satisfaction": _("Satisfied with the school's after-school service"),
    "burden_eased": _("The child's homework burden has eased"),
    "anxiety_eased": _("The parent's anxiety about education has eased"),
    "satisfaction": _("Satisfied overall with the school's Double Reduction work"),
}


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("survey status", "Draft")
        OPEN = "open", pgettext_lazy("survey status", "Open")
        CLOSED = "closed", pgettext_lazy("survey status", "Closed")

    # The owner: a bureau (region) or a school, never both.
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="surveys"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="surveys"
    )
    title = models.CharField(_("title"), max_length=100)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=DEFAULT_MIN_GROUP,
        validators=[MinValueValidator(MIN_GROUP_FLOOR), MaxValueValidator(1000)],
    )
    standard = models.BooleanField(_("standard national questionnaire"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True, school__isnull=False)
                | Q(region__isnull=False, school__isnull=True),
                name="survey_owner_region_xor_school",
            ),
            models.CheckConstraint(
                condition=Q(min_group_size__gte=MIN_GROUP_FLOOR),
                name="survey_min_group_at_least_floor",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self) -> Region | School:
        return self.region or self.school


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SCALE = "scale", _("Scale 1–5")
        TEXT = "text", _("Short text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("an answer is required"), default=True)
    indicator = models.CharField(
        _("indicator"), max_length=40, blank=True, choices=list(INDICATORS.items())
    )

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_unique_position"),
            models.UniqueConstraint(
                fields=["survey", "indicator"],
                condition=~Q(indicator=""),
                name="question_unique_indicator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def has_choices(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("choice"), max_length=100)
    # For an indicator question: True counts as yes, False as no, None is left out.
    affirms = models.BooleanField(null=True, default=False)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="choice_unique_position")
        ]

    def __str__(self) -> str:
        return self.text


class Invitee(models.Model):
    """A pupil whose family has been sent a code for this survey: one per child, ever.

    It counts the invited per group and stops a pupil being invited twice.  It says nothing
    about which code the family got, nor whether they answered.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitees")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField(_("grade"))
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "student"], name="invitee_unique_pupil")
        ]
        indexes = [models.Index(fields=["survey", "school", "grade", "school_class"])]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.student_id}"


class Invitation(models.Model):
    """A live one-time code (only its hash) with the group its answer will be counted in.

    Deleted when it is used (and, unused, when the survey closes).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField(_("grade"))
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.school_class_id}"


class Response(models.Model):
    """One family's answers for one child.  Nothing here says whose, or when beyond the week."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField(_("grade"))
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(_("week (its Monday)"))

    class Meta:
        indexes = [models.Index(fields=["survey", "school", "grade", "school_class"])]

    def __str__(self) -> str:
        return str(self.id)


class Answer(models.Model):
    """One answer: a chosen choice (one row per choice of a multiple-choice question), a scale
    value or a short text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(max_length=TEXT_MAX, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "choice"], name="answer_unique_choice"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX),
                name="answer_scale_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)
