"""The after-school afternoon (AS-08, AS-09): sessions held, hand-over, sign-in, leave, dismissal,
safety notices and the gate log."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shuangjian.afterschool.models import Programme
from shuangjian.org.models import School, SchoolClass, Student


class Session(models.Model):
    """One afternoon of one programme, opened from its weekly slot on a school day.

    Its attendance rows are the programme's allocated pupils on that day; closing the session
    (the end-of-day reconciliation) puts every row into exactly one final state.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "start", "programme_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "date", "start"], name="session_one_per_slot_and_day"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return f"{self.programme} {self.date:%Y-%m-%d} {self.start:%H:%M}"


class Attendance(models.Model):
    """One allocated pupil in one session (AS-08); its state follows rules.dismissal."""

    class State(models.TextChoices):
        EXPECTED = "expected", _("Expected")
        HANDED_OVER = "handed_over", _("Handed over")
        PRESENT = "present", _("Present")
        RELEASED = "released", _("Released")
        ON_LEAVE = "on_leave", _("On leave")
        ABSENT_NOTIFIED = "absent_notified", _("Absence notified")
        ABSENT_UNEXPLAINED = "absent_unexplained", _("Absent, unexplained")

    class ReleaseMode(models.TextChoices):
        GUARDIAN = "guardian", _("To a named guardian")
        ALONE = "alone", _("Home alone (parent consent)")
        BUS = "bus", _("School bus")
        EXTENDED_CARE = "extended_care", _("Extended care")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.EXPECTED
    )
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_mode = models.CharField(
        _("release mode"), max_length=15, choices=ReleaseMode.choices, blank=True
    )
    guardian_name = models.CharField(_("collected by"), max_length=50, blank=True)
    late_pickup = models.BooleanField(_("late pick-up"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "expected",
                        "handed_over",
                        "present",
                        "released",
                        "on_leave",
                        "absent_notified",
                        "absent_unexplained",
                    ]
                ),
                name="attendance_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(state="released")
                | (Q(released_at__isnull=False) & ~Q(release_mode="")),
                name="attendance_release_has_time_and_mode",
            ),
            models.CheckConstraint(
                condition=~Q(release_mode="guardian") | ~Q(guardian_name=""),
                name="attendance_guardian_named",
            ),
        ]
        indexes = [models.Index(fields=["session", "state"])]

    def __str__(self) -> str:
        return f"{self.session_id} {self.student_id} {self.state}"


class AttendanceEvent(models.Model):
    """History of one attendance row: who changed it, when, from which state to which."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(_("event"), max_length=20)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.attendance_id} {self.from_state}→{self.to_state}"


class Handover(models.Model):
    """The head teacher hands a class's staying pupils to the care teacher (one per session and
    class)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="handovers")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    pupils = models.PositiveIntegerField(_("pupils handed over"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["session", "school_class"]
        constraints = [
            models.UniqueConstraint(fields=["session", "school_class"], name="handover_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.school_class_id}"


class LeaveRequest(models.Model):
    """A parent's leave request for one child and day: the whole afternoon, or leaving early at
    a time.  Parent → head teacher (approves or refuses with a reason) → care teacher
    (acknowledges)."""

    class Kind(models.TextChoices):
        WHOLE = "whole", _("Whole afternoon")
        EARLY = "early", _("Leave early")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the head teacher")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    leave_at = models.TimeField(_("leaving at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason for refusal"), max_length=300, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "date"],
                condition=Q(status__in=["pending", "approved"]),
                name="leave_one_active_per_day",
            ),
            models.CheckConstraint(
                condition=Q(kind="whole", leave_at__isnull=True)
                | Q(kind="early", leave_at__isnull=False),
                name="leave_early_has_time",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="leave_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(decision_reason=""),
                name="leave_refusal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["date", "status"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.date} {self.kind} ({self.status})"


class ReleaseConsent(models.Model):
    """A parent's recorded consent that the child may go home alone after the service."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(revoked_at__isnull=True),
                name="releaseconsent_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.given_at:%Y-%m-%d}"


class SafetyNotice(models.Model):
    """AS-09: a bad-weather or emergency notice to the parents of a school, grade or programme;
    every parent reached gets a receipt row, marked when they read it."""

    class Kind(models.TextChoices):
        WEATHER = "weather", _("Bad weather")
        EMERGENCY = "emergency", _("Emergency")

    class Scope(models.TextChoices):
        SCHOOL = "school", _("Whole school")
        GRADE = "grade", _("One grade")
        PROGRAMME = "programme", _("One programme")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    scope = models.CharField(_("sent to"), max_length=10, choices=Scope.choices)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=2000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="school", grade__isnull=True, programme__isnull=True)
                | Q(scope="grade", grade__isnull=False, programme__isnull=True)
                | Q(scope="programme", grade__isnull=True, programme__isnull=False),
                name="safetynotice_scope_target",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="safetynotice_has_title"),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeReceipt(models.Model):
    notice = models.ForeignKey(SafetyNotice, on_delete=models.CASCADE, related_name="receipts")
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "parent"], name="receipt_once_per_parent")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.parent_id}"


class GateEntry(models.Model):
    """AS-09: a person entering the school during the service (对学生进出学校进行专门登记)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    purpose = models.CharField(_("purpose"), max_length=200)
    host = models.CharField(_("visiting"), max_length=50)
    time_in = models.DateTimeField(_("time in"))
    time_out = models.DateTimeField(_("time out"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-time_in", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_out__isnull=True) | Q(time_out__gte=F("time_in")),
                name="gateentry_out_after_in",
            ),
        ]
        indexes = [models.Index(fields=["school", "time_in"])]

    def __str__(self) -> str:
        return f"{self.name} {self.time_in:%Y-%m-%d %H:%M}"
