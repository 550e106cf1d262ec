"""Writes for the after-school service (AS-01 … AS-07, AS-13, AS-14).

Programmes are proposed by staff and approved by the school (AS-07); a venue or a lead teacher
can hold only one programme at a time.  Places are given out by one allocation run per term
(AS-04, AS-06: priority pupils first, then satisfaction, then a seeded draw), previewed, then
published as enrolments and waiting lists.  Afterwards a free place is joined under a lock on the
programme row, so that simultaneous requests can never fill a programme beyond its capacity; a
withdrawal promotes the first pupil of the waiting list.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuangjian.errors import RuleViolation
from shuangjian.notify.services import send
from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import (
    Guardianship,
    Region,
    Role,
    School,
    Staff,
    Student,
    StudentCareFlag,
    Term,
    User,
    Venue,
    mobile_validator,
)
from shuangjian.org.selectors import school_calendar
from shuangjian.rules import afterschool as as_rules
from shuangjian.rules import allocation as alloc

from . import selectors
from .models import (
    EXEMPT_FLAGS,
    JUNIOR_FROM,
    JUNIOR_ONLY,
    AgreementSignature,
    AllocationRun,
    Application,
    ApplicationEvent,
    Category,
    Enrolment,
    FeeCap,
    FeeExemption,
    OutsideStaff,
    Preference,
    Programme,
    ProgrammeSlot,
    SchoolAfterschoolSettings,
    ServiceAgreement,
    WorkHours,
)

Status = Enrolment.Status
Source = Enrolment.Source

# Who may do what (AS-07: teachers propose, the school approves).
PROPOSERS = {
    Role.PRINCIPAL,
    Role.ACADEMIC,
    Role.AFTERSCHOOL,
    Role.HEAD_TEACHER,
    Role.SUBJECT_TEACHER,
    Role.GRADE_LEADER,
}
APPROVERS = {Role.PRINCIPAL, Role.ACADEMIC}
MANAGERS = {Role.PRINCIPAL, Role.ACADEMIC, Role.AFTERSCHOOL}  # timetable check, allocation
WORKING_KINDS = {"workday", "makeup_workday"}


def may_propose(acc: SchoolAccess) -> bool:
    return bool(acc.roles & PROPOSERS)


def may_approve(acc: SchoolAccess) -> bool:
    return bool(acc.roles & APPROVERS)


def may_manage(acc: SchoolAccess) -> bool:
    return bool(acc.roles & MANAGERS)


def _actor(acc: SchoolAccess) -> User | None:
    """The acting user, or None for the operator at the command line (an unsaved user)."""
    return acc.user if acc.user.pk else None


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(what)


# -- Programmes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotIn:
    weekday: int
    start: time
    end: time


def _overlaps(a: SlotIn | ProgrammeSlot, b: SlotIn | ProgrammeSlot) -> bool:
    return a.weekday == b.weekday and a.start < b.end and b.start < a.end


def _check_clashes(
    programme_id: int | None,
    term: Term,
    venue_id: int,
    staff_ids: set[int],
    slots: Sequence,
    statuses: Iterable[str],
) -> None:
    """The same venue, or the same member of staff (lead or assistant), may not hold two
    programmes at the same time."""
    others = (
        ProgrammeSlot.objects.filter(programme__term=term, programme__status__in=list(statuses))
        .exclude(programme_id=programme_id)
        .select_related("programme")
        .prefetch_related("programme__assistants")
    )
    for other in others:
        p = other.programme
        their_staff = {p.lead_id, *(a.id for a in p.assistants.all())}
        for slot in slots:
            if not _overlaps(slot, other):
                continue
            if p.venue_id == venue_id:
                raise RuleViolation(
                    _("The venue is already used by “%(other)s” at that time.") % {"other": p.name},
                    code="venue_clash",
                    rule="AS-06",
                    field="venue",
                    other=p.name,
                    other_id=p.id,
                    weekday=slot.weekday,
                )
            if their_staff & staff_ids:
                raise RuleViolation(
                    _("A teacher of this programme already runs “%(other)s” at that time.")
                    % {"other": p.name},
                    code="staff_clash",
                    rule="AS-07",
                    field="lead",
                    other=p.name,
                    other_id=p.id,
                    weekday=slot.weekday,
                )


def _validate_slots(slots: Sequence[SlotIn]) -> None:
    if not slots:
        raise ValidationError({"slots": [_("Give at least one weekly session.")]}, code="required")
    for i, s in enumerate(slots):
        if not 0 <= s.weekday <= 6:
            raise ValidationError(
                {"slots": [_("Weekday must be 0 (Monday) to 6.")]}, code="invalid"
            )
        if s.end <= s.start:
            raise ValidationError(
                {"slots": [_("A session must end after it starts.")]}, code="invalid"
            )
        for t in slots[i + 1 :]:
            if _overlaps(s, t):
                raise ValidationError(
                    {"slots": [_("Two sessions of the programme overlap.")]}, code="invalid"
                )


@transaction.atomic
def create_programme(
    *,
    acc: SchoolAccess,
    term: Term,
    name: str,
    category: str,
    grade_from: int,
    grade_to: int,
    capacity: int,
    venue: Venue,
    lead: Staff,
    fee: Decimal,
    slots: Sequence[SlotIn],
    outside_staff: OutsideStaff | None = None,
    assistants: Sequence[Staff] = (),
) -> Programme:
    """A proposed programme (AS-02, AS-06, AS-07, AS-10, AS-14), optionally taught alongside the
    lead teacher by an approved outside person (AS-07)."""
    _require(may_propose(acc), "propose_programme")
    school = acc.school
    if term.school_id != school.id or venue.school_id != school.id or lead.school_id != school.id:
        raise PermissionDenied("other_school")
    if outside_staff is not None and outside_staff.school_id != school.id:
        raise PermissionDenied("other_school")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the programme a name.")]}, code="required")
    if Programme.objects.filter(term=term, name=name).exists():
        raise ValidationError({"name": [_("A programme of that name exists.")]}, code="unique")
    if category not in Category.values:
        raise ValidationError({"category": [_("Choose a category.")]}, code="invalid")
    grades = school.grade_range
    if not (grade_from in grades and grade_to in grades and grade_from <= grade_to):
        raise ValidationError(
            {"grade_from": [_("Target grades must be grades of this school, lowest first.")]},
            code="invalid",
        )
    if category in JUNIOR_ONLY and grade_from < JUNIOR_FROM:
        raise RuleViolation(
            _("This kind of programme is for junior secondary grades (7–9) only."),
            code="junior_only",
            rule="AS-02",
            field="category",
            grade_from=grade_from,
        )
    if not isinstance(capacity, int) or capacity < 1:
        raise ValidationError({"capacity": [_("Capacity must be at least 1.")]}, code="invalid")
    if capacity > venue.capacity:
        raise RuleViolation(
            _("Capacity %(capacity)s is above the venue's capacity %(venue)s.")
            % {"capacity": capacity, "venue": venue.capacity},
            code="over_venue_capacity",
            rule="AS-06",
            field="capacity",
            capacity=capacity,
            venue_capacity=venue.capacity,
        )
    fee = Decimal(fee)
    if fee < 0:
        raise ValidationError({"fee": [_("The fee cannot be negative.")]}, code="invalid")
    check_fee(school, fee)
    slots = list(slots)
    _validate_slots(slots)
    if outside_staff is not None:
        _check_outside_staff(outside_staff.id)
    assistants = list(assistants)
    if any(a.school_id != school.id for a in assistants):
        raise PermissionDenied("other_school")
    if lead in assistants:
        raise ValidationError(
            {"assistants": [_("The lead teacher is not also an assistant.")]}, code="invalid"
        )
    staff_ids = {lead.id, *(a.id for a in assistants)}
    # Lock the venue and the staff so that two proposals cannot both pass the clash check.
    Venue.objects.select_for_update().filter(id=venue.id).first()
    list(Staff.objects.select_for_update().filter(id__in=staff_ids))
    _check_clashes(None, term, venue.id, staff_ids, slots, Programme.Status.values)
    programme = Programme.objects.create(
        school=school,
        term=term,
        name=name,
        category=category,
        grade_from=grade_from,
        grade_to=grade_to,
        capacity=capacity,
        venue=venue,
        lead=lead,
        outside_staff=outside_staff,
        fee=fee,
        proposed_by=_actor(acc),
    )
    ProgrammeSlot.objects.bulk_create(
        ProgrammeSlot(programme=programme, weekday=s.weekday, start=s.start, end=s.end)
        for s in slots
    )
    programme.assistants.set(assistants)
    return programme


@transaction.atomic
def approve_programme(*, acc: SchoolAccess, programme: Programme) -> Programme:
    """The school approves a proposed programme (AS-07), re-checking clashes and capacity."""
    _require(may_approve(acc), "approve_programme")
    programme = Programme.objects.select_for_update().get(id=programme.id, school=acc.school)
    if programme.status == Programme.Status.APPROVED:
        return programme
    venue = Venue.objects.select_for_update().get(id=programme.venue_id)
    Staff.objects.select_for_update().filter(id=programme.lead_id).first()
    if programme.capacity > venue.capacity:
        raise RuleViolation(
            _("Capacity %(capacity)s is above the venue's capacity %(venue)s.")
            % {"capacity": programme.capacity, "venue": venue.capacity},
            code="over_venue_capacity",
            rule="AS-06",
            field="capacity",
            capacity=programme.capacity,
            venue_capacity=venue.capacity,
        )
    check_fee(acc.school, programme.fee)
    _check_clashes(
        programme.id,
        programme.term,
        programme.venue_id,
        {programme.lead_id, *programme.assistants.values_list("id", flat=True)},
        list(programme.slots.all()),
        [Programme.Status.APPROVED],
    )
    if programme.outside_staff_id is not None:
        _check_outside_staff(programme.outside_staff_id)
    programme.status = Programme.Status.APPROVED
    programme.approved_by = _actor(acc)
    programme.save(update_fields=["status", "approved_by"])
    return programme


# -- Outside staff (AS-07) ----------------------------------------------------------------------

# Who may register outside staff; only APPROVERS admit them.
REGISTRARS = MANAGERS


def may_register_outside_staff(acc: SchoolAccess) -> bool:
    return bool(acc.roles & REGISTRARS)


def _check_outside_staff(outside_staff_id: int) -> OutsideStaff:
    """An outside person may teach only while approved and not expired (locks the row, so that a
    rejection cannot slip in between the check and the write)."""
    person = OutsideStaff.objects.select_for_update().get(id=outside_staff_id)
    if person.status != OutsideStaff.Status.APPROVED:
        raise RuleViolation(
            _("%(name)s has not been approved by the school to teach.") % {"name": person.name},
            code="outside_staff_not_approved",
            rule="AS-07",
            field="outside_staff",
            status=person.status,
        )
    today = timezone.localdate()
    if person.valid_until < today:
        raise RuleViolation(
            _("The approval of %(name)s expired on %(date)s.")
            % {"name": person.name, "date": person.valid_until.isoformat()},
            code="outside_staff_expired",
            rule="AS-07",
            field="outside_staff",
            valid_until=person.valid_until.isoformat(),
        )
    return person


@transaction.atomic
def register_outside_staff(
    *,
    acc: SchoolAccess,
    name: str,
    kind: str,
    mobile: str,
    qualification: str,
    valid_until: date | None,
    background_check_confirmed: bool = False,
) -> OutsideStaff:
    """Record an outside person's application to teach, with their qualification (AS-07)."""
    _require(may_register_outside_staff(acc), "register_outside_staff")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the person's name.")]}, code="required")
    if len(name) > 40:
        raise ValidationError({"name": [_("At most 40 characters.")]}, code="invalid")
    if kind not in OutsideStaff.Kind.values:
        raise ValidationError({"kind": [_("Choose a kind of outside staff.")]}, code="invalid")
    mobile = (mobile or "").strip()
    try:
        mobile_validator(mobile)
    except ValidationError:
        raise ValidationError(
            {"mobile": [_("Enter an 11-digit mainland mobile number.")]}, code="invalid"
        ) from None
    qualification = (qualification or "").strip()
    if not qualification:
        raise ValidationError(
            {"qualification": [_("Describe the person's qualification.")]}, code="required"
        )
    if len(qualification) > 1000:
        raise ValidationError({"qualification": [_("At most 1000 characters.")]}, code="invalid")
    if valid_until is None:
        raise ValidationError(
            {"valid_until": [_("Give the date the approval is valid until.")]}, code="required"
        )
    today = timezone.localdate()
    if valid_until <= today:
        raise ValidationError(
            {"valid_until": [_("The validity date must be in the future.")]}, code="invalid"
        )
    confirmed = bool(background_check_confirmed)
    return OutsideStaff.objects.create(
        school=acc.school,
        name=name,
        kind=kind,
        mobile=mobile,
        qualification=qualification,
        valid_until=valid_until,
        background_check_confirmed=confirmed,
        confirmed_by=_actor(acc) if confirmed else None,
        confirmed_on=today if confirmed else None,
        created_by=_actor(acc),
    )


