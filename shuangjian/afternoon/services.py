"""Writes for the after-school afternoon (AS-08) and its safety records (AS-09).

The day: `open_day` opens one session per programme slot on a school day with one attendance row
per allocated pupil; the head teacher hands a class's staying pupils over (`hand_over`), the care
teacher signs them in (`sign_in`) and releases them (`release`); parents file leave
(`file_leave`), the head teacher decides it (`decide_leave`), the care teacher acknowledges it
(`acknowledge_leave`); `close_day` puts every row into its final state and alerts about every
pupil left unexplained.  Each step is a transition of rules.dismissal; a refused step raises a
RuleViolation naming AS-08 and the pupil and changes nothing.

Locking: every write to attendance rows locks the session row first, then the rows (always in
that order), and re-checks that the session is still open, so a sign-in can never slip in after
the close, and two closes of the same day cannot both alert.  Every `at` argument is the moment
of the action (now by default; the demo and the tests pass it).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuangjian.afterschool.models import Enrolment, Programme, ProgrammeSlot
from shuangjian.errors import RuleViolation
from shuangjian.notify.services import send
from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import Guardianship, Role, School, SchoolClass, StaffRole, Student, User
from shuangjian.org.selectors import school_calendar
from shuangjian.rules import dismissal
from shuangjian.rules.dismissal import Event, ReleaseMode, State

from .models import (
    Attendance,
    AttendanceEvent,
    GateEntry,
    Handover,
    LeaveRequest,
    NoticeReceipt,
    ReleaseConsent,
    SafetyNotice,
    Session,
)

# A weekend made a working day by 调休 runs the Monday timetable (the calendar data does not say
# which weekday it replaces).
MAKEUP_TIMETABLE = 0
UNEXPLAINED_ALERT = "afternoon_unexplained"

_REFUSALS = {
    "already_final": gettext_lazy("%(pupil)s is already %(state)s; that record is final (AS-08)."),
    "not_signed_in": gettext_lazy(
        "%(pupil)s has not been signed in, so cannot be released (AS-08)."
    ),
    "already_signed_in": gettext_lazy("%(pupil)s is already signed in (AS-08)."),
    "already_handed_over": gettext_lazy("%(pupil)s has already been handed over (AS-08)."),
    # rules.dismissal.check_release
    "guardian_not_named": gettext_lazy("Name the guardian who collects %(pupil)s (AS-08)."),
    "no_consent_to_go_alone": gettext_lazy(
        "%(pupil)s may go home alone only with a parent's recorded consent (AS-08)."
    ),
    "early_leave_not_approved": gettext_lazy(
        "%(pupil)s may leave before the end only with an approved early-leave request (AS-08)."
    ),
}


def may_manage_day(acc: SchoolAccess) -> bool:
    """Open and close the day: the duty leader, principal, academic office, after-school staff."""
    return acc.can_watch_afternoon() or Role.AFTERSCHOOL in acc.roles


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(what)


def _actor(acc: SchoolAccess) -> User | None:
    """The acting user, or None for the operator at the command line (an unsaved user)."""
    return acc.user if acc.user.pk else None


def _local(at: datetime) -> datetime:
    return timezone.localtime(at)


# -- Opening the day ---------------------------------------------------------------------------


def open_day(*, acc: SchoolAccess, day: date) -> list[Session]:
    """Open the sessions of a school day (idempotent: missing sessions and rows are added)."""
    _require(may_manage_day(acc), "open_afternoon")
    school = acc.school
    if not school_calendar(school, day, day).days[0].is_school_day:
        raise RuleViolation(
            _("%(day)s is not a school day: no after-school sessions.") % {"day": day},
            code="not_a_school_day",
            rule="AS-08",
            field="date",
        )
    weekday = day.weekday() if day.weekday() < 5 else MAKEUP_TIMETABLE
    slots = ProgrammeSlot.objects.filter(
        weekday=weekday,
        programme__school=school,
        programme__status=Programme.Status.APPROVED,
        programme__term__start__lte=day,
        programme__term__end__gte=day,
    ).select_related("programme")
    with transaction.atomic():
        sessions = []
        for slot in slots:
            session, _created = Session.objects.get_or_create(
                programme=slot.programme,
                date=day,
                start=slot.start,
                defaults={"school": school, "end": slot.end},
            )
            sessions.append(session)
        _add_rows([s for s in sessions if s.status == Session.Status.OPEN], day)
    return sessions


def _add_rows(sessions: list[Session], day: date) -> None:
    """One row per allocated pupil; a pupil with approved whole-afternoon leave starts on leave."""
    if not sessions:
        return
    pupils = defaultdict(list)
    for programme_id, student_id in Enrolment.objects.filter(
        programme__in=[s.programme_id for s in sessions],
        status=Enrolment.Status.ALLOCATED,
        student__active=True,
    ).values_list("programme_id", "student_id"):
        pupils[programme_id].append(student_id)
    on_leave = set(
        LeaveRequest.objects.filter(
            date=day, kind=LeaveRequest.Kind.WHOLE, status=LeaveRequest.Status.APPROVED
        ).values_list("student_id", flat=True)
    )
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=s,
                student_id=sid,
                state=State.ON_LEAVE if sid in on_leave else State.EXPECTED,
            )
            for s in sessions
            for sid in pupils[s.programme_id]
        ],
        ignore_conflicts=True,
    )


# -- Steps of one pupil ------------------------------------------------------------------------


def _lock_open_session(session_id: int) -> Session:
    session = Session.objects.select_for_update().select_related("programme").get(id=session_id)
    if session.status != Session.Status.OPEN:
        raise RuleViolation(
            _("This session is closed; its records are final (AS-08)."),
            code="session_closed",
            rule="AS-08",
            field="session",
        )
    return session


def _lock_row(attendance: Attendance) -> tuple[Session, Attendance]:
    session = _lock_open_session(attendance.session_id)
    row = Attendance.objects.select_for_update().get(id=attendance.id)
    row.session = session
    row.student = Student.objects.select_related("school_class").get(id=row.student_id)
    return session, row


def _on_session_day(session: Session, at: datetime) -> datetime:
    at = _local(at)
    if at.date() != session.date:
        raise ValidationError({"at": [_("The time must be on the day of the session.")]})
    return at


def _step(row: Attendance, event: Event, *, actor: User | None, at: datetime, note: str = ""):
    """Move one locked row by one event (rules.dismissal) and write its history row."""
    try:
        after = dismissal.step(row.state, event)
    except dismissal.Refused as refused:
        state = Attendance.State(row.state).label
        raise RuleViolation(
            str(_REFUSALS[refused.code]) % {"pupil": row.student.name, "state": state},
            code=refused.code,
            rule="AS-08",
            field="state",
            student_id=row.student_id,
            state=row.state,
        ) from refused
    event_row = AttendanceEvent(
        attendance=row,
        event=event,
        from_state=row.state,
        to_state=after,
        actor=actor,
        at=at,
        note=note,
    )
    row.state = after
    return event_row


def hand_over(
    *,
    acc: SchoolAccess,
    session: Session,
    school_class: SchoolClass,
    student_ids: set[int] | None = None,
    at: datetime | None = None,
    note: str = "",
) -> Handover:
    """The head teacher hands the class's staying pupils (all expected ones by default, or the
    ones ticked) to the care teacher; one hand-over per session and class."""
    _require(school_class.id in acc.head_class_ids, "hand_over")
    with transaction.atomic():
        session = _lock_open_session(session.id)
        at = _on_session_day(session, at or timezone.now())
        if Handover.objects.filter(session=session, school_class=school_class).exists():
            raise RuleViolation(
                _("%(klass)s has already been handed over for this session (AS-08).")
                % {"klass": school_class},
                code="class_already_handed_over",
                rule="AS-08",
                field="school_class",
            )
        rows = list(
            Attendance.objects.select_for_update()
            .filter(session=session, student__school_class=school_class)
            .select_related("student")
        )
        if student_ids is None:
            chosen = [r for r in rows if r.state == State.EXPECTED]
        else:
            chosen = [r for r in rows if r.student_id in student_ids]
            if len(chosen) != len(set(student_ids)):
                raise ValidationError(
                    {"pupils": [_("Only pupils of this class in this session can be handed over.")]}
                )
        actor = _actor(acc)
        events = [_step(r, Event.HAND_OVER, actor=actor, at=at) for r in chosen]
        Attendance.objects.bulk_update(chosen, ["state", "updated_at"])
        AttendanceEvent.objects.bulk_create(events)
        return Handover.objects.create(
            session=session,
            school_class=school_class,
            handed_by=acc.user,
            at=at,
            pupils=len(chosen),
            note=note[:200],
        )


def sign_in(*, acc: SchoolAccess, attendance: Attendance, at: datetime | None = None) -> Attendance:
    with transaction.atomic():
        session, row = _lock_row(attendance)
        _require(acc.can_run_afternoon(session.programme), "run_afternoon")
        at = _on_session_day(session, at or timezone.now())
        event = _step(row, Event.SIGN_IN, actor=_actor(acc), at=at)
        row.signed_in_at = at
        row.save(update_fields=["state", "signed_in_at", "updated_at"])
        event.save()
        return row


def release(
    *,
    acc: SchoolAccess,
    attendance: Attendance,
    mode: str,
    guardian_name: str = "",
    at: datetime | None = None,
) -> Attendance:
    """Release a signed-in pupil: to a named guardian, alone (with a parent's recorded consent),
    to the school bus or to extended care; before the end only with approved early leave."""
    if mode not in Attendance.ReleaseMode.values:
        raise ValidationError({"mode": [_("Choose how the pupil leaves.")]})
    guardian_name = guardian_name.strip()[:50]
    with transaction.atomic():
        session, row = _lock_row(attendance)
        _require(acc.can_run_afternoon(session.programme), "run_afternoon")
        at = _on_session_day(session, at or timezone.now())
        event = _step(row, Event.RELEASE, actor=_actor(acc), at=at)
        if row.signed_in_at and at < row.signed_in_at:
            raise ValidationError({"at": [_("A pupil cannot leave before being signed in.")]})
        check = dismissal.check_release(
            at=at.time(),
            end=session.end,
            mode=ReleaseMode(mode),
            guardian_name=guardian_name,
            has_consent=ReleaseConsent.objects.filter(
                student_id=row.student_id, revoked_at__isnull=True
            ).exists(),
            early_leave_approved=LeaveRequest.objects.filter(
                student_id=row.student_id,
                date=session.date,
                kind=LeaveRequest.Kind.EARLY,
                status=LeaveRequest.Status.APPROVED,
            ).exists(),
        )
        if check.code:
            raise RuleViolation(
                str(_REFUSALS[check.code]) % {"pupil": row.student.name},
                code=check.code,
                rule="AS-08",
                field="guardian_name" if check.code == "guardian_not_named" else "mode",
                student_id=row.student_id,
            )
        row.released_at, row.release_mode, row.late_pickup = at, mode, check.late
        row.guardian_name = guardian_name if mode == ReleaseMode.GUARDIAN else ""
        event.note = row.guardian_name or mode
        row.save(
            update_fields=[
                "state",
                "released_at",
                "release_mode",
                "guardian_name",
                "late_pickup",
                "updated_at",
            ]
        )
        event.save()
        return row


# -- Leave (parent → head teacher → care teacher) ----------------------------------------------


def file_leave(
    *,
    user: User,
    student: Student,
    day: date,
    kind: str,
    reason: str,
    leave_at: time | None = None,
    at: datetime | None = None,
) -> LeaveRequest:
    """A parent asks leave for their own child (the caller checked access_child)."""
    at = _local(at or timezone.now())
    reason = reason.strip()
    if kind not in LeaveRequest.Kind.values:
        raise ValidationError({"kind": [_("Choose the whole afternoon or leaving early.")]})
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    if kind == LeaveRequest.Kind.EARLY and leave_at is None:
        raise ValidationError({"leave_at": [_("Give the time the child leaves.")]})
    if day < at.date():
        raise ValidationError({"date": [_("Leave cannot be asked for a past day.")]})
    with transaction.atomic():
        Student.objects.select_for_update().get(id=student.id)
        if Session.objects.filter(
            date=day, status=Session.Status.CLOSED, attendance__student=student
        ).exists():
            raise RuleViolation(
                _("The afternoon of %(day)s is closed already (AS-08).") % {"day": day},
                code="day_closed",
                rule="AS-08",
                field="date",
            )
        active = LeaveRequest.objects.filter(
            student=student, date=day, status__in=["pending", "approved"]
        )
        if active.exists():
            raise RuleViolation(
                _("A leave request for %(pupil)s on %(day)s is already open (AS-08).")
                % {"pupil": student.name, "day": day},
                code="leave_already_filed",
                rule="AS-08",
                field="date",
            )
        leave = LeaveRequest.objects.create(
            student=student,
            date=day,
            kind=kind,
            leave_at=leave_at if kind == LeaveRequest.Kind.EARLY else None,
            reason=reason[:300],
            filed_by=user,
        )
        heads = User.objects.filter(
            staff_posts__roles__role=Role.HEAD_TEACHER,
            staff_posts__roles__school_class_id=student.school_class_id,
        )
        send(
            users=heads,
            kind="afternoon_leave",
            title=_("Leave request: %(pupil)s, %(day)s") % {"pupil": student.name, "day": day},
            body=leave.reason,
            url=reverse("afternoon_today", args=[student.school_id]),
        )
        return leave


def decide_leave(
    *,
    acc: SchoolAccess,
    leave: LeaveRequest,
    approve: bool,
    reason: str = "",
    at: datetime | None = None,
) -> LeaveRequest:
    """The head teacher of the pupil's class approves or refuses (with a reason).  Approved
    whole-afternoon leave puts the pupil's open rows of that day on leave."""
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("Give the reason for refusing.")]})
    at = at or timezone.now()
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().select_related("student").get(id=leave.id)
        _require(leave.student.school_class_id in acc.head_class_ids, "decide_leave")
        if leave.status != LeaveRequest.Status.PENDING:
            raise RuleViolation(
                _("This leave request has been decided already (AS-08)."),
                code="leave_already_decided",
                rule="AS-08",
                field="status",
            )
        sessions = list(
            Session.objects.select_for_update()
            .filter(date=leave.date, attendance__student_id=leave.student_id)
            .order_by("id")
        )
        if any(s.status == Session.Status.CLOSED for s in sessions):
            raise RuleViolation(
                _("The afternoon of %(day)s is closed already (AS-08).") % {"day": leave.date},
                code="day_closed",
                rule="AS-08",
                field="date",
            )
        if approve and leave.kind == LeaveRequest.Kind.WHOLE:
            rows = list(
                Attendance.objects.select_for_update()
                .filter(session__in=sessions, student_id=leave.student_id)
                .select_related("student")
            )
            events = [
                _step(r, Event.LEAVE, actor=_actor(acc), at=at, note=leave.reason[:200])
                for r in rows
            ]
            Attendance.objects.bulk_update(rows, ["state", "updated_at"])
            AttendanceEvent.objects.bulk_create(events)
        leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED
        leave.decision_reason = "" if approve else reason[:300]
        leave.decided_by, leave.decided_at = _actor(acc), at
        leave.save()
        send(
            users=[leave.filed_by],
            kind="afternoon_leave_decided",
            title=_("Leave for %(pupil)s on %(day)s: %(status)s")
            % {
                "pupil": leave.student.name,
                "day": leave.date,
                "status": leave.get_status_display(),
            },
            body=leave.decision_reason,
            url=reverse("afternoon_child", args=[leave.student_id]),
        )
        return leave


