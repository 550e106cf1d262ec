"""Homework items, their tiers and targets, feedback, grading and audits (HW-01 … HW-08)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import Region, School, SchoolClass, Student, Subject
from shuangjian.rules import homework as rules

MAX_MINUTES = 240  # no single item is estimated above four hours: a typo guard


class DayKind(models.TextChoices):
    """rules.DayKind with its labels: each kind of day may carry its own limit (HW-02)."""

    SCHOOL_DAY = rules.DayKind.SCHOOL_DAY.value, _("School day")
    WEEKEND = rules.DayKind.WEEKEND.value, _("Weekend")
    HOLIDAY = rules.DayKind.HOLIDAY.value, _("Statutory holiday")
    VACATION = rules.DayKind.VACATION.value, _("Winter or summer vacation")


class HomeworkPolicy(models.Model):
    """A school's homework settings: what happens over the limit (HW-03)."""

    class OverLimit(models.TextChoices):
        REFUSE = "refuse", _("Refuse publishing")
        HOLD = "hold", _("Hold for the head teacher's approval")

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="homework_policy")
    over_limit = models.CharField(
        _("over the limit"), max_length=10, choices=OverLimit.choices, default=OverLimit.HOLD
    )

    def __str__(self) -> str:
        return f"{self.school}: {self.get_over_limit_display()}"


class LimitOverride(models.Model):
    """A stricter daily limit set by a region (for its schools) or by one school (HW-02)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True)
    grade_from = models.PositiveSmallIntegerField(_("from grade"))
    grade_to = models.PositiveSmallIntegerField(_("to grade"))
    day_kind = models.CharField(_("day kind"), max_length=12, choices=DayKind.choices)
    minutes = models.PositiveSmallIntegerField(_("minutes"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True, school__isnull=False)
                | Q(region__isnull=False, school__isnull=True),
                name="limitoverride_region_xor_school",
            ),
            models.CheckConstraint(
                condition=Q(grade_from__lte=models.F("grade_to")), name="limitoverride_grade_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region or self.school} {self.grade_from}-{self.grade_to} {self.day_kind} ≤ {self.minutes}"


class Homework(models.Model):
    class Kind(models.TextChoices):
        BASIC = rules.Kind.BASIC.value, _("Written: basic")
        EXTENSION = rules.Kind.EXTENSION.value, _("Written: extension")
        COMPREHENSIVE = rules.Kind.COMPREHENSIVE.value, _("Written: comprehensive")
        PRACTICAL = rules.Kind.PRACTICAL.value, _("Practical / experiential")
        READING = rules.Kind.READING.value, _("Reading")

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        PENDING = "pending", _("Waiting for the head teacher")
        RETURNED = "returned", _("Returned to the teacher")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="homework")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="homework")
    # RESTRICT: a subject or teacher with homework stays, unless the whole school goes.
    subject = models.ForeignKey(Subject, on_delete=models.RESTRICT, related_name="homework")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="homework_set"
    )
    date = models.DateField(_("for the day"))
    day_kind = models.CharField(max_length=12, choices=DayKind.choices)
    content = models.TextField(_("content"), max_length=2000)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    elastic = models.BooleanField(_("elastic (optional)"), default=False)
    personal = models.BooleanField(_("personal item for named pupils"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    repeated = models.BooleanField(_("same item already set this week"), default=False)
    note = models.CharField(_("head teacher's note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "subject_id", "id"]
        indexes = [
            models.Index(fields=["school_class", "date", "status"]),
            models.Index(fields=["school", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_MINUTES), name="homework_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.subject}: {self.content[:30]}"

    @property
    def is_written(self) -> bool:
        return self.kind in rules.WRITTEN_KINDS


class HomeworkTier(models.Model):
    """A layer (分层) of a homework item, with its own minutes and its pupils."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("tier"), max_length=20)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    pupils = models.ManyToManyField(Student, blank=True, related_name="homework_tiers")

    class Meta:
        ordering = ["homework", "id"]
        constraints = [
            models.UniqueConstraint(fields=["homework", "name"], name="tier_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.minutes})"


class HomeworkTarget(models.Model):
    """A pupil a personal (个性化) item is set for."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="targets")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["homework", "student"], name="target_unique"),
        ]


class HomeworkEvent(models.Model):
    """History of an item: published, held, approved, trimmed, returned, withdrawn."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.CharField(max_length=20)
    note = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class SubjectPlan(models.Model):
    """The head teacher's daily minutes plan per subject for a class (HW-03)."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="subject_plans"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    minutes = models.PositiveSmallIntegerField(_("daily minutes"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subject"], name="subjectplan_unique"),
        ]


class Feedback(models.Model):
    """A parent's (or pupil's) report of the actual time one pupil spent on one day (HW-06)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="homework_feedback")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("day"))
    minutes = models.PositiveSmallIntegerField(
        _("actual minutes of written homework"), validators=[MaxValueValidator(600)]
    )
    mostly_at_school = models.BooleanField(_("most of it done at school"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="feedback_one_per_pupil_day"),
            models.CheckConstraint(condition=Q(minutes__lte=600), name="feedback_minutes_max"),
        ]
        indexes = [models.Index(fields=["school_class", "date"])]


class FeedbackItem(models.Model):
    """Actual minutes per homework item, when the parent adjusted the prefilled estimate."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="items")
    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="feedback_items")
    minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(600)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "homework"], name="feedbackitem_unique"),
        ]


class Grading(models.Model):
    """How one homework item was graded (HW-07): full grading, face-to-face, feedback."""

    homework = models.OneToOneField(Homework, on_delete=models.CASCADE, related_name="grading")
    full = models.BooleanField(_("every pupil's work graded (全批全改)"))
    face_to_face = models.PositiveSmallIntegerField(_("face-to-face gradings (面批)"), default=0)
    feedback_note = models.CharField(_("feedback given"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    recorded_at = models.DateTimeField(auto_now=True)


class ClassWeekAudit(models.Model):
    """The academic office's review of one class's homework week (HW-08)."""

    class Verdict(models.TextChoices):
        OK = "ok", _("Within the rules")
        CORRECT = "correct", _("Corrections required")

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="homework_audits"
    )
    week_start = models.DateField(_("week starting"))
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    findings = models.TextField(_("findings"), max_length=2000, blank=True)
    corrections = models.TextField(_("corrections required"), max_length=2000, blank=True)
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "week_start"], name="audit_one_per_class_week"
            ),
        ]


class RulesDocument(models.Model):
    """The school's homework management rules (作业管理办法) on file (HW-08, SV-01)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="homework_rules")
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"), max_length=20000)
    adopted_on = models.DateField(_("adopted on"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)

    class Meta:
        ordering = ["-adopted_on"]

    def __str__(self) -> str:
        return self.title


class Alert(models.Model):
    """A class over the limit several days running, raised once per class and last day."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="homework_alerts"
    )
    kind = models.CharField(max_length=30)
    last_day = models.DateField()
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "kind", "last_day"], name="alert_once"),
        ]
