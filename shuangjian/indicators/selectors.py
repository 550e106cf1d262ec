"""Reads of the supervision indicators (SV-01): figures of schools and regions from the daily
roll-ups, the reference recomputation from the raw records, weekly trends and the drill-down
from a school to its grades, classes and the records behind a figure."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max, Sum

from shuangjian.org.grades import class_label, grade_label
from shuangjian.org.models import Region, School

from . import formulas
from .catalogue import INDICATORS, LAST, PERCENT, SUM, Indicator
from .models import DailyFigure

MAX_DAYS = 400  # the longest period a page or the API sums (a school year and a bit)


@dataclass(frozen=True)
class Figure:
    indicator: str
    numerator: float
    denominator: float | None  # None for "count" indicators

    @property
    def value(self) -> float | None:
        """percent: 100·num/den (None when den is 0: no data); count: the numerator."""
        if self.denominator is None:
            return self.numerator
        return 100 * self.numerator / self.denominator if self.denominator else None

    @property
    def meets_target(self) -> bool | None:
        target, value = INDICATORS[self.indicator].target, self.value
        if target is None or value is None:
            return None
        better = INDICATORS[self.indicator].higher_is_better
        return value >= target if better else value <= target


@dataclass(frozen=True)
class Unit:
    kind: str  # "school" or "region"
    id: int
    name: str


Totals = dict[str, list[int]]  # indicator → [numerator, denominator]


def _figures(totals: Totals) -> dict[str, Figure]:
    """Every indicator, in catalogue order; an indicator without rows has 0 / 0."""
    out = {}
    for ind_id, ind in INDICATORS.items():
        n, d = totals.get(ind_id, (0, 0))
        out[ind_id] = Figure(ind_id, float(n), float(d) if ind.unit == PERCENT else None)
    return out


def _add(into: Totals, ind: str, n: int, d: int) -> None:
    t = into.setdefault(ind, [0, 0])
    t[0] += n
    t[1] += d


def _ids(ids: Iterable[int]) -> list[int]:
    return sorted(set(ids))


def _rollup_totals(school_ids: list[int], start: date, end: date) -> dict[int, Totals]:
    """Per school: summed indicators over the period, snapshots at each school's last day."""
    out: dict[int, Totals] = {sid: {} for sid in school_ids}
    in_period = DailyFigure.objects.filter(school_id__in=school_ids, date__range=(start, end))
    summed = [i for i, ind in INDICATORS.items() if ind.rollup == SUM]
    for sid, ind, n, d in (
        in_period.filter(indicator__in=summed)
        .values("school_id", "indicator")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .values_list("school_id", "indicator", "n", "d")
        .order_by()
    ):
        _add(out[sid], ind, n, d)
    snapshots = in_period.exclude(indicator__in=summed)
    last = {
        (sid, ind): day
        for sid, ind, day in snapshots.values("school_id", "indicator")
        .annotate(last=Max("date"))
        .values_list("school_id", "indicator", "last")
        .order_by()
    }
    if last:
        rows = snapshots.filter(date__in=set(last.values())).values_list(
            "school_id", "indicator", "date", "numerator", "denominator"
        )
        for sid, ind, day, n, d in rows:
            if last[(sid, ind)] == day:
                _add(out[sid], ind, n, d)
    return out


def _check(start: date, end: date) -> None:
    if end < start:
        raise ValueError("end is before start")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"a period is at most {MAX_DAYS} days")


def school_figures(school_ids, start: date, end: date) -> dict[int, dict[str, Figure]]:
    """Each school's figures over the period, from the daily roll-ups (empty → value None)."""
    _check(start, end)
    totals = _rollup_totals(_ids(school_ids), start, end)
    return {sid: _figures(t) for sid, t in totals.items()}


def sum_parts(parts: Iterable[formulas.Part]) -> Totals:
    """Summed indicators added up; snapshots taken on the last day that has parts."""
    parts = list(parts)
    last: dict[str, date] = {}
    for p in parts:
        if INDICATORS[p.indicator].rollup == LAST and p.day > last.get(p.indicator, date.min):
            last[p.indicator] = p.day
    totals: Totals = {}
    for p in parts:
        if INDICATORS[p.indicator].rollup == SUM or p.day == last[p.indicator]:
            _add(totals, p.indicator, p.numerator, p.denominator)
    return totals


def recompute_figures(school_ids, start: date, end: date) -> dict[int, dict[str, Figure]]:
    """The same figures as `school_figures`, from the raw records (never the roll-up table),
    computed for batches of schools at a time."""
    _check(start, end)
    out = {}
    schools = School.objects.filter(id__in=_ids(school_ids)).select_related("county")
    for batch in formulas.batches(list(schools.order_by("id")), start, end):
        for sid, parts in formulas.batch_parts(batch).items():
            out[sid] = _figures(sum_parts(parts))
    return out


# -- Regions -----------------------------------------------------------------------------------