def acknowledge_leave(
    *, acc: SchoolAccess, leave: LeaveRequest, at: datetime | None = None
) -> LeaveRequest:
    """The care teacher of one of the pupil's programmes confirms they know of the decision."""
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().select_related("student").get(id=leave.id)
        programmes = Programme.objects.filter(
            school=acc.school,
            enrolments__student_id=leave.student_id,
            enrolments__status=Enrolment.Status.ALLOCATED,
        )
        _require(any(acc.can_run_afternoon(p) for p in programmes), "acknowledge_leave")
        if leave.status == LeaveRequest.Status.PENDING:
            raise RuleViolation(
                _("The head teacher has not decided this request yet (AS-08)."),
                code="leave_not_decided",
                rule="AS-08",
                field="status",
            )
        if leave.acknowledged_at is None:
            leave.acknowledged_by, leave.acknowledged_at = _actor(acc), at or timezone.now()
            leave.save(update_fields=["acknowledged_by", "acknowledged_at"])
        return leave


def set_consent(*, user: User, student: Student, consent: bool) -> ReleaseConsent | None:
    """A parent records (or withdraws) consent that the child may go home alone."""
    with transaction.atomic():
        Student.objects.select_for_update().get(id=student.id)
        current = ReleaseConsent.objects.filter(student=student, revoked_at__isnull=True).first()
        if consent:
            return current or ReleaseConsent.objects.create(student=student, given_by=user)
        if current is not None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
        return None


