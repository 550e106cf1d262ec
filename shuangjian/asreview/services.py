"""Writes for after-school teachers and inspection (AS-11, AS-12).

Who may do what:
  - principal and academic office: the subsidy rate, the effectiveness assessment, appointing
    parent inspectors, the teacher evaluation;
  - they and the after-school staff: the load and subsidy pages, recording flexible hours;
  - the duty leader (带班领导) and parents the school appointed for the term: daily patrols
    (seed 001 篇七: "学校每天带班领导、家长进行巡查");
  - parents of a pupil with a place in a programme: its satisfaction rating.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.afternoon.models import Session
from shuangjian.afterschool.selectors import work_end_times
from shuangjian.errors import RuleViolation
from shuangjian.org.access import SchoolAccess, access_school
from shuangjian.org.models import Guardianship, Role, School, Staff, Student, Term, User
from shuangjian.org.selectors import school_calendar
from shuangjian.rules import inspection as rules

from . import selectors
from .models import (
    Assessment,
    FlexibleHours,
    ParentInspector,
    Patrol,
    Rating,
    SubsidyRate,
)

REVIEWERS = {Role.PRINCIPAL, Role.ACADEMIC}
MANAGERS = {Role.PRINCIPAL, Role.ACADEMIC, Role.AFTERSCHOOL}
MAX_RATE = Decimal("10000")
MAX_EVENTS = 50  # per patrol and kind: more is a typing error
NEXT_DAY_SEARCH = 30  # days searched for the next school day after a late duty


def may_review(acc: SchoolAccess) -> bool:
    return bool(acc.roles & REVIEWERS)


def may_manage(acc: SchoolAccess) -> bool:
    return bool(acc.roles & MANAGERS)


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(what)


def _actor(acc: SchoolAccess) -> User | None:
    """The acting user, or None for the operator at the command line (an unsaved user)."""
    return acc.user if acc.user.pk else None


def _decimal(value, top) -> Decimal | None:
    """A typed number from 0 to top; None for anything else (text, NaN, infinity, out of range)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and 0 <= number <= top else None


def _money(value, field: str) -> Decimal:
    amount = _decimal(value, MAX_RATE)
    if amount is None:
        raise ValidationError(
            {field: [_("Enter an amount between 0 and 10000 yuan.")]}, code="invalid"
        )
    return amount.quantize(Decimal("0.01"))


# -- Subsidy rate (AS-11) -----------------------------------------------------------------------


def set_subsidy_rate(*, acc: SchoolAccess, term: Term, rate, outside_rate) -> SubsidyRate:
    require(may_review(acc), "set_subsidy_rate")
    amount, outside = _money(rate, "rate"), _money(outside_rate, "outside_rate")
    with transaction.atomic():
        row, _created = SubsidyRate.objects.update_or_create(
            term=term,
            defaults={
                "school": acc.school,
                "rate": amount,
                "outside_rate": outside,
                "set_by": _actor(acc),
            },
        )
    return row


# -- Flexible hours (AS-11) ---------------------------------------------------------------------


def next_school_day(school: School, day: date) -> date | None:
    cal = school_calendar(school, day + timedelta(days=1), day + timedelta(days=NEXT_DAY_SEARCH))
    return next((d.day for d in cal.days if d.is_school_day), None)


def record_flexible_hours(
    *, acc: SchoolAccess, session: Session, staff: Staff, start_at: time | None, note: str = ""
) -> FlexibleHours:
    """A late duty (a session ending at or after the region's end of work) entitles the teacher
    to start later on the next school day (seed 004 三、(一) 弹性上下班制)."""
    require(may_manage(acc), "record_flexible_hours")
    if session.school_id != acc.school.id or staff.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    if start_at is None:
        raise ValidationError({"start_at": [_("Enter the later start time (HH:MM).")]})
    if session.status == Session.Status.CANCELLED:
        raise ValidationError({"session": [_("This session was cancelled.")]})
    teachers = selectors.programme_teachers([session.programme_id]).staff[session.programme_id]
    if staff.id not in teachers:
        raise ValidationError({"staff": [_("This teacher did not teach that session.")]})
    end_of_work = work_end_times(acc.school).end_of_work(session.date)
    if session.end < end_of_work:
        raise RuleViolation(
            _("The session ended at %(end)s, before the end of work (%(end_of_work)s).")
            % {"end": f"{session.end:%H:%M}", "end_of_work": f"{end_of_work:%H:%M}"},
            code="not_a_late_duty",
            rule=rules.TEACHER_RULE,
            field="session",
            end=f"{session.end:%H:%M}",
            end_of_work=f"{end_of_work:%H:%M}",
        )
    entitled_on = next_school_day(acc.school, session.date)
    if entitled_on is None:
        raise ValidationError({"session": [_("No school day follows within a month.")]})
    with transaction.atomic():
        if FlexibleHours.objects.filter(staff=staff, session=session).exists():
            raise ValidationError({"session": [_("Already recorded for this teacher.")]})
        return FlexibleHours.objects.create(
            school=acc.school,
            staff=staff,
            session=session,
            entitled_on=entitled_on,
            start_at=start_at,
            note=note.strip()[:200],
            recorded_by=_actor(acc),
        )


# -- Parent inspectors and patrols (AS-12) ------------------------------------------------------


