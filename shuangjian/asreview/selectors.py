"""Reads for after-school teachers and inspection (AS-11, AS-12).

A session "held" is an afternoon.Session that was not cancelled; it counts for its programme's
lead, each assistant, and the programme's outside teacher.  "Staff" for the load spread and the
participation rate is every active staff member of the school (seed 001 篇七: 原则上全体教职工都要
参加校内服务工作); outside staff are paid a subsidy but are not part of those two figures.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from shuangjian.afternoon.models import Session
from shuangjian.afterschool import selectors as as_selectors
from shuangjian.afterschool.models import Enrolment, OutsideStaff, Programme, ProgrammeSlot
from shuangjian.org.models import School, Staff, Term
from shuangjian.org.selectors import school_calendar
from shuangjian.reporting.selectors import month_bounds
from shuangjian.rules import inspection as rules

from .models import (
    Assessment,
    FlexibleHours,
    ParentInspector,
    Patrol,
    Rating,
    SubsidyRate,
)

MAX_LOAD_DAYS = 190  # about a term


def chosen_term(school: School, term_id: int | None, today: date) -> Term | None:
    """The school's term with that id, or its current term when none was asked for."""
    if term_id is not None:
        return as_selectors.term_of(school, term_id)
    return as_selectors.current_term(school, today)


def held_sessions(school: School, start: date, end: date):
    return Session.objects.filter(school=school, date__gte=start, date__lte=end).exclude(
        status=Session.Status.CANCELLED
    )


@dataclass(frozen=True)
class Teachers:
    """Who teaches each programme: school staff ids and the outside teacher's id."""

    staff: dict[int, set[int]]
    outside: dict[int, int]


def programme_teachers(programme_ids) -> Teachers:
    ids = set(programme_ids)
    staff: dict[int, set[int]] = defaultdict(set)
    outside: dict[int, int] = {}
    for pid, lead_id, outside_id in Programme.objects.filter(id__in=ids).values_list(
        "id", "lead_id", "outside_staff_id"
    ):
        staff[pid].add(lead_id)
        if outside_id:
            outside[pid] = outside_id
    through = Programme.assistants.through.objects.filter(programme_id__in=ids)
    for pid, staff_id in through.values_list("programme_id", "staff_id"):
        staff[pid].add(staff_id)
    return Teachers(staff=staff, outside=outside)


def _staff_counts(sessions) -> Counter:
    """Held sessions per school staff member."""
    rows = list(sessions.values_list("programme_id", flat=True))
    teachers = programme_teachers(set(rows))
    counts: Counter = Counter()
    for pid in rows:
        for staff_id in teachers.staff.get(pid, ()):
            counts[staff_id] += 1
    return counts


def active_staff(school: School) -> list[Staff]:
    return list(Staff.objects.filter(school=school, active=True).order_by("staff_no"))


# -- Load (AS-11) -------------------------------------------------------------------------------


@dataclass
class LoadRow:
    staff: Staff
    per_week: list[int]
    total: int
    above: bool
    below: bool


@dataclass
class Load:
    start: date
    end: date
    weeks: list[date]  # the Monday of each week in the range
    rows: list[LoadRow]
    spread: rules.Spread | None

    @property
    def mean_per_week(self) -> float | None:
        if self.spread is None or not self.weeks:
            return None
        return round(self.spread.mean / len(self.weeks), 1)


def check_load_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationError({"end": [_("The end must not be before the start.")]})
    if (end - start).days > MAX_LOAD_DAYS:
        raise ValidationError({"end": [_("Choose at most 190 days.")]})


