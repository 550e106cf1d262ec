"""Direct reports (SV-01), bulletins and monthly scheduling (SV-02), good-practice cases (SV-06).

A region's schedule cuts time into periods (e.g. 14 days, "双周").  For each period a school's
figures are frozen into a SchoolReport; the principal submits it, the bureau accepts or returns
it.  A Bulletin is a stored, ranked snapshot of the units under a region for one period.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import Region, School, User
from shuangjian.rules.bulletin import MAX_DUE_DAYS, MAX_PERIOD_DAYS, MIN_PERIOD_DAYS

MAX_TEXT = 2000
MAX_BODY = 20000


class ReportingSchedule(models.Model):
    """How often the schools below a region report, set by a bureau officer of that region."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="schedule")
    first_day = models.DateField(_("first day of the first period"))
    period_days = models.PositiveSmallIntegerField(_("period length in days"))
    due_days = models.PositiveSmallIntegerField(_("days after the period to report"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period_days__gte=MIN_PERIOD_DAYS, period_days__lte=MAX_PERIOD_DAYS),
                name="reporting_schedule_period_days",
            ),
            models.CheckConstraint(
                condition=Q(due_days__lte=MAX_DUE_DAYS), name="reporting_schedule_due_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period_days}"


class Source(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")


class SchoolReport(models.Model):
    """One school's report for one period: the figures are frozen when prepared or received."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # {indicator id: {"numerator", "denominator", "value"}}
    figures = models.JSONField(_("figures"), default=dict)
    # {"version": hash, "indicators": {id: {"name", "formula", "unit", "higher_is_better"}}}
    catalogue = models.JSONField(default=dict)
    frozen_at = models.DateTimeField(_("frozen at"))
    comment = models.TextField(_("comment"), max_length=MAX_TEXT, blank=True)
    source = models.CharField(_("source"), max_length=5, choices=Source.choices, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    late = models.BooleanField(_("late"), default=False)
    return_reason = models.TextField(_("reason for return"), max_length=MAX_TEXT, blank=True)

    class Meta:
        ordering = ["-period_start", "school__code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "period_start"], name="report_once"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="report_period_order"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="returned") | Q(submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.period_start}"


class ReportEvent(models.Model):
    """The history of a report: every freeze, submission, acceptance and return."""

    class Action(models.TextChoices):
        FROZEN = "frozen", _("Figures frozen")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    report = models.ForeignKey(SchoolReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(_("source"), max_length=5, choices=Source.choices)
    note = models.TextField(_("note"), max_length=MAX_TEXT, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report} {self.action}"


class Bulletin(models.Model):
    """A bi-weekly bulletin (双周通报): the ranked snapshot of the units under a region."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="bulletins")
    number = models.PositiveIntegerField(_("number"))  # 第 n 期, per region
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    indicators = models.JSONField(_("indicators"))  # [indicator id, ...]
    snapshot = models.JSONField()  # see selectors.bulletin_view for its shape
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="bulletin_number"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="bulletin_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} #{self.number}"


class GoodPractice(models.Model):
    """A good-practice case (典型案例) a school submits and the bureau publishes (SV-06)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting selection")
        PUBLISHED = "published", _("Published")
        DECLINED = "declined", _("Declined")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="good_practices")
    title = models.CharField(_("title"), max_length=100)
    summary = models.TextField(_("summary"), max_length=MAX_TEXT)
    body = models.TextField(_("full text"), max_length=MAX_BODY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason"), max_length=MAX_TEXT, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(decided_at__isnull=False),
                name="good_practice_decided_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title