def _outside_staff_of(acc: SchoolAccess, person: OutsideStaff) -> OutsideStaff:
    row = OutsideStaff.objects.select_for_update().filter(id=person.id).first()
    if row is None or row.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    return row


@transaction.atomic
def confirm_background_check(*, acc: SchoolAccess, person: OutsideStaff) -> OutsideStaff:
    """The school records that the person's background check has been done (AS-07)."""
    _require(may_register_outside_staff(acc), "confirm_background_check")
    person = _outside_staff_of(acc, person)
    if not person.background_check_confirmed:
        person.background_check_confirmed = True
        person.confirmed_by = _actor(acc)
        person.confirmed_on = timezone.localdate()
        person.save(update_fields=["background_check_confirmed", "confirmed_by", "confirmed_on"])
    return person


@transaction.atomic
def approve_outside_staff(*, acc: SchoolAccess, person: OutsideStaff) -> OutsideStaff:
    """The principal or academic office admits an outside person (AS-07): only with a confirmed
    background check and a validity date still ahead."""
    _require(may_approve(acc), "approve_outside_staff")
    person = _outside_staff_of(acc, person)
    if person.status == OutsideStaff.Status.APPROVED:
        return person
    if not person.background_check_confirmed:
        raise RuleViolation(
            _("Confirm the background check before approving."),
            code="background_check_missing",
            rule="AS-07",
            field="background_check_confirmed",
        )
    if person.valid_until <= timezone.localdate():
        raise RuleViolation(
            _("The validity date %(date)s has passed; register the person again.")
            % {"date": person.valid_until.isoformat()},
            code="expired",
            rule="AS-07",
            field="valid_until",
            valid_until=person.valid_until.isoformat(),
        )
    person.status = OutsideStaff.Status.APPROVED
    person.reason = ""
    person.decided_by = _actor(acc)
    person.save(update_fields=["status", "reason", "decided_by"])
    return person