def teacher_load(school: School, start: date, end: date) -> Load:
    """Held sessions per staff member per week over [start, end], and their spread."""
    first_monday = start - timedelta(days=start.weekday())
    weeks = [first_monday + timedelta(weeks=i) for i in range((end - first_monday).days // 7 + 1)]
    per: dict[int, Counter] = defaultdict(Counter)
    sessions = list(held_sessions(school, start, end).values_list("programme_id", "date"))
    teachers = programme_teachers({pid for pid, _d in sessions})
    for pid, day in sessions:
        monday = day - timedelta(days=day.weekday())
        for staff_id in teachers.staff.get(pid, ()):
            per[staff_id][monday] += 1
    people = active_staff(school)
    totals = [sum(per[s.id].values()) for s in people]
    stats = rules.spread(totals)
    rows = [
        LoadRow(
            staff=s,
            per_week=[per[s.id][w] for w in weeks],
            total=t,
            above=stats.above(t) if stats else False,
            below=stats.below(t) if stats else False,
        )
        for s, t in zip(people, totals, strict=True)
    ]
    rows.sort(key=lambda r: (-r.total, r.staff.staff_no))
    return Load(start=start, end=end, weeks=weeks, rows=rows, spread=stats)


# -- Subsidy (AS-11) ----------------------------------------------------------------------------


@dataclass
class SubsidyRow:
    name: str
    staff_no: str  # "" for outside staff
    outside: bool
    sessions: int
    amount: Decimal
    without_rate: int  # sessions of a term with no rate set (not paid until one is)


@dataclass
class SubsidySheet:
    school: School
    month: date  # the first day
    rates: list[SubsidyRate]
    rows: list[SubsidyRow]

    @property
    def total_sessions(self) -> int:
        return sum(r.sessions for r in self.rows)

    @property
    def total_amount(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal("0.00"))

    @property
    def without_rate(self) -> int:
        return sum(r.without_rate for r in self.rows)


def subsidy_sheet(school: School, month: date) -> SubsidySheet:
    """Held sessions × the term's rate per teacher for one month; cancelled sessions earn nothing."""
    first, last = month_bounds(month)
    sessions = list(
        held_sessions(school, first, last).values_list("programme_id", "programme__term_id")
    )
    teachers = programme_teachers({pid for pid, _t in sessions})
    term_ids = {t for _p, t in sessions}
    rates = {r.term_id: r for r in SubsidyRate.objects.filter(term_id__in=term_ids)}
    staff_tally: dict[int, list] = defaultdict(lambda: [0, Decimal("0.00"), 0])
    outside_tally: dict[int, list] = defaultdict(lambda: [0, Decimal("0.00"), 0])
    for pid, term_id in sessions:
        rate = rates.get(term_id)
        payees = [(staff_tally, sid, rate.rate if rate else None) for sid in teachers.staff[pid]]
        if pid in teachers.outside:
            payees.append(
                (outside_tally, teachers.outside[pid], rate.outside_rate if rate else None)
            )
        for tally, key, amount in payees:
            tally[key][0] += 1
            if amount is None:
                tally[key][2] += 1
            else:
                tally[key][1] += amount
    rows = []
    for s in Staff.objects.filter(id__in=staff_tally).order_by("staff_no"):
        n, amount, missing = staff_tally[s.id]
        rows.append(SubsidyRow(s.name, s.staff_no, False, n, amount, missing))
    for o in OutsideStaff.objects.filter(id__in=outside_tally).order_by("name", "id"):
        n, amount, missing = outside_tally[o.id]
        rows.append(SubsidyRow(o.name, "", True, n, amount, missing))
    return SubsidySheet(
        school=school,
        month=first,
        rates=sorted(rates.values(), key=lambda r: r.term.start),
        rows=rows,
    )


def rate_of(term: Term | None) -> SubsidyRate | None:
    return SubsidyRate.objects.filter(term=term).first() if term else None


# -- Flexible hours (AS-11) ---------------------------------------------------------------------


def flexible_hours(school: School, staff: Staff | None = None) -> list[FlexibleHours]:
    qs = FlexibleHours.objects.filter(school=school).select_related(
        "staff", "session__programme", "recorded_by"
    )
    if staff is not None:
        qs = qs.filter(staff=staff)
    return list(qs[:200])


def sessions_on(school: School, day: date) -> list[Session]:
    return list(Session.objects.filter(school=school, date=day).select_related("programme"))


# -- Scores (AS-12) -----------------------------------------------------------------------------


@dataclass
class ProgrammeScore:
    programme: Programme
    score: rules.Score
    assessment: Assessment | None


def score_period(term: Term, as_of: date) -> tuple[date, date]:
    """From the first day of the term to as_of (or the term's last day, if earlier)."""
    return term.start, min(term.end, as_of)


def _scheduled(school: School, programmes: list[Programme], start: date, end: date) -> Counter:
    """Sessions the weekly slots plan on the school days of [start, end], per programme."""
    if end < start:
        return Counter()
    weekdays = Counter(
        d.day.weekday() for d in school_calendar(school, start, end).days if d.is_school_day
    )
    out: Counter = Counter()
    for pid, weekday in ProgrammeSlot.objects.filter(programme__in=programmes).values_list(
        "programme_id", "weekday"
    ):
        out[pid] += weekdays[weekday]
    return out


def scores(school: School, term: Term, as_of: date, programme_ids=None) -> list[ProgrammeScore]:
    """The semester score of each approved programme of the term, as of a day."""
    qs = Programme.objects.filter(school=school, term=term, status=Programme.Status.APPROVED)
    if programme_ids is not None:
        qs = qs.filter(id__in=programme_ids)
    programmes = list(qs.order_by("name"))
    start, end = score_period(term, as_of)
    scheduled = _scheduled(school, programmes, start, end)
    held = Counter(
        dict(
            held_sessions(school, start, end)
            .filter(programme__in=programmes)
            .order_by()
            .values_list("programme_id")
            .annotate(n=Count("id"))
        )
    )
    patrols = defaultdict(list)
    for pid, b, bad, serious in Patrol.objects.filter(
        session__programme__in=programmes
    ).values_list("session__programme_id", "breaches", "bad_influence", "serious_accidents"):
        patrols[pid].append(rules.PatrolCounts(b, bad, serious))
    ratings = defaultdict(list)
    for pid, value in Rating.objects.filter(programme__in=programmes).values_list(
        "programme_id", "value"
    ):
        ratings[pid].append(value)
    assessments = {a.programme_id: a for a in Assessment.objects.filter(programme__in=programmes)}
    out = []
    for p in programmes:
        a = assessments.get(p.id)
        out.append(
            ProgrammeScore(
                programme=p,
                score=rules.score(
                    patrols=patrols[p.id],
                    held=held[p.id],
                    scheduled=scheduled[p.id],
                    effectiveness=float(a.points) if a else None,
                    effectiveness_evidence=a.evidence if a else "",
                    ratings=ratings[p.id],
                ),
                assessment=a,
            )
        )
    return out


def patrols_of(programme: Programme) -> list[Patrol]:
    return list(
        Patrol.objects.filter(session__programme=programme).select_related("session", "inspector")
    )


def recent_patrols(school: School, limit: int = 50) -> list[Patrol]:
    return list(
        Patrol.objects.filter(school=school).select_related("session__programme", "inspector")[
            :limit
        ]
    )


def parent_inspectors(school: School, term: Term | None) -> list[ParentInspector]:
    return list(ParentInspector.objects.filter(school=school, term=term).select_related("user"))


# -- Teacher evaluation (AS-11, AS-12 结果运用) --------------------------------------------------


@dataclass
class TeacherRow:
    staff: Staff
    sessions: int
    programmes: list[ProgrammeScore] = field(default_factory=list)


@dataclass
class Evaluation:
    term: Term
    rows: list[TeacherRow]
    taking_part: int
    staff_count: int

    @property
    def rate(self) -> float | None:
        return rules.participation_rate(self.taking_part, self.staff_count)


def teacher_evaluation(school: School, term: Term, as_of: date) -> Evaluation:
    """Per active staff member: sessions held this term and the scores of their programmes."""
    start, end = score_period(term, as_of)
    counts = _staff_counts(held_sessions(school, start, end).filter(programme__term=term))
    by_programme = {s.programme.id: s for s in scores(school, term, as_of)}
    teachers = programme_teachers(by_programme)
    rows = []
    for s in active_staff(school):
        mine = [by_programme[pid] for pid, ids in teachers.staff.items() if s.id in ids]
        rows.append(TeacherRow(staff=s, sessions=counts[s.id], programmes=mine))
    return Evaluation(
        term=term,
        rows=rows,
        taking_part=sum(1 for r in rows if r.sessions > 0),
        staff_count=len(rows),
    )


# -- Parents' ratings -----------------------------------------------------------------------------


@dataclass
class RatingRow:
    programme: Programme
    rating: Rating | None


def child_ratings(student, user) -> list[RatingRow]:
    """The programmes the child has a place in, with this parent's rating of each."""
    programmes = list(
        Programme.objects.filter(
            enrolments__student=student, enrolments__status=Enrolment.Status.ALLOCATED
        ).order_by("term__start", "name")
    )
    mine = {r.programme_id: r for r in Rating.objects.filter(user=user, programme__in=programmes)}
    return [RatingRow(programme=p, rating=mine.get(p.id)) for p in programmes]


def has_place(student, programme: Programme) -> bool:
    return Enrolment.objects.filter(
        student=student, programme=programme, status=Enrolment.Status.ALLOCATED
    ).exists()


def inspected_school_ids(user) -> set[int]:
    """Schools where this parent is an appointed after-school inspector (any term)."""
    return set(ParentInspector.objects.filter(user=user).values_list("school_id", flat=True))
