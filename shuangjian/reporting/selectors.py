"""Reads for direct reports, the bureau's overview, bulletins, monthly scheduling and cases."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.indicators.catalogue import INDICATORS, Indicator
from shuangjian.indicators.selectors import schools_below, unit_figures
from shuangjian.org.models import Region, School
from shuangjian.rules import bulletin as rules

from .models import Bulletin, GoodPractice, ReportingSchedule, SchoolReport

Status = SchoolReport.Status
SUBMITTED = (Status.SUBMITTED, Status.ACCEPTED)
RECENT_PERIODS = 12


def schedule_for(school_or_region: School | Region) -> ReportingSchedule | None:
    """The schedule of the nearest region at or above (a county's own before its city's)."""
    region = school_or_region.county if isinstance(school_or_region, School) else school_or_region
    chain = region.ancestors_and_self()
    found = {s.region_id: s for s in ReportingSchedule.objects.filter(region__in=chain)}
    return next((found[r.id] for r in chain if r.id in found), None)


def recent_periods(school_or_region, today: date | None = None) -> list[rules.Period]:
    schedule = schedule_for(school_or_region)
    if schedule is None:
        return []
    periods = rules.ended_periods(
        schedule.first_day, schedule.period_days, schedule.due_days, today or timezone.localdate()
    )
    return periods[:RECENT_PERIODS]


def _schools(region: Region) -> list[School]:
    """The schools below `region` with their county: only what a row needs (no pupil counts)."""
    return list(schools_below(region).select_related("county").order_by("county__code", "code"))


def main_indicators() -> list[str]:
    return [i.id for i in INDICATORS.values() if i.main]


def rate(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


# -- One school's reports -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    period: rules.Period
    report: SchoolReport | None


def school_periods(school: School, today: date | None = None) -> list[PeriodRow]:
    periods = recent_periods(school, today)
    reports = {
        r.period_start: r
        for r in SchoolReport.objects.filter(
            school=school, period_start__in=[p.start for p in periods]
        )
    }
    return [PeriodRow(p, reports.get(p.start)) for p in periods]


@dataclass(frozen=True)
class FigureRow:
    indicator: Indicator | None
    id: str
    numerator: float | None
    denominator: float | None
    value: float | None


def figure_rows(figures: dict) -> list[FigureRow]:
    """A report's frozen figures in catalogue order; IDs no longer in the catalogue last."""
    ids = [i for i in INDICATORS if i in figures] + [i for i in figures if i not in INDICATORS]
    return [
        FigureRow(
            INDICATORS.get(i),
            i,
            figures[i].get("numerator"),
            figures[i].get("denominator"),
            figures[i].get("value"),
        )
        for i in ids
    ]


def report_of(school: School, period_start: date) -> SchoolReport | None:
    return (
        SchoolReport.objects.filter(school=school, period_start=period_start)
        .prefetch_related("events__by")
        .first()
    )


# -- The bureau's overview of a period ----------------------------------------------------------


@dataclass
class OverviewRow:
    name: str
    school: School | None = None  # a school row links to its report
    region: Region | None = None  # a region row links to its own overview
    report: SchoolReport | None = None
    expected: int = 0
    on_time: int = 0
    late: int = 0
    returned: int = 0

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def reporting_rate(self) -> float | None:
        return rate(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.expected)

    def add(self, report: SchoolReport | None) -> None:
        self.expected += 1
        if report is not None and report.status in SUBMITTED:
            if report.late:
                self.late += 1
            else:
                self.on_time += 1
        elif report is not None and report.status == Status.RETURNED:
            self.returned += 1


@dataclass
class Overview:
    region: Region
    period: rules.Period | None
    overdue: bool  # the due date has passed: unsubmitted reports are missing, not pending
    rows: list[OverviewRow] = field(default_factory=list)
    total: OverviewRow = field(default_factory=lambda: OverviewRow(name=""))


def _unit_of(school: School, region: Region) -> int:
    """The id of the unit directly under `region` that holds `school`."""
    county = school.county
    if region.level == Region.Level.COUNTY:
        return school.id
    if county.parent_id == region.id:
        return county.id
    return county.parent_id


def period_overview(region: Region, period: rules.Period | None, today=None) -> Overview:
    """Submitted / late / missing for the units directly under `region` (schools of a county;
    counties of a city, with their rates)."""
    today = today or timezone.localdate()
    ov = Overview(region, period, overdue=period is not None and period.due < today)
    if period is None:
        return ov
    schools = _schools(region)
    reports = {
        r.school_id: r
        for r in SchoolReport.objects.filter(
            school__in=[s.id for s in schools], period_start=period.start
        )
    }
    if region.level == Region.Level.COUNTY:
        rows = {s.id: OverviewRow(name=s.name, school=s, report=reports.get(s.id)) for s in schools}
    else:
        rows = {r.id: OverviewRow(name=r.name, region=r) for r in region.children.order_by("code")}
    for s in schools:
        row = rows.get(_unit_of(s, region))
        if row is not None:
            row.add(reports.get(s.id))
        ov.total.add(reports.get(s.id))
    ov.rows = list(rows.values())
    return ov


# -- Bulletins ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulletinRow:
    key: str
    kind: str  # "school" or "region": where the figure's records are opened
    unit_id: int
    name: str
    rank: int | None
    value: float | None
    numerator: float | None
    denominator: float | None
    bottom: bool
    missing: tuple[str, ...]
    rank_change: int | None
    value_change: float | None
    entered_bottom: bool
    left_bottom: bool