@transaction.atomic
def reject_outside_staff(*, acc: SchoolAccess, person: OutsideStaff, reason: str) -> OutsideStaff:
    """The school refuses (or withdraws) an outside person's admission, with a reason (AS-07)."""
    _require(may_approve(acc), "reject_outside_staff")
    person = _outside_staff_of(acc, person)
    person.reason = _reason(reason, required=True)
    person.status = OutsideStaff.Status.REJECTED
    person.decided_by = _actor(acc)
    person.save(update_fields=["status", "reason", "decided_by"])
    return person


@transaction.atomic
def save_settings(*, acc: SchoolAccess, hotline: str, mailbox: str) -> SchoolAfterschoolSettings:
    """AS-13: the supervision hotline and mailbox published with the programme."""
    _require(may_approve(acc), "afterschool_settings")
    hotline, mailbox = (hotline or "").strip(), (mailbox or "").strip()
    if not hotline and not mailbox:
        raise ValidationError(
            {"hotline": [_("Give a supervision hotline or mailbox.")]}, code="required"
        )
    row, _created = SchoolAfterschoolSettings.objects.update_or_create(
        school=acc.school, defaults={"hotline": hotline[:30], "mailbox": mailbox[:100]}
    )
    return row


# -- The "5+2" check (AS-01) --------------------------------------------------------------------


