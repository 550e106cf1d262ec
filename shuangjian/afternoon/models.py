"""The after-school afternoon (AS-08, AS-09): sessions held, hand-over, sign-in, leave, dismissal,
safety notices and the gate log."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shuangjian.afterschool.models import Programme
from shuangjian.org.models import School


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