# -- The end of the day --------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseResult:
    sessions: int  # sessions closed by this call
    rows: int  # attendance rows in them
    finalised: dict[str, int]  # rows moved to each final state by this call
    alerts: int  # pupils alerted about


def close_day(
    *, school: School, day: date, actor: User | None = None, now: datetime | None = None
) -> CloseResult:
    """The end-of-day reconciliation of a school (AS-08): every open session of the day is
    closed and each of its rows that is not final is moved by rules.dismissal.closing_state.
    One alert per pupil left unexplained goes to the class's head teacher, the school's duty
    leaders and the pupil's parents.  Safe to run twice or concurrently: the sessions are locked
    and only still-open ones are closed."""
    now = _local(now or timezone.now())
    with transaction.atomic():
        sessions = list(
            Session.objects.select_for_update()
            .filter(school=school, date=day, status=Session.Status.OPEN)
            .order_by("id")
        )
        if not sessions:
            return CloseResult(0, 0, {}, 0)
        latest_end = max(s.end for s in sessions)
        if (day, latest_end) > (now.date(), now.time()):
            raise RuleViolation(
                _("The afternoon of %(day)s is not over yet (last session ends %(end)s).")
                % {"day": day, "end": latest_end.strftime("%H:%M")},
                code="day_not_over",
                rule="AS-08",
                field="date",
            )
        rows = list(
            Attendance.objects.select_for_update()
            .filter(session__in=sessions)
            .exclude(state__in=list(dismissal.FINAL))
            .order_by("id")
        )
        told = set(
            LeaveRequest.objects.filter(
                date=day, student_id__in={r.student_id for r in rows}
            ).values_list("student_id", flat=True)
        )
        events, finalised = [], defaultdict(int)
        for r in rows:
            after = dismissal.closing_state(r.state, absence_notified=r.student_id in told)
            note = "not_released" if r.state == State.PRESENT else ""
            events.append(
                AttendanceEvent(
                    attendance=r,
                    event=Event.CLOSE,
                    from_state=r.state,
                    to_state=after,
                    actor=actor,
                    at=now,
                    note=note,
                )
            )
            r.state = after
            finalised[after.value] += 1
        Attendance.objects.bulk_update(rows, ["state", "updated_at"], batch_size=500)
        AttendanceEvent.objects.bulk_create(events, batch_size=500)
        total = Attendance.objects.filter(session__in=sessions).count()
        Session.objects.filter(id__in=[s.id for s in sessions]).update(
            status=Session.Status.CLOSED, closed_at=now, closed_by=actor
        )
        unexplained = [e for e in events if e.to_state == State.ABSENT_UNEXPLAINED]
        alerts = _alert_unexplained(school, day, unexplained)
    return CloseResult(len(sessions), total, dict(finalised), alerts)