def check_timetable(
    school: School, week_start: date, end_times: as_rules.WorkEndTimes | None = None
) -> as_rules.WeekCheck:
    """The week from `week_start` (moved back to its Monday) against "5+2": approved programmes'
    sessions on the school's working school days, ending no earlier than the end of work set
    by the school's region (WorkHours) or the defaults."""
    monday = week_start - timedelta(days=week_start.weekday())
    sunday = monday + timedelta(days=6)
    calendar = school_calendar(school, monday, sunday)
    slots = ProgrammeSlot.objects.filter(
        programme__school=school,
        programme__status=Programme.Status.APPROVED,
        programme__term__start__lte=sunday,
        programme__term__end__gte=monday,
    ).select_related("programme__term")
    sessions = []
    for d in calendar.days:
        for s in slots:
            term = s.programme.term
            if s.weekday == d.day.weekday() and term.start <= d.day <= term.end:
                sessions.append(as_rules.Session(d.day, s.start, s.end))
    days = [
        as_rules.Day(
            d.day,
            str(d.kind) in WORKING_KINDS,
            d.is_school_day,
            str(d.kind),
            d.estimated,
        )
        for d in calendar.days
    ]
    return as_rules.check_week(sessions, days, end_times or selectors.work_end_times(school))


# -- Preferences (AS-03, AS-06) -----------------------------------------------------------------


@transaction.atomic
def save_preference(
    *, user: User, student: Student, term: Term, programme_ids: Sequence[int]
) -> Preference:
    """A parent's ranked choices for one child (the caller checked access_child)."""
    if term.school_id != student.school_id:
        raise PermissionDenied("other_school")
    ids = [int(i) for i in programme_ids]
    if not ids:
        raise ValidationError({"choices": [_("Choose at least one programme.")]}, code="required")
    if len(ids) > alloc.MAX_CHOICES:
        raise ValidationError(
            {"choices": [_("At most %(n)s choices.") % {"n": alloc.MAX_CHOICES}]}, code="invalid"
        )
    if len(set(ids)) != len(ids):
        raise ValidationError({"choices": [_("A programme is chosen twice.")]}, code="invalid")
    offered = {
        p.id: p
        for p in Programme.objects.filter(term=term, id__in=ids, status=Programme.Status.APPROVED)
    }
    grade = student.school_class.grade
    for i in ids:
        p = offered.get(i)
        if p is None:
            raise ValidationError({"choices": [_("Not a programme on offer.")]}, code="invalid")
        if grade not in p.grades:
            raise ValidationError(
                {"choices": [_("“%(name)s” is not for this grade.") % {"name": p.name}]},
                code="invalid",
            )
    pref, _created = Preference.objects.update_or_create(
        student=student, term=term, defaults={"choices": ids, "submitted_by": user}
    )
    return pref


# -- Allocation (AS-04, AS-06) ------------------------------------------------------------------


def _inputs(school: School, term: Term):
    programmes = list(
        Programme.objects.filter(school=school, term=term, status=Programme.Status.APPROVED)
    )
    activities = [alloc.Activity(p.id, p.capacity, frozenset(p.grades), p.name) for p in programmes]
    prefs = list(
        Preference.objects.filter(term=term, student__school=school, student__active=True)
        .select_related("student__school_class")
        .order_by("student_id")
    )
    flags: dict[int, set[str]] = {}
    for sid, flag in StudentCareFlag.objects.filter(
        student_id__in=[p.student_id for p in prefs]
    ).values_list("student_id", "flag"):
        flags.setdefault(sid, set()).add(flag)
    pupils = [
        alloc.Pupil(
            p.student_id,
            tuple(p.choices),
            alloc.has_priority(flags.get(p.student_id, ())),
            p.student.school_class.grade,
        )
        for p in prefs
    ]
    return programmes, activities, pupils, {p.student_id: p.student for p in prefs}


