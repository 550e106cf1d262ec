"""Reads for the after-school pages and API (AS-05, AS-06, AS-13)."""

from dataclasses import dataclass, field
from datetime import date, time

from django.db.models import Count, Prefetch, Q

from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import CareFlag, Role, School, Student, StudentCareFlag, Term
from shuangjian.rules import afterschool as as_rules
from shuangjian.rules.allocation import PRIORITY_FLAGS, has_priority

from .models import (
    EXEMPT_FLAGS,
    AllocationRun,
    Application,
    Enrolment,
    FeeExemption,
    OutsideStaff,
    Preference,
    Programme,
    ProgrammeSlot,
    SchoolAfterschoolSettings,
    ServiceAgreement,
    WorkHours,
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
        qs.select_related("venue", "lead", "outside_staff")
        .prefetch_related(
            Prefetch("slots", queryset=ProgrammeSlot.objects.order_by("weekday")), "assistants"
        )
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


def is_parent_in(user, school: School) -> bool:
    return Student.objects.filter(school=school, active=True, guardianships__user=user).exists()


def _flags(student_ids) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    rows = StudentCareFlag.objects.filter(student_id__in=list(student_ids))
    for sid, flag in rows.values_list("student_id", "flag"):
        out.setdefault(sid, set()).add(flag)
    return out


# -- Applications (AS-03, AS-04) ----------------------------------------------------------------

# Who sees the school's application list: the school side, and head teachers for their classes.
APPLICATION_VIEWERS = {Role.PRINCIPAL, Role.ACADEMIC, Role.AFTERSCHOOL}


def may_view_applications(acc: SchoolAccess) -> bool:
    return bool(acc.roles & APPLICATION_VIEWERS) or bool(acc.head_class_ids)


@dataclass
class ApplicationRow:
    application: Application
    priority: bool  # orders the list for everyone
    why: list[str]  # the care flags behind the priority: only for staff who may see them
    can_review: bool


def applications(acc: SchoolAccess, term: Term | None) -> list[ApplicationRow]:
    """The term's applications the user may see, priority pupils first (AS-04)."""
    if term is None:
        return []
    qs = Application.objects.filter(term=term, student__school=acc.school).select_related(
        "student__school_class"
    )
    if not acc.roles & APPLICATION_VIEWERS:
        qs = qs.filter(student__school_class_id__in=acc.head_class_ids)
    apps = list(qs)
    flags = _flags(a.student_id for a in apps)
    labels = dict(CareFlag.choices)
    rows = []
    for a in apps:
        mine = flags.get(a.student_id, set())
        klass = a.student.school_class
        why = (
            [str(labels[f]) for f in sorted(mine & PRIORITY_FLAGS)]
            if acc.can_see_care_flags(klass)
            else []
        )
        rows.append(ApplicationRow(a, has_priority(mine), why, klass.id in acc.head_class_ids))
    rows.sort(key=lambda r: (not r.priority, r.application.created_at, r.application.id))
    return rows


def application_of(student: Student, term: Term | None) -> Application | None:
    if term is None:
        return None
    return Application.objects.filter(student=student, term=term).first()


def agreement_of(term: Term | None) -> ServiceAgreement | None:
    if term is None:
        return None
    return ServiceAgreement.objects.filter(term=term).order_by("-version").first()


def signed_version(app: Application | None) -> int | None:
    if app is None:
        return None
    sig = app.signatures.select_related("agreement").order_by("-agreement__version").first()
    return sig.agreement.version if sig else None


def participants(school: School, term: Term | None) -> list[tuple[str, str]]:
    """The posted list: name and class of approved pupils, nothing else."""
    if term is None:
        return []
    qs = (
        Application.objects.filter(term=term, student__school=school, status__in=Application.LISTED)
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student__name")
    )
    return [(a.student.name, str(a.student.school_class)) for a in qs]


# -- Fees (AS-10) -------------------------------------------------------------------------------


@dataclass
class ExemptRow:
    student: Student
    automatic: bool
    reason: str


def exempt_pupils(school: School, term: Term | None) -> list[ExemptRow]:
    """Exempt pupils, for the principal and academic office only (the caller checks)."""
    if term is None:
        return []
    auto = set(
        StudentCareFlag.objects.filter(
            student__school=school, student__active=True, flag__in=sorted(EXEMPT_FLAGS)
        ).values_list("student_id", flat=True)
    )
    granted = {
        e.student_id: e.reason
        for e in FeeExemption.objects.filter(term=term, student__school=school)
    }
    students = Student.objects.filter(id__in=auto | set(granted)).select_related("school_class")
    return [
        ExemptRow(s, s.id in auto, granted.get(s.id, ""))
        for s in students.order_by("school_class__grade", "school_class__number", "student_no")
    ]


def may_see_exempt_list(acc: SchoolAccess) -> bool:
    return acc.sees_whole_school


# -- Outside staff (AS-07) ----------------------------------------------------------------------


def outside_staff(school: School) -> list[OutsideStaff]:
    """Every outside person registered with the school, newest decisions first by status."""
    return list(
        OutsideStaff.objects.filter(school=school)
        .select_related("confirmed_by", "decided_by")
        .order_by("status", "name", "id")
    )


def teachable_outside_staff(school: School, today: date) -> list[OutsideStaff]:
    """Outside people who may be attached to a programme today: approved and not expired."""
    return list(
        OutsideStaff.objects.filter(
            school=school, status=OutsideStaff.Status.APPROVED, valid_until__gte=today
        ).order_by("name", "id")
    )


def work_end_times(school: School) -> as_rules.WorkEndTimes:
    """The end-of-work setting of the nearest region above the school (county first)."""
    return region_work_hours(school.county)


def region_work_hours(region) -> as_rules.WorkEndTimes:
    """The setting of the region itself or of the nearest region above it; else the defaults."""
    chain = [r.id for r in region.ancestors_and_self()]
    rows = {w.region_id: w for w in WorkHours.objects.filter(region_id__in=chain)}
    for region_id in chain:
        if region_id in rows:
            return rows[region_id].as_rule()
    return as_rules.WorkEndTimes()
