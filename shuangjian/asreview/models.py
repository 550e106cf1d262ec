"""After-school teachers and inspection (AS-11, AS-12): the subsidy rate, flexible hours after a
late duty, parent inspectors, daily patrols, the effectiveness assessment and parents' ratings.

Sessions themselves belong to the afternoon app (afternoon.Session); a session counts for its
programme's lead, assistants and outside teacher.  Rules and sources: shuangjian/rules/inspection.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuangjian.afternoon.models import Session
from shuangjian.afterschool.models import Programme
from shuangjian.org.models import School, Staff, Term
from shuangjian.rules import inspection as rules


class SubsidyRate(models.Model):
    """AS-11: what the school pays per session held in a term (seed 004 三、(一))."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="+")
    rate = models.DecimalField(_("subsidy per session (yuan)"), max_digits=8, decimal_places=2)
    outside_rate = models.DecimalField(
        _("subsidy per session for outside staff (yuan)"), max_digits=8, decimal_places=2
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0, outside_rate__gte=0), name="subsidyrate_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} ¥{self.rate}"


class FlexibleHours(models.Model):
    """AS-11 弹性上下班: a duty ending at or after the end of work entitles the teacher to start
    later on the next school day; recorded with who recorded it and when."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    entitled_on = models.DateField(_("later start on"))
    start_at = models.TimeField(_("may start at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-entitled_on", "staff_id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "session"], name="flexiblehours_once")
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.entitled_on} {self.start_at:%H:%M}"


class ParentInspector(models.Model):
    """AS-12: a parent the school appoints to take part in the daily patrols for one term."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "user"], name="parentinspector_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.term}"


class Patrol(models.Model):
    """AS-12 日常巡查: one patrol of one session by the duty leader or a parent inspector."""

    class By(models.TextChoices):
        DUTY_LEADER = "duty_leader", _("Duty leader")
        PARENT = "parent", _("Parent inspector")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by = models.CharField(_("patrolled by"), max_length=12, choices=By.choices)
    staff_present = models.BooleanField(_("staff present"))
    activity_held = models.BooleanField(_("activity held"))
    rules_kept = models.BooleanField(_("rules kept"))
    breaches = models.PositiveSmallIntegerField(_("rule breaches"), default=0)
    bad_influence = models.PositiveSmallIntegerField(_("bad-influence events"), default=0)
    serious_accidents = models.PositiveSmallIntegerField(
        _("accidents with serious consequences"), default=0
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-session__date", "-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "inspector"], name="patrol_once_per_person"),
            models.CheckConstraint(
                condition=~Q(note="") | Q(breaches=0, bad_influence=0, serious_accidents=0),
                name="patrol_deduction_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} −{self.counts.deduction}"

    @property
    def counts(self) -> rules.PatrolCounts:
        return rules.PatrolCounts(self.breaches, self.bad_influence, self.serious_accidents)


class Assessment(models.Model):
    """AS-12 课后托管工作成效: the school's assessment of a programme (0–20) and its evidence."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("effectiveness points"), max_digits=4, decimal_places=1)
    evidence = models.TextField(_("evidence"), max_length=2000)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=0, points__lte=rules.EFFECTIVENESS_POINTS),
                name="assessment_points_0_20",
            ),
            models.CheckConstraint(condition=~Q(evidence=""), name="assessment_has_evidence"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.points}"


class Rating(models.Model):
    """AS-12 满意度: a parent of a pupil with a place in the programme rates it 1–5, one rating per
    parent and programme (a programme belongs to one term); a new answer replaces the old one."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="rating_once"),
            models.CheckConstraint(
                condition=Q(value__gte=rules.RATING_MIN, value__lte=rules.RATING_MAX),
                name="rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.value}"