REASONS = {
    alloc.Reason.UNKNOWN_ACTIVITY: gettext_lazy("not an activity on offer"),
    alloc.Reason.NOT_FOR_GRADE: gettext_lazy("not offered to the pupil's grade"),
    alloc.Reason.DUPLICATE: gettext_lazy("already chosen above"),
    alloc.Reason.BEYOND_MAX_CHOICES: gettext_lazy("more choices than allowed"),
    alloc.Reason.NO_PLACES: gettext_lazy("offers no places"),
    alloc.Reason.PRIORITY: gettext_lazy(
        "full: its places went to pupils served first under the rules"
    ),
    alloc.Reason.RANKED_HIGHER: gettext_lazy("full: filled by pupils who ranked it higher"),
    alloc.Reason.SATISFACTION: gettext_lazy(
        "full: a place here would have moved other pupils further down their lists"
    ),
    alloc.Reason.DRAW: gettext_lazy("full: decided by the draw between equally good allocations"),
    alloc.Reason.TAKEN_EARLIER: gettext_lazy("full before this pupil's turn"),
}


def _explain(r: alloc.PupilResult, names: dict) -> str:
    def n(pid):
        return names.get(pid, str(pid))

    if r.outcome is alloc.Outcome.ASSIGNED:
        parts = [_("Place in %(p)s (choice %(r)s).") % {"p": n(r.activity), "r": r.rank}]
    elif r.outcome is alloc.Outcome.ALL_FULL:
        parts = [_("No place: every valid choice was full.")]
    else:
        parts = [_("No place: no valid choice.")]
    for c in (*r.missed, *r.ignored):
        parts.append(
            _("Choice %(r)s (%(p)s): %(why)s.")
            % {"r": c.rank, "p": n(c.activity), "why": REASONS[c.reason]}
        )
    return " ".join(parts)


@transaction.atomic
def run_allocation(
    *, school: School, term: Term, seed: str, actor: User, publish: bool = False
) -> AllocationRun:
    """One allocation of every submitted preference, stored for preview (and published if asked)."""
    if term.school_id != school.id:
        raise PermissionDenied("other_school")
    seed = str(seed).strip()
    if not seed or len(seed) > 40:
        raise ValidationError({"seed": [_("Give a seed of 1 to 40 characters.")]}, code="invalid")
    programmes, activities, pupils, students = _inputs(school, term)
    result = alloc.allocate(pupils, activities, seed)
    names = {p.id: p.name for p in programmes}
    rows = []
    for pupil in pupils:
        r = result[pupil.id]
        st = students[pupil.id]
        rows.append(
            {
                "student_id": pupil.id,
                "name": st.name,
                "class": str(st.school_class),
                "priority": r.priority,
                "programme_id": r.activity,
                "rank": r.rank,
                "outcome": str(r.outcome),
                "missed": [[c.activity, c.rank, str(c.reason)] for c in r.missed],
                "ignored": [[c.activity, c.rank, str(c.reason)] for c in r.ignored],
                "explanation": _explain(r, names),
            }
        )
    run = AllocationRun.objects.create(
        school=school,
        term=term,
        seed=seed,
        created_by=actor,
        welfare=result.welfare,
        stats=result.stats(),
        results=rows,
    )
    if publish:
        publish_allocation(run=run, actor=actor)
    return run


def _parents(student_ids: Iterable[int]):
    return User.objects.filter(guardianships__student_id__in=list(student_ids)).distinct()


def _notify_parents(student: Student, title: str, body: str = "") -> None:
    users = [g.user for g in Guardianship.objects.filter(student=student).select_related("user")]
    if users:
        send(
            users=users,
            kind="afterschool",
            title=title,
            body=body,
            url=reverse("afterschool_child", args=[student.id]),
        )


