"""Reads for the after-school pages and API (AS-05, AS-06, AS-13)."""

from dataclasses import dataclass, field
from datetime import date, time

from django.db.models import Count, Prefetch, Q

from shuangjian.org.models import School, Student, Term

from .models import (
    AllocationRun,
    Enrolment,
    Preference,
    Programme,
    ProgrammeSlot,
    SchoolAfterschoolSettings,
)


def current_term(school: School, today: date) -> Term | None:
    """The term running today, else the next one, else the last one."""
    terms = list(Term.objects.filter(school=school).order_by("start"))
    for t in terms:
        if t.start <= today <= t.end:
            return t
    upcoming = [t for t in terms if t.start > today]
    if upcoming:
        return upcoming[0]
    return terms[-1] if terms else None


def term_of(school: School, term_id) -> Term | None:
    return Term.objects.filter(school=school, id=term_id).first()


def settings_of(school: School) -> SchoolAfterschoolSettings | None:
    return SchoolAfterschoolSettings.objects.filter(school=school).first()


@dataclass
class ProgrammeRow:
    programme: Programme
    slots: list[ProgrammeSlot]
    taken: int
    waiting: int

    @property
    def free(self) -> int:
        return max(0, self.programme.capacity - self.taken)


def programmes(school: School, term: Term | None, approved_only: bool = False) -> list:
    """The term's programmes with slots and place counts (a fixed number of queries)."""
    if term is None:
        return []
    qs = Programme.objects.filter(school=school, term=term)
    if approved_only:
        qs = qs.filter(status=Programme.Status.APPROVED)
    qs = (
        qs.select_related("venue", "lead")
        .prefetch_related(Prefetch("slots", queryset=ProgrammeSlot.objects.order_by("weekday")))
        .annotate(
            n_taken=Count("enrolments", filter=Q(enrolments__status="allocated")),
            n_waiting=Count("enrolments", filter=Q(enrolments__status="waitlisted")),
        )
        .order_by("name")
    )
    return [ProgrammeRow(p, list(p.slots.all()), p.n_taken, p.n_waiting) for p in qs]


@dataclass
class ScheduleEntry:
    programme: Programme
    start: time
    end: time


@dataclass
class Schedule:
    """AS-05 public weekly schedule and AS-13 supervision contact."""

    school: School
    term: Term | None
    days: list[tuple[int, list[ScheduleEntry]]] = field(default_factory=list)  # weekday, entries
    hotline: str = ""
    mailbox: str = ""


def schedule(school: School, term: Term | None) -> Schedule:
    rows = programmes(school, term, approved_only=True)
    by_day: dict[int, list[ScheduleEntry]] = {}
    for row in rows:
        for s in row.slots:
            by_day.setdefault(s.weekday, []).append(ScheduleEntry(row.programme, s.start, s.end))
    days = [
        (d, sorted(by_day[d], key=lambda e: (e.start, e.programme.name))) for d in sorted(by_day)
    ]
    conf = settings_of(school)
    return Schedule(
        school,
        term,
        days,
        hotline=conf.hotline if conf else "",
        mailbox=conf.mailbox if conf else "",
    )


def runs(school: School, term: Term | None) -> list[AllocationRun]:
    if term is None:
        return []
    return list(AllocationRun.objects.filter(school=school, term=term).defer("results")[:20])


def run_of(school: School, run_id: int) -> AllocationRun | None:
    return AllocationRun.objects.filter(school=school, id=run_id).select_related("term").first()


def run_rows(run: AllocationRun) -> list[dict]:
    """The run's per-pupil results with programme names."""
    names = dict(Programme.objects.filter(term=run.term).values_list("id", "name"))
    return [{**r, "programme": names.get(r["programme_id"], "")} for r in run.results]


@dataclass
class ChildAfterschool:
    student: Student
    term: Term | None
    offered: list[ProgrammeRow]  # approved programmes for the child's grade
    choices: list[int]
    enrolments: list[Enrolment]
    published: bool


def child_afterschool(student: Student, today: date) -> ChildAfterschool:
    term = current_term(student.school, today)
    grade = student.school_class.grade
    offered = [
        r
        for r in programmes(student.school, term, approved_only=True)
        if grade in r.programme.grades
    ]
    pref = Preference.objects.filter(student=student, term=term).first() if term else None
    enrolments = list(
        Enrolment.objects.filter(
            student=student, programme__term=term, status__in=Enrolment.ACTIVE
        ).select_related("programme")
    )
    published = bool(term) and AllocationRun.objects.filter(term=term, published=True).exists()
    return ChildAfterschool(
        student, term, offered, pref.choices if pref else [], enrolments, published
    )


def children_of(user) -> list[Student]:
    return list(
        Student.objects.filter(guardianships__user=user, active=True)
        .select_related("school", "school_class")
        .order_by("id")
    )