def schools_below(region: Region):
    """Schools of the region (a county's own, or those of the counties below a city/province)."""
    if region.level == Region.Level.COUNTY:
        return School.objects.filter(county=region)
    if region.level == Region.Level.CITY:
        return School.objects.filter(county__parent=region)
    return School.objects.filter(county__parent__parent=region)


def _unit_of_school(region: Region, school: School) -> Unit:
    if region.level == Region.Level.COUNTY:
        return Unit("school", school.id, school.name)
    child = school.county if region.level == Region.Level.CITY else school.county.parent
    return Unit("region", child.id, child.name)


def unit_figures(region: Region, start: date, end: date) -> dict[Unit, dict[str, Figure]]:
    """The units directly under the region (a county's schools, a city's counties, a province's
    cities), each the sum of its schools' roll-ups over the period."""
    _check(start, end)
    schools = list(schools_below(region).select_related("county__parent").order_by("code"))
    if region.level == Region.Level.COUNTY:
        units = [_unit_of_school(region, s) for s in schools]
    else:
        children = region.children.order_by("code")
        units = [Unit("region", r.id, r.name) for r in children]
    per_school = _rollup_totals([s.id for s in schools], start, end)
    totals: dict[Unit, Totals] = {u: {} for u in units}
    for s in schools:
        unit_totals = totals.setdefault(_unit_of_school(region, s), {})
        for ind, (n, d) in per_school[s.id].items():
            _add(unit_totals, ind, n, d)
    return {u: _figures(t) for u, t in totals.items()}


def total_figures(units: dict) -> dict[str, Figure]:
    """The sum of several units' (or schools') figures: a region's own figure."""
    totals: Totals = {}
    for figures in units.values():
        for ind, f in figures.items():
            _add(totals, ind, int(f.numerator), int(f.denominator or 0))
    return _figures(totals)


# -- Trends ------------------------------------------------------------------------------------


@dataclass
class Week:
    start: date
    end: date
    figures: dict[str, Figure]


def weekly(school_ids, start: date, end: date) -> list[Week]:
    """The schools' summed figures per week (Monday–Sunday, cut to the period)."""
    _check(start, end)
    ids = _ids(school_ids)
    out = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        lo, hi = max(start, monday), min(end, monday + timedelta(days=6))
        out.append(Week(lo, hi, total_figures(school_figures(ids, lo, hi))))
        monday += timedelta(days=7)
    return out


# -- Drill-down --------------------------------------------------------------------------------


@dataclass
class DrillRow:
    label: str
    figure: Figure
    grade: int | None = None
    class_id: int | None = None


@dataclass
class Drill:
    """One level of the way down from a school's figure to its records: the figure, and either
    the rows one level below (grades, classes) or the records themselves."""

    school: School
    indicator: Indicator
    start: date
    end: date
    level: str  # "school", "grade" or "class"
    figure: Figure
    days: list[date]  # the days behind the figure (a snapshot: its one day)
    grade: int | None = None
    class_label: str = ""
    rows: list[DrillRow] = field(default_factory=list)
    records: formulas.Records | None = None


def drill(
    school: School, indicator: str, start: date, end: date, *, grade=None, class_id=None
) -> Drill:
    """The figure of the school (or of one grade, or one class) from the raw records, with the
    level below it; the rows add up to the figure at every level."""
    _check(start, end)
    ind = INDICATORS[indicator]
    data = formulas.SchoolData(school, start, end)
    parts = data.parts(indicator)
    if ind.rollup == LAST:
        last = max((p.day for p in parts), default=None)
        parts = [p for p in parts if p.day == last]
        days = [last] if last else []
    else:
        days = data.days
    if class_id is not None:
        klass = data.classes.get(class_id)
        if klass is None or ind.level != "class":
            raise LookupError("no such class in the school")
        grade = klass.grade
        parts = [p for p in parts if p.class_id == class_id]
    elif grade is not None:
        if ind.level != "class":
            raise LookupError("this indicator is not kept per grade")
        parts = [p for p in parts if p.class_id and data.classes[p.class_id].grade == grade]
    out = Drill(
        school=school,
        indicator=ind,
        start=start,
        end=end,
        level="class" if class_id is not None else "grade" if grade is not None else "school",
        figure=_figures(sum_parts(parts))[indicator],
        days=days,
        grade=grade,
    )
    if class_id is not None:
        out.class_label = str(data.classes[class_id])
    if ind.level == "school" or class_id is not None:
        out.records = formulas.records(data, indicator, class_id, days) if days else None
        return out
    groups: dict[tuple, list[formulas.Part]] = defaultdict(list)
    for p in parts:
        klass = data.classes[p.class_id]
        key = (klass.grade, klass.number, klass.id) if grade is not None else (klass.grade,)
        groups[key].append(p)
    for key in sorted(groups):
        figure = _figures(sum_parts(groups[key]))[indicator]
        if grade is None:
            out.rows.append(DrillRow(str(grade_label(key[0])), figure, grade=key[0]))
        else:
            out.rows.append(DrillRow(class_label(key[0], key[1]), figure, key[0], key[2]))
    return out
