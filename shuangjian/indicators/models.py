"""Daily roll-ups of the supervision indicators (SV-01) and the marker of days to recompute."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import School


class DailyFigure(models.Model):
    """One indicator of one school on one day: numerator and denominator (0 for counts).

    Written only by `services.refresh`; region figures are sums of these rows."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("day"))
    indicator = models.CharField(_("indicator"), max_length=30)
    numerator = models.PositiveIntegerField(_("numerator"))
    denominator = models.PositiveIntegerField(_("denominator"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "indicator", "date"], name="dailyfigure_one_per_school_day"
            ),
        ]
        # Region and period sums: all schools, some indicators, a date range.
        indexes = [models.Index(fields=["indicator", "date"], name="dailyfigure_ind_date")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.date} {self.indicator} {self.numerator}/{self.denominator}"


class StaleSchool(models.Model):
    """A school whose roll-ups from `since` on no longer match its records (written by the
    signals in `signals.py`, cleared by `services.refresh_stale`).  since=None: every day held."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    since = models.DateField(null=True, blank=True)
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.school_id} since {self.since}"