def _alert_unexplained(school: School, day: date, events: list[AttendanceEvent]) -> int:
    """One in-app alert (and e-mail where configured) per unexplained pupil."""
    if not events:
        return 0
    by_pupil: dict[int, list[AttendanceEvent]] = defaultdict(list)
    for e in events:
        by_pupil[e.attendance.student_id].append(e)
    pupils = Student.objects.select_related("school_class").in_bulk(list(by_pupil))
    heads = defaultdict(list)
    for role in StaffRole.objects.filter(
        role=Role.HEAD_TEACHER,
        school_class__in={p.school_class_id for p in pupils.values()},
        staff__active=True,
    ).select_related("staff__user"):
        heads[role.school_class_id].append(role.staff.user)
    duty = list(
        User.objects.filter(
            staff_posts__school=school,
            staff_posts__active=True,
            staff_posts__roles__role=Role.DUTY_LEADER,
        ).distinct()
    )
    parents = defaultdict(list)
    for g in Guardianship.objects.filter(student_id__in=list(by_pupil)).select_related("user"):
        parents[g.student_id].append(g.user)
    for sid, pupil_events in by_pupil.items():
        pupil = pupils[sid]
        not_released = any(e.note == "not_released" for e in pupil_events)
        body = (
            _("Signed in but no release was recorded: where is the pupil now?")
            if not_released
            else _("Expected at the after-school service, not signed in, no leave on record.")
        )
        send(
            users=[*heads[pupil.school_class_id], *duty, *parents[sid]],
            kind=UNEXPLAINED_ALERT,
            title=_("Unexplained absence: %(pupil)s (%(klass)s), %(day)s")
            % {"pupil": pupil.name, "klass": pupil.school_class, "day": day},
            body=body,
            url=reverse("afternoon_live", args=[school.id]) + f"?date={day:%Y-%m-%d}",
        )
    return len(by_pupil)