def appoint_parent_inspector(*, acc: SchoolAccess, term: Term, mobile: str) -> ParentInspector:
    """The school names a parent (by their account's mobile) as a patrol inspector for a term."""
    require(may_review(acc), "appoint_parent_inspector")
    user = User.objects.filter(mobile=(mobile or "").strip()).first() if mobile else None
    is_parent = (
        user is not None
        and Guardianship.objects.filter(
            user=user, student__school=acc.school, student__active=True
        ).exists()
    )
    if not is_parent:
        raise ValidationError(
            {"mobile": [_("No parent of a pupil of this school has an account with that mobile.")]}
        )
    with transaction.atomic():
        row, _created = ParentInspector.objects.get_or_create(
            term=term, user=user, defaults={"school": acc.school, "appointed_by": _actor(acc)}
        )
    return row


@dataclass(frozen=True)
class Patroller:
    """Someone who may record patrols in a school: its duty leader, or an appointed parent."""

    school: School
    user: User
    by: str  # Patrol.By
    term_ids: frozenset[int] | None  # a parent's appointed terms; None = any (duty leader)


def patroller_for(user: User, school_id: int) -> Patroller:
    """A parent appointed in the school, else the school's duty leader; other staff 403, anyone
    else 404 (through access_school)."""
    if user.is_authenticated:
        term_ids = frozenset(
            ParentInspector.objects.filter(school_id=school_id, user=user).values_list(
                "term_id", flat=True
            )
        )
        if term_ids:
            return Patroller(School.objects.get(id=school_id), user, Patrol.By.PARENT, term_ids)
    acc = access_school(user, school_id)
    require(acc.can_patrol_afterschool(), "patrol_afterschool")
    return Patroller(acc.school, user, Patrol.By.DUTY_LEADER, None)


def _count(value, field: str) -> int:
    n = value if isinstance(value, int) else None
    if n is None or not 0 <= n <= MAX_EVENTS:
        raise ValidationError({field: [_("Enter a whole number from 0 to 50.")]}, code="invalid")
    return n


def record_patrol(
    *,
    patroller: Patroller,
    session: Session,
    staff_present: bool,
    activity_held: bool,
    rules_kept: bool,
    breaches: int = 0,
    bad_influence: int = 0,
    serious_accidents: int = 0,
    note: str = "",
) -> Patrol:
    """日常巡查 (seed 001 篇七): what the patrol found in one session; each deduction needs a note."""
    if session.school_id != patroller.school.id:
        raise PermissionDenied("other_school")
    counts = rules.PatrolCounts(
        _count(breaches, "breaches"),
        _count(bad_influence, "bad_influence"),
        _count(serious_accidents, "serious_accidents"),
    )
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": [_("At most 500 characters.")]})
    if patroller.term_ids is not None and session.programme.term_id not in patroller.term_ids:
        raise PermissionDenied("parent_inspector_term")
    if session.status == Session.Status.CANCELLED:
        raise ValidationError({"session": [_("This session was cancelled.")]})
    if session.date > timezone.localdate():
        raise ValidationError({"session": [_("This session has not taken place yet.")]})
    if rules_kept and counts.breaches:
        raise ValidationError({"rules_kept": [_("Rules kept, yet breaches recorded.")]})
    if counts.deduction and not note:
        raise RuleViolation(
            _("Describe what happened: every deduction needs its evidence."),
            code="deduction_needs_note",
            rule=rules.RULE,
            field="note",
            deduction=counts.deduction,
        )
    with transaction.atomic():
        Session.objects.select_for_update().filter(id=session.id).first()
        if Patrol.objects.filter(session=session, inspector=patroller.user).exists():
            raise ValidationError({"session": [_("You have already recorded this session.")]})
        return Patrol.objects.create(
            school=patroller.school,
            session=session,
            inspector=patroller.user,
            by=patroller.by,
            staff_present=staff_present,
            activity_held=activity_held,
            rules_kept=rules_kept,
            breaches=counts.breaches,
            bad_influence=counts.bad_influence,
            serious_accidents=counts.serious_accidents,
            note=note,
        )


# -- Effectiveness and satisfaction (AS-12) -----------------------------------------------------


def assess(*, acc: SchoolAccess, programme, points, evidence: str) -> Assessment:
    require(may_review(acc), "assess_programme")
    if programme.school_id != acc.school.id:
        raise PermissionDenied("other_school")
    value = _decimal(points, rules.EFFECTIVENESS_POINTS)
    if value is None:
        raise ValidationError({"points": [_("Enter points from 0 to 20.")]}, code="invalid")
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": [_("Describe the evidence behind the points.")]})
    if len(evidence) > 2000:
        raise ValidationError({"evidence": [_("At most 2000 characters.")]})
    with transaction.atomic():
        row, _created = Assessment.objects.update_or_create(
            programme=programme,
            defaults={
                "points": value.quantize(Decimal("0.1")),
                "evidence": evidence,
                "assessed_by": _actor(acc),
            },
        )
    return row


def rate_programme(*, user: User, student: Student, programme, value, comment: str = "") -> Rating:
    """A parent rates a programme their child has a place in, 1–5; a new answer replaces theirs."""
    if not selectors.has_place(student, programme):
        raise ValidationError({"programme": [_("Your child has no place in that programme.")]})
    if not isinstance(value, int) or not rules.check_rating(value):
        raise ValidationError({"value": [_("Choose a rating from 1 to 5.")]}, code="invalid")
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise ValidationError({"comment": [_("At most 300 characters.")]})
    with transaction.atomic():
        row, _created = Rating.objects.update_or_create(
            programme=programme, user=user, defaults={"value": value, "comment": comment}
        )
    return row