@transaction.atomic
def publish_allocation(*, run: AllocationRun, actor: User) -> AllocationRun:
    """Enrolments for every place of the run, and a waiting list per programme (pupils who ranked
    it above what they got, in rules.allocation.waitlist_order).  Once per term."""
    run = AllocationRun.objects.select_for_update().get(id=run.id)
    if AllocationRun.objects.filter(term=run.term, published=True).exists():
        raise RuleViolation(
            _("An allocation for this term is already published."),
            code="already_published",
            rule="AS-06",
        )
    programmes = {
        p.id: p
        for p in Programme.objects.select_for_update().filter(
            school=run.school, term=run.term, status=Programme.Status.APPROVED
        )
    }
    if Enrolment.objects.filter(
        programme_id__in=list(programmes), status__in=Enrolment.ACTIVE
    ).exists():
        raise RuleViolation(
            _("Pupils already hold places this term; the run cannot be published."),
            code="already_enrolled",
            rule="AS-06",
        )
    rows = [r for r in run.results if Student.objects.filter(id=r["student_id"]).exists()]
    allocated: dict[int, list[int]] = {pid: [] for pid in programmes}
    for r in rows:
        if r["programme_id"] in programmes:
            allocated[r["programme_id"]].append(r["student_id"])
    enrolments = []
    for pid, members in allocated.items():
        if len(members) > programmes[pid].capacity:  # the solver never does this
            raise RuleViolation(
                _("Over capacity."), code="programme_full", rule="AS-06", programme=pid
            )
        enrolments += [
            Enrolment(
                programme_id=pid, student_id=s, status=Status.ALLOCATED, source=Source.ALLOCATION
            )
            for s in members
        ]
    # Waiting lists: a pupil waits for each valid choice ranked above the place they got.
    prefs = {
        p.student_id: p
        for p in Preference.objects.filter(
            term=run.term, student_id__in=[r["student_id"] for r in rows]
        )
    }
    flags = {r["student_id"]: r["priority"] for r in rows}
    grades = dict(
        Student.objects.filter(id__in=list(flags)).values_list("id", "school_class__grade")
    )
    for pid, p in programmes.items():
        activity = alloc.Activity(pid, p.capacity, frozenset(p.grades), p.name)
        waiting = []
        for r in rows:
            missed = {m[0] for m in r["missed"]}
            if pid in missed and r["student_id"] in prefs:
                sid = r["student_id"]
                waiting.append(
                    alloc.Pupil(sid, tuple(prefs[sid].choices), flags[sid], grades.get(sid))
                )
        for pos, sid in enumerate(alloc.waitlist_order(activity, waiting, run.seed), 1):
            enrolments.append(
                Enrolment(
                    programme_id=pid,
                    student_id=sid,
                    status=Status.WAITLISTED,
                    source=Source.ALLOCATION,
                    position=pos,
                )
            )
    Enrolment.objects.bulk_create(enrolments)
    run.published = True
    run.published_at = timezone.now()
    run.save(update_fields=["published", "published_at"])
    students = {r["student_id"] for r in rows}
    parents = list(_parents(students))
    if parents:
        send(
            users=parents,
            kind="afterschool",
            title=_("After-school places for %(term)s are published") % {"term": run.term.name},
            url=reverse("afterschool_children"),
        )
    return run


# -- Free places and withdrawals ----------------------------------------------------------------


def _full(programme: Programme, taken: int) -> RuleViolation:
    return RuleViolation(
        _("“%(name)s” is full.") % {"name": programme.name},
        code="programme_full",
        rule="AS-06",
        capacity=programme.capacity,
        taken=taken,
    )


@transaction.atomic
def join_free_place(
    *, student: Student, programme: Programme, user: User | None = None
) -> Enrolment:
    """A parent takes a free place (the caller checked access_child).  The programme row is locked
    while counting, so simultaneous requests are served one after another: never over capacity."""
    programme = Programme.objects.select_for_update().get(id=programme.id)
    if programme.school_id != student.school_id or programme.status != Programme.Status.APPROVED:
        raise ValidationError({"programme": [_("Not a programme on offer.")]}, code="invalid")
    if student.school_class.grade not in programme.grades:
        raise RuleViolation(
            _("“%(name)s” is not for this grade.") % {"name": programme.name},
            code="not_for_grade",
            rule="AS-06",
            field="student_id",
        )
    if not AllocationRun.objects.filter(term_id=programme.term_id, published=True).exists():
        raise RuleViolation(
            _("Places are given out by the allocation first; choose programmes until then."),
            code="not_yet_allocated",
            rule="AS-06",
        )
    mine = Enrolment.objects.filter(
        programme=programme, student=student, status__in=Enrolment.ACTIVE
    ).first()
    if mine is not None and mine.status == Status.ALLOCATED:
        raise RuleViolation(
            _("The pupil already has a place in “%(name)s”.") % {"name": programme.name},
            code="already_enrolled",
            rule="AS-06",
            field="student_id",
        )
    taken = Enrolment.objects.filter(programme=programme, status=Status.ALLOCATED).count()
    if taken >= programme.capacity:
        raise _full(programme, taken)
    if mine is not None:  # on the waiting list: the place is theirs
        mine.status, mine.source, mine.position = Status.ALLOCATED, Source.JOIN, None
        mine.save(update_fields=["status", "source", "position", "updated_at"])
        return mine
    return Enrolment.objects.create(
        programme=programme, student=student, status=Status.ALLOCATED, source=Source.JOIN
    )


