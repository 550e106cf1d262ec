"""Writes of the indicators app: the daily roll-up (SV-01) and its stale markers."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from shuangjian.org.models import School

from . import formulas
from .catalogue import INDICATORS, LAST
from .models import DailyFigure, StaleSchool


@transaction.atomic
def refresh(
    *, school_ids: Iterable[int] | None = None, start: date | None = None, end: date | None = None
) -> int:
    """(Re)compute the daily roll-up rows of these schools (default: all) from start to end
    (default: each school's first term start, up to today); returns the rows written.

    The rows of the range are replaced: a day whose records disappeared loses its row."""
    schools = (
        School.objects.all() if school_ids is None else School.objects.filter(id__in=school_ids)
    )
    end = end or timezone.localdate()
    written = 0
    for school in schools.select_related("county").order_by("id"):
        first = start or _first_day(school)
        if first is None or first > end:
            continue
        totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
        for p in formulas.parts(formulas.SchoolData(school, first, end)):
            t = totals[(p.indicator, p.day)]
            t[0] += p.numerator
            t[1] += p.denominator
        rows = [
            DailyFigure(school=school, indicator=ind, date=day, numerator=n, denominator=d)
            for (ind, day), (n, d) in totals.items()
            # A summed figure with nothing in it adds nothing; a snapshot is kept as it is.
            if n or d or INDICATORS[ind].rollup == LAST
        ]
        DailyFigure.objects.filter(school=school, date__range=(first, end)).delete()
        DailyFigure.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written


def _first_day(school: School) -> date | None:
    return school.terms.aggregate(first=Min("start"))["first"]


def mark_stale(*, school_id: int, since: date | None) -> None:
    """Note that the school's roll-ups from `since` on (None: all of them) need recomputing.

    Cheap and lock-free when the marker already covers the day (the usual case)."""
    rows = StaleSchool.objects.filter(school_id=school_id)
    if since is None:
        lowered = rows.filter(since__isnull=False).update(since=None, marked_at=timezone.now())
    else:
        lowered = rows.filter(since__gt=since).update(since=since, marked_at=timezone.now())
    if not lowered and not rows.exists():
        StaleSchool.objects.get_or_create(school_id=school_id, defaults={"since": since})


def refresh_stale(*, today: date | None = None, school_ids: Iterable[int] | None = None) -> int:
    """Recompute the marked schools from their marked day to today, clearing each marker first:
    a change committed after that is marked anew and waits for the next run, none is lost."""
    today = today or timezone.localdate()
    markers = StaleSchool.objects.order_by("school_id")
    if school_ids is not None:
        markers = markers.filter(school_id__in=school_ids)
    written = 0
    for marker in markers:
        StaleSchool.objects.filter(id=marker.id).delete()
        try:
            written += refresh(school_ids=[marker.school_id], start=marker.since, end=today)
        except Exception:
            mark_stale(school_id=marker.school_id, since=marker.since)
            raise
    return written