# -- Safety (AS-09) -----------------------------------------------------------------------------


def send_notice(
    *,
    acc: SchoolAccess,
    kind: str,
    scope: str,
    title: str,
    body: str,
    grade: int | None = None,
    programme: Programme | None = None,
) -> SafetyNotice:
    """A bad-weather or emergency notice to the parents of the school, a grade or a programme,
    with one receipt per parent."""
    _require(acc.can_watch_afternoon(), "send_safety_notice")
    title, body = title.strip(), body.strip()
    if kind not in SafetyNotice.Kind.values:
        raise ValidationError({"kind": [_("Choose the kind of notice.")]})
    if not title:
        raise ValidationError({"title": [_("Give the notice a title.")]})
    if not body:
        raise ValidationError({"body": [_("Write the notice.")]})
    pupils = Student.objects.filter(school=acc.school, active=True)
    if scope == SafetyNotice.Scope.SCHOOL:
        grade, programme = None, None
    elif scope == SafetyNotice.Scope.GRADE:
        if grade not in acc.school.grade_range:
            raise ValidationError({"grade": [_("Choose a grade of this school.")]})
        pupils, programme = pupils.filter(school_class__grade=grade), None
    elif scope == SafetyNotice.Scope.PROGRAMME:
        if programme is None or programme.school_id != acc.school.id:
            raise ValidationError({"programme": [_("Choose a programme of this school.")]})
        pupils = pupils.filter(
            afterschool_enrolments__programme=programme,
            afterschool_enrolments__status=Enrolment.Status.ALLOCATED,
        )
        grade = None
    else:
        raise ValidationError({"scope": [_("Choose who receives the notice.")]})
    parents = list(User.objects.filter(guardianships__student__in=pupils).distinct())
    if not parents:
        raise ValidationError({"scope": [_("No parent is registered for these pupils.")]})
    with transaction.atomic():
        notice = SafetyNotice.objects.create(
            school=acc.school,
            kind=kind,
            scope=scope,
            grade=grade,
            programme=programme,
            title=title[:100],
            body=body[:2000],
            sent_by=acc.user,
        )
        NoticeReceipt.objects.bulk_create([NoticeReceipt(notice=notice, parent=p) for p in parents])
        send(
            users=parents,
            kind="afternoon_notice",
            title=notice.title,
            body=notice.body,
            url=reverse("afternoon_notice_read", args=[notice.id]),
        )
        return notice