@transaction.atomic
def withdraw(*, enrolment: Enrolment) -> Enrolment | None:
    """Leave a programme (or its waiting list).  A freed place goes at once to the first pupil of
    the waiting list, whose parents are told; returns that pupil's enrolment, if any."""
    # Lock the term's programmes in id order: joins lock one programme row, so no deadlock.
    term_id = enrolment.programme.term_id
    list(Programme.objects.select_for_update().filter(term_id=term_id).order_by("id"))
    enrolment = Enrolment.objects.select_for_update().get(id=enrolment.id)
    if enrolment.status == Status.WITHDRAWN:
        return None
    was = enrolment.status
    enrolment.status, enrolment.position = Status.WITHDRAWN, None
    enrolment.save(update_fields=["status", "position", "updated_at"])
    if was != Status.ALLOCATED:
        return None
    programme = enrolment.programme
    taken = Enrolment.objects.filter(programme=programme, status=Status.ALLOCATED).count()
    if taken >= programme.capacity:
        return None
    first = (
        Enrolment.objects.select_for_update()
        .filter(programme=programme, status=Status.WAITLISTED)
        .select_related("student")
        .order_by("position", "id")
        .first()
    )
    if first is None:
        return None
    first.status, first.source, first.position = Status.ALLOCATED, Source.PROMOTION, None
    first.save(update_fields=["status", "source", "position", "updated_at"])
    _notify_parents(
        first.student,
        _("%(child)s has a place in “%(name)s”")
        % {"child": first.student.name, "name": programme.name},
        _("A place became free and %(child)s was first on the waiting list.")
        % {"child": first.student.name},
    )
    return first


# -- Fees (AS-10) -------------------------------------------------------------------------------


def fee_cap(school: School) -> Decimal | None:
    """The strictest cap of the school's county, city and province (None: no standard set)."""
    chain = school.county.ancestors_and_self()
    amounts = FeeCap.objects.filter(region__in=chain).values_list("amount", flat=True)
    return min(amounts, default=None)


def check_fee(school: School, fee: Decimal) -> None:
    cap = fee_cap(school)
    if cap is not None and Decimal(fee) > cap:
        raise RuleViolation(
            _("The fee %(fee)s is above the regional cap of %(cap)s yuan per term.")
            % {"fee": fee, "cap": cap},
            code="fee_over_cap",
            rule="AS-10",
            field="fee",
            fee=str(fee),
            cap=str(cap),
        )


def is_exempt(student: Student, term: Term) -> bool:
    """Low-income and in-difficulty pupils automatically; others by a granted exemption."""
    return (
        StudentCareFlag.objects.filter(student=student, flag__in=sorted(EXEMPT_FLAGS)).exists()
        or FeeExemption.objects.filter(student=student, term=term).exists()
    )


@transaction.atomic
def grant_exemption(*, acc: SchoolAccess, student: Student, term: Term, reason: str):
    """The school exempts a pupil from the fee, with a reason."""
    _require(may_approve(acc), "grant_exemption")
    if student.school_id != acc.school.id or term.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the exemption.")]}, "required")
    if len(reason) > 300:
        raise ValidationError({"reason": [_("At most 300 characters.")]}, code="invalid")
    row, _created = FeeExemption.objects.update_or_create(
        student=student, term=term, defaults={"reason": reason, "granted_by": _actor(acc)}
    )
    return row


# -- Voluntary application (AS-03, AS-04) -------------------------------------------------------

AppStatus = Application.Status


def _event(app: Application, actor: User | None, reason: str = "") -> None:
    ApplicationEvent.objects.create(application=app, status=app.status, reason=reason, actor=actor)