@dataclass(frozen=True)
class BulletinTable:
    id: str  # an indicator ID, or "composite"
    indicator: Indicator | None  # None for the composite ordering
    rows: list[BulletinRow]

    @property
    def bottom(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.bottom]

    @property
    def no_data(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.rank is None]

    @property
    def entered(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.entered_bottom]


@dataclass(frozen=True)
class BulletinView:
    bulletin: Bulletin
    previous: Bulletin | None
    tables: list[BulletinTable]

    @property
    def title(self) -> str:
        return _("%(region)s Double Reduction bi-weekly bulletin No. %(number)d") % {
            "region": self.bulletin.region.name,
            "number": self.bulletin.number,
        }


def _ranked(rows: list[dict]) -> list[rules.Ranked]:
    return [
        rules.Ranked(r["key"], r["value"], r["rank"], r["bottom"], tuple(r["missing"]))
        for r in rows
    ]


def _table(table_id, indicator, rows, previous_rows, snapshot) -> BulletinTable:
    current = _ranked(rows)
    ch = rules.changes(current, _ranked(previous_rows) if previous_rows is not None else None)
    out = []
    for r in current:
        fig = snapshot["figures"].get(r.key, {}).get(table_id, {}) if indicator else {}
        c = ch[r.key]
        out.append(
            BulletinRow(
                key=r.key,
                kind=snapshot["units"][r.key]["kind"],
                unit_id=snapshot["units"][r.key]["id"],
                name=snapshot["units"][r.key]["name"],
                rank=r.rank,
                value=r.value,
                numerator=fig.get("numerator"),
                denominator=fig.get("denominator"),
                bottom=r.bottom,
                missing=r.missing,
                rank_change=c.rank_change,
                value_change=c.value_change,
                entered_bottom=c.entered_bottom,
                left_bottom=c.left_bottom,
            )
        )
    return BulletinTable(table_id, indicator, out)


def bulletin_view(bulletin: Bulletin) -> BulletinView:
    """The bulletin's tables, each compared with the same table of the previous bulletin."""
    snap = bulletin.snapshot
    previous = bulletin.previous
    before = previous.snapshot if previous is not None else None
    tables = []
    if snap["composite"]:
        prev = before["composite"] if before and before["composite"] else None
        tables.append(_table("composite", None, snap["composite"], prev, snap))
    for i in bulletin.indicators:
        prev = before["rankings"].get(i) if before else None
        tables.append(_table(i, INDICATORS.get(i), snap["rankings"][i], prev, snap))
    return BulletinView(bulletin, previous, tables)


def bulletins_of(region: Region) -> QuerySet[Bulletin]:
    return Bulletin.objects.filter(region=region).select_related("issued_by")


# -- Monthly scheduling (每月调度) --------------------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


@dataclass(frozen=True)
class MonthlyCell:
    indicator: str
    value: float | None
    change: float | None  # month on month


@dataclass(frozen=True)
class MonthlyRow:
    kind: str  # "school" or "region": where the figures' records are opened
    unit_id: int
    name: str
    cells: list[MonthlyCell]
    reporting: OverviewRow  # reports of the periods ending in the month


@dataclass(frozen=True)
class Monthly:
    month: date
    month_end: date
    previous_month: date
    indicators: list[Indicator]
    rows: list[MonthlyRow]
    periods: list[rules.Period]


def monthly(region: Region, month: date) -> Monthly:
    """Per unit under `region`: the main indicators this month, the change since last month, and
    the reporting rate of the periods that ended in the month."""
    start, end = month_bounds(month)
    prev_start, prev_end = month_bounds(start - timedelta(days=1))
    ids = main_indicators()
    now = unit_figures(region, start, end)
    before = {(u.kind, u.id): f for u, f in unit_figures(region, prev_start, prev_end).items()}
    schedule = schedule_for(region)
    periods = []
    if schedule is not None:
        all_periods = rules.ended_periods(
            schedule.first_day, schedule.period_days, schedule.due_days, end + timedelta(days=1)
        )
        periods = [p for p in all_periods if start <= p.end <= end]
    schools = _schools(region)
    reports = {
        (r.school_id, r.period_start): r
        for r in SchoolReport.objects.filter(
            school__in=[s.id for s in schools], period_start__in=[p.start for p in periods]
        )
    }
    reporting: dict[int, OverviewRow] = {}
    for s in schools:
        row = reporting.setdefault(_unit_of(s, region), OverviewRow(name=""))
        for p in periods:
            row.add(reports.get((s.id, p.start)))
    rows = []
    for unit, figs in sorted(now.items(), key=lambda kv: kv[0].name):
        old = before.get((unit.kind, unit.id), {})
        cells = []
        for i in ids:
            value = figs[i].value if i in figs else None
            was = old[i].value if i in old else None
            change = value - was if value is not None and was is not None else None
            cells.append(MonthlyCell(i, value, change))
        rows.append(
            MonthlyRow(
                unit.kind, unit.id, unit.name, cells, reporting.get(unit.id, OverviewRow(name=""))
            )
        )
    return Monthly(start, end, prev_start, [INDICATORS[i] for i in ids], rows, periods)


# -- Good-practice cases ------------------------------------------------------------------------


def cases_below(region: Region) -> QuerySet[GoodPractice]:
    return GoodPractice.objects.filter(
        Q(school__county=region)
        | Q(school__county__parent=region)
        | Q(school__county__parent__parent=region)
    ).select_related("school")


def published_cases(region: Region) -> QuerySet[GoodPractice]:
    return cases_below(region).filter(status=GoodPractice.Status.PUBLISHED)
