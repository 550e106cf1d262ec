"""Complaints (举报) with owners and deadlines, and the exposure board (曝光台) (SV-03, SV-04).

Who filed a complaint (the real-name flag, the name and the contact) lives on Complaint only.
The school side reads complaints through `selectors.school_cases`, which never touches those
fields; the exposure board's rows hold the bureau's own summary and no link a reader could follow
to the complainant.  The tracking code is stored only as a hash.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import Region, School
from shuangjian.rules import complaints as rules

MAX_DESCRIPTION = 5000
MAX_TEXT = 2000


class Category(models.TextChoices):
    HOMEWORK_OVERLOAD = rules.Category.HOMEWORK_OVERLOAD.value, _("Homework overload")
    PARENT_HOMEWORK = rules.Category.PARENT_HOMEWORK.value, _("Homework set for parents")
    AFTERSCHOOL_FEES = (
        rules.Category.AFTERSCHOOL_FEES.value,
        _("After-school service forced or over-priced"),
    )
    PAID_TUTORING = rules.Category.PAID_TUTORING.value, _("Paid tutoring by serving teachers")
    EXAM_RANKING = rules.Category.EXAM_RANKING.value, _("Exam results ranked")
    PHONE_SLEEP = rules.Category.PHONE_SLEEP.value, _("Phone or sleep rules")
    OTHER = rules.Category.OTHER.value, _("Other")


class Status(models.TextChoices):
    RECEIVED = rules.Status.RECEIVED.value, _("Received")
    ASSIGNED = rules.Status.ASSIGNED.value, _("Assigned")
    VERIFYING = rules.Status.VERIFYING.value, _("Being verified")
    FINDING = rules.Status.FINDING.value, _("Awaiting the finding")
    RECTIFYING = rules.Status.RECTIFYING.value, _("Being rectified")
    CLOSED = rules.Status.CLOSED.value, _("Closed")


class Finding(models.TextChoices):
    SUBSTANTIATED = rules.Finding.SUBSTANTIATED.value, _("Substantiated")
    PARTLY = rules.Finding.PARTLY.value, _("Partly substantiated")
    NOT_SUBSTANTIATED = rules.Finding.NOT_SUBSTANTIATED.value, _("Not substantiated")


class Complaint(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="complaints")
    # The bureau that handles it: the school's county when the complaint was filed.
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="complaints")
    description = models.TextField(_("what happened"), max_length=MAX_DESCRIPTION)
    # The facts as the school is shown them: the bureau's reviewed copy of the description.
    description_for_school = models.TextField(
        _("facts for the school"), max_length=MAX_DESCRIPTION, blank=True
    )
    # Who filed: seen by the bureau only.
    real_name = models.BooleanField(_("real-name complaint"), default=False)
    complainant_name = models.CharField(_("your name"), max_length=50, blank=True)
    complainant_contact = models.CharField(_("contact for replies"), max_length=100, blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_complaints",
    )
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    filed_on = models.DateField(_("filed on"))
    limit_days = models.PositiveSmallIntegerField(_("handling limit (working days)"))
    deadline = models.DateField(_("deadline"))
    paused_since = models.DateField(_("waiting for the complainant since"), null=True, blank=True)

    school_report = models.TextField(_("school's verification"), max_length=MAX_TEXT, blank=True)
    school_reported_at = models.DateTimeField(null=True, blank=True)
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices, blank=True)
    finding_text = models.TextField(_("grounds of the finding"), max_length=MAX_TEXT, blank=True)
    rectification_required = models.TextField(
        _("rectification required"), max_length=MAX_TEXT, blank=True
    )
    rectification = models.TextField(_("rectification report"), max_length=MAX_TEXT, blank=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("reply to the complainant"), max_length=MAX_TEXT, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    special_supervision = models.BooleanField(_("special supervision (挂牌督办)"), default=False)
    escalated_to = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_complaints",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(fields=["county", "status"]),
            models.Index(fields=["school", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="complaint_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(real_name=False) | ~Q(complainant_name=""),
                name="complaint_real_name_has_name",
            ),
            models.CheckConstraint(
                condition=Q(real_name=True) | Q(complainant_name=""),
                name="complaint_anonymous_has_no_name",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False),
                name="complaint_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("filed_on")),
                name="complaint_deadline_after_filing",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.school} {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def is_overdue(self, today) -> bool:
        return self.is_open and rules.is_overdue(self.deadline, today, self.paused_since)


class ComplaintPause(models.Model):
    """A stretch during which the bureau waited for the complainant: the clock stops."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="pauses")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="complaintpause_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(end__isnull=True),
                name="complaintpause_one_open",
            ),
        ]


class ComplaintEvent(models.Model):
    """Every step of a case.  `side` says whose words the note is: the school never sees the
    complainant's, and the public timeline shows only the steps meant for the complainant."""

    class Side(models.TextChoices):
        COMPLAINANT = "complainant", _("Complainant")
        BUREAU = "bureau", _("Bureau")
        SCHOOL = "school", _("School")
        SYSTEM = "system", _("System")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=12, choices=Side.choices)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """complaints/YYYY/MM/<random>.<ext>: the original name is kept in the row, not the path."""
    ext = PurePosixPath(filename).suffix.lower()
    now = timezone.localtime()
    return f"complaints/{now:%Y/%m}/{uuid.uuid4().hex}{ext}"


class Attachment(models.Model):
    """A photo or PDF sent with a complaint; the bureau sees it, the school does not."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=50)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class HandlingLimit(models.Model):
    """A region's own (shorter) handling limit for the complaints of the schools below it."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="complaint_limit")
    working_days = models.PositiveSmallIntegerField(_("handling limit (working days)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    working_days__gte=1, working_days__lte=rules.DEFAULT_LIMIT_WORKING_DAYS
                ),
                name="handlinglimit_not_looser",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.working_days}"


class ExposureCase(models.Model):
    """A substantiated case the bureau publishes (曝光台).  Only the bureau's own words: no field
    here holds, or leads a reader to, the complainant or a pupil."""

    # For the bureau only (never rendered publicly); the case stays if the complaint goes.
    complaint = models.ForeignKey(
        Complaint, on_delete=models.SET_NULL, null=True, blank=True, related_name="exposures"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="exposure_cases")
    school_name = models.CharField(_("school"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("title"), max_length=100)
    summary = models.TextField(_("summary"), max_length=MAX_TEXT)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["region", "published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(complaint__isnull=False),
                name="exposure_one_per_complaint",
            ),
        ]

    def __str__(self) -> str:
        return self.title
