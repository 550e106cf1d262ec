"""Writes of the indicators app: the daily roll-up (SV-01) and its stale markers."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from shuangjian.org.models import School, Term

from . import formulas
from .catalogue import INDICATORS, LAST
from .models import DailyFigure, StaleSchool

INSERT_BATCH = 5000  # roll-up rows per INSERT


@transaction.atomic
def refresh(
    *, school_ids: Iterable[int] | None = None, start: date | None = None, end: date | None = None
) -> int:
    """(Re)compute the daily roll-up rows of these schools (default: all) from start to end
    (default: each school's first term start, up to today); returns the rows written.

    The rows of the range are replaced: a day whose records disappeared loses its row.  Schools
    with the same range are computed and written together, a batch at a time."""
    schools = (
        School.objects.all() if school_ids is None else School.objects.filter(id__in=school_ids)
    )
    end = end or timezone.localdate()
    schools = list(schools.select_related("county").order_by("id"))
    firsts = _first_days([s.id for s in schools]) if start is None else {}
    by_first: dict[date, list[School]] = defaultdict(list)
    for school in schools:
        first = start or firsts.get(school.id)
        if first is not None and first <= end:
            by_first[first].append(school)
    written = 0
    for first, group in sorted(by_first.items()):
        for batch in formulas.batches(group, first, end):
            written += _write(batch)
    return written


def _write(batch: formulas.Batch) -> int:
    """Replace the batch's schools' roll-up rows of its period; the rows written."""
    totals: dict[tuple[int, str, date], list[int]] = defaultdict(lambda: [0, 0])
    for sid, p in formulas.iter_parts(batch):
        t = totals[(sid, p.indicator, p.day)]
        t[0] += p.numerator
        t[1] += p.denominator
    as_date = connection.ops.adapt_datefield_value
    rows = [
        (sid, ind, as_date(day), n, d)
        for (sid, ind, day), (n, d) in totals.items()
        # A summed figure with nothing in it adds nothing; a snapshot is kept as it is.
        if n or d or INDICATORS[ind].rollup == LAST
    ]
    DailyFigure.objects.filter(
        school_id__in=batch.ids, date__range=(batch.start, batch.end)
    ).delete()
    _insert(rows)
    return len(rows)


def _insert(rows: list[tuple]) -> None:
    """Insert roll-up rows (school id, indicator, day, numerator, denominator) as `bulk_create`
    writes them (one array per column on PostgreSQL, multi-row VALUES elsewhere), without
    building a model instance for each of a county's hundreds of thousands of plain rows."""
    fields = [
        DailyFigure._meta.get_field(name)
        for name in ("school", "indicator", "date", "numerator", "denominator")
    ]
    table = connection.ops.quote_name(DailyFigure._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
            sql = f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})"
            for n in range(0, len(rows), INSERT_BATCH):
                chunk = rows[n : n + INSERT_BATCH]
                cursor.execute(sql, [[row[i] for row in chunk] for i in range(len(fields))])
            return
        size = max(1, min(INSERT_BATCH, connection.ops.bulk_batch_size(fields, rows)))
        for n in range(0, len(rows), size):
            chunk = rows[n : n + size]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)


def _first_days(school_ids: list[int]) -> dict[int, date]:
    """Each school's first term start (schools without a term are left out)."""
    rows = (
        Term.objects.filter(school_id__in=school_ids)
        .values("school_id")
        .annotate(first=Min("start"))
        .values_list("school_id", "first")
        .order_by()
    )
    return dict(rows)


def mark_stale(*, school_id: int, since: date | None) -> None:
    """Note that the school's roll-ups from `since` on (None: all of them) need recomputing.

    Cheap and lock-free when the marker already covers the day (the usual case): one read."""
    rows = StaleSchool.objects.filter(school_id=school_id)
    marked = rows.values_list("since").first()  # None: no marker; (None,): all days
    if marked is not None and (marked[0] is None or (since is not None and marked[0] <= since)):
        return
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
    by_since: dict[date | None, list[StaleSchool]] = defaultdict(list)
    for marker in markers:  # schools marked from the same day are recomputed as one batch
        by_since[marker.since].append(marker)
    written = 0
    for since, group in by_since.items():
        StaleSchool.objects.filter(id__in=[m.id for m in group]).delete()
        try:
            written += refresh(school_ids=[m.school_id for m in group], start=since, end=today)
        except Exception:
            for m in group:
                mark_stale(school_id=m.school_id, since=m.since)
            raise
    return written