def mark_notice_read(*, user: User, notice: SafetyNotice) -> NoticeReceipt:
    receipt = NoticeReceipt.objects.get(notice=notice, parent=user)
    NoticeReceipt.objects.filter(id=receipt.id, read_at__isnull=True).update(read_at=timezone.now())
    receipt.refresh_from_db()
    return receipt


def may_keep_gate(acc: SchoolAccess) -> bool:
    """The gate log is kept by those who manage the day."""
    return may_manage_day(acc)


def record_entry(
    *, acc: SchoolAccess, name: str, purpose: str, host: str, at: datetime | None = None
) -> GateEntry:
    """AS-09: a person entering during the service (对进出学校进行专门登记)."""
    _require(may_keep_gate(acc), "gate_log")
    values = {"name": name.strip(), "purpose": purpose.strip(), "host": host.strip()}
    empty = {k: [_("This field is required.")] for k, v in values.items() if not v}
    if empty:
        raise ValidationError(empty)
    return GateEntry.objects.create(
        school=acc.school,
        name=values["name"][:50],
        purpose=values["purpose"][:200],
        host=values["host"][:50],
        time_in=at or timezone.now(),
        recorded_by=acc.user,
    )


def record_exit(*, acc: SchoolAccess, entry: GateEntry, at: datetime | None = None) -> GateEntry:
    _require(may_keep_gate(acc), "gate_log")
    at = at or timezone.now()
    with transaction.atomic():
        entry = GateEntry.objects.select_for_update().get(id=entry.id, school=acc.school)
        if entry.time_out is not None:
            raise RuleViolation(
                _("%(name)s has already left.") % {"name": entry.name},
                code="already_left",
                rule="AS-09",
                field="time_out",
            )
        if at < entry.time_in:
            raise RuleViolation(
                _("An exit cannot be recorded before the entry (%(time_in)s).")
                % {"time_in": _local(entry.time_in).strftime("%H:%M")},
                code="exit_before_entry",
                rule="AS-09",
                field="time_out",
            )
        entry.time_out = at
        entry.save(update_fields=["time_out"])
        return entry