def _reason(reason: str, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": [_("Give a reason.")]}, code="required")
    if len(reason) > 500:
        raise ValidationError({"reason": [_("At most 500 characters.")]}, code="invalid")
    return reason


def _wrong_step(app: Application) -> RuleViolation:
    return RuleViolation(
        _("The application is at the step “%(status)s”.") % {"status": app.get_status_display()},
        code="wrong_step",
        rule="AS-03",
        field="application",
        status=app.status,
    )


def may_review(acc: SchoolAccess, student: Student) -> bool:
    """Class review (班级初审): the head teacher of the pupil's class."""
    return student.school_class_id in acc.head_class_ids


@transaction.atomic
def apply(
    *, user: User, student: Student, term: Term, wants_homework_tutoring: bool, note: str = ""
) -> Application:
    """A parent applies for a child (the caller checked access_child).  Voluntary: no proof is
    asked.  A returned application may be sent again; any other is refused as a duplicate."""
    if term.school_id != student.school_id:
        raise PermissionDenied("other_school")
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": [_("At most 500 characters.")]}, code="invalid")
    app = Application.objects.select_for_update().filter(student=student, term=term).first()
    if app is not None and app.status != AppStatus.RETURNED:
        raise RuleViolation(
            _("%(child)s has already applied for this term.") % {"child": student.name},
            code="already_applied",
            rule="AS-03",
            field="student",
        )
    if app is None:
        app = Application(student=student, term=term)
    app.wants_homework_tutoring = bool(wants_homework_tutoring)
    app.note, app.status, app.reason, app.applied_by = note, AppStatus.SUBMITTED, "", user
    app.save()
    _event(app, user)
    heads = User.objects.filter(
        staff_posts__school=student.school,
        staff_posts__active=True,
        staff_posts__roles__role=Role.HEAD_TEACHER,
        staff_posts__roles__school_class=student.school_class,
    ).distinct()
    if heads:
        send(
            users=list(heads),
            kind="afterschool",
            title=_("After-school application to review: %(child)s") % {"child": student.name},
            url=reverse("afterschool_applications", args=[student.school_id]),
        )
    return app


@transaction.atomic
def review_application(
    *, acc: SchoolAccess, application: Application, approve: bool, reason: str = ""
) -> Application:
    """Class review: the head teacher passes the application to the school or returns it."""
    app = Application.objects.select_for_update().select_related("student").get(id=application.id)
    if app.student.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    _require(may_review(acc, app.student), "review_application")
    if app.status != AppStatus.SUBMITTED:
        raise _wrong_step(app)
    reason = _reason(reason, required=not approve)
    app.status = AppStatus.CLASS_REVIEWED if approve else AppStatus.RETURNED
    app.reason = "" if approve else reason
    app.save(update_fields=["status", "reason", "updated_at"])
    _event(app, _actor(acc), reason)
    if not approve:
        _notify_application(app, _("The after-school application was returned"), reason)
    return app


@transaction.atomic
def decide_application(
    *, acc: SchoolAccess, application: Application, approve: bool, reason: str = ""
) -> Application:
    """School approval (学校核准): principal or academic office.  No refusal without a reason."""
    _require(may_approve(acc), "approve_application")
    app = Application.objects.select_for_update().select_related("student").get(id=application.id)
    if app.student.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    if app.status != AppStatus.CLASS_REVIEWED:
        raise _wrong_step(app)
    reason = _reason(reason, required=not approve)
    app.status = AppStatus.APPROVED if approve else AppStatus.DECLINED
    app.reason = "" if approve else reason
    app.save(update_fields=["status", "reason", "updated_at"])
    _event(app, _actor(acc), reason)
    if approve:
        _notify_application(app, _("Approved: please sign the after-school service agreement"))
    else:
        _notify_application(app, _("The after-school application was declined"), reason)
    return app


def _notify_application(app: Application, title: str, body: str = "") -> None:
    users = [
        g.user for g in Guardianship.objects.filter(student=app.student).select_related("user")
    ]
    if users:
        send(
            users=users,
            kind="afterschool",
            title=title,
            body=body,
            url=reverse("afterschool_application", args=[app.student_id]),
        )


def current_agreement(term: Term) -> ServiceAgreement | None:
    return ServiceAgreement.objects.filter(term=term).order_by("-version").first()


@transaction.atomic
def publish_agreement(*, acc: SchoolAccess, term: Term, text: str) -> ServiceAgreement:
    """A new version of the term's service agreement (safety, emergencies, early leave)."""
    _require(may_approve(acc), "publish_agreement")
    if term.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the agreement.")]}, code="required")
    list(ServiceAgreement.objects.select_for_update().filter(term=term))
    last = current_agreement(term)
    return ServiceAgreement.objects.create(
        school=acc.school,
        term=term,
        version=(last.version + 1) if last else 1,
        text=text,
        published_by=_actor(acc),
    )


@transaction.atomic
def sign_agreement(
    *, user: User, application: Application, agreement: ServiceAgreement
) -> AgreementSignature:
    """The parent signs the current agreement (the caller checked access_child).  An outdated
    version is refused; a parent who signed an older one signs the new one again."""
    app = Application.objects.select_for_update().get(id=application.id)
    if agreement.term_id != app.term_id:
        raise ValidationError({"agreement": [_("Not this term's agreement.")]}, code="invalid")
    if app.status not in (AppStatus.APPROVED, AppStatus.AGREEMENT_SIGNED):
        raise _wrong_step(app)
    current = current_agreement(app.term)
    if current is None or current.id != agreement.id:
        raise RuleViolation(
            _("This version of the agreement has been replaced; read and sign the current one."),
            code="outdated_agreement",
            rule="AS-03",
            field="agreement",
            version=agreement.version,
            current=current.version if current else None,
        )
    if AgreementSignature.objects.filter(application=app, agreement=agreement).exists():
        raise RuleViolation(
            _("This version is already signed."),
            code="already_signed",
            rule="AS-03",
            field="agreement",
        )
    sig = AgreementSignature.objects.create(application=app, agreement=agreement, signer=user)
    app.status = AppStatus.AGREEMENT_SIGNED
    app.save(update_fields=["status", "updated_at"])
    _event(app, user)
    return sig


@transaction.atomic
def set_work_hours(
    *, region: Region, summer_end, winter_end, summer_from, winter_from
) -> WorkHours:
    """A bureau sets its region's end of work by season (AS-01)."""
    if (summer_from.month, summer_from.day) == (winter_from.month, winter_from.day):
        raise RuleViolation(
            _("The summer and winter timetables must start on different days."),
            code="invalid",
            rule="AS-01",
            field="winter_from",
        )
    row, _created = WorkHours.objects.update_or_create(
        region=region,
        defaults={
            "summer_end": summer_end,
            "winter_end": winter_end,
            "summer_from": summer_from,
            "winter_from": winter_from,
        },
    )
    return row
