"""Afternoon API (AS-08): open and close a day, a session's roster with states, sign in, release,
leave requests and their decision — so a gate device or another app can sign pupils in and out.
Refusals come back as 422 {"code", "message", "rule": "AS-08", "field", ...}."""

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema, Status

from shuangjian.org.access import access_child, access_school

from . import selectors, services
from .models import Attendance, LeaveRequest, Session

router = Router(tags=["afternoon"])


class SessionOut(Schema):
    id: int
    programme_id: int
    programme: str
    date: date
    start: time
    end: time
    status: str


class DayOut(Schema):
    sessions: list[SessionOut]


def _session_out(s: Session) -> dict:
    return {
        "id": s.id,
        "programme_id": s.programme_id,
        "programme": s.programme.name,
        "date": s.date,
        "start": s.start,
        "end": s.end,
        "status": s.status,
    }


def _manager(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not services.may_manage_day(acc):
        raise PermissionDenied("manage_afternoon")
    return acc


@router.post(
    "/schools/{school_id}/afternoon/days/{day}/open",
    response=DayOut,
    summary="Open the day's sessions from the programmes' weekly slots (idempotent)",
)
def open_day(request, school_id: int, day: date):
    acc = _manager(request, school_id)
    return {"sessions": [_session_out(s) for s in services.open_day(acc=acc, day=day)]}


class CloseOut(Schema):
    sessions: int
    rows: int
    finalised: dict[str, int]
    alerts: int


@router.post(
    "/schools/{school_id}/afternoon/days/{day}/close",
    response=CloseOut,
    summary="End-of-day reconciliation: every pupil into one final state, alerts for the "
    "unexplained (safe to repeat); 422 day_not_over",
)
def close_day(request, school_id: int, day: date):
    acc = _manager(request, school_id)
    r = services.close_day(school=acc.school, day=day, actor=request.user)
    return {"sessions": r.sessions, "rows": r.rows, "finalised": r.finalised, "alerts": r.alerts}


class RowOut(Schema):
    id: int
    student_id: int
    name: str
    school_class: str
    state: str
    signed_in_at: datetime | None
    released_at: datetime | None
    release_mode: str
    guardian_name: str
    late_pickup: bool


def _row_out(r: Attendance) -> dict:
    return {
        "id": r.id,
        "student_id": r.student_id,
        "name": r.student.name,
        "school_class": str(r.student.school_class),
        "state": r.state,
        "signed_in_at": r.signed_in_at,
        "released_at": r.released_at,
        "release_mode": r.release_mode,
        "guardian_name": r.guardian_name,
        "late_pickup": r.late_pickup,
    }


class RosterOut(Schema):
    session: SessionOut
    rows: list[RowOut]


def _session(request, session_id: int):
    session = Session.objects.select_related("programme").filter(id=session_id).first()
    if session is None:
        raise Http404
    acc = access_school(request.user, session.school_id)
    if not acc.can_run_afternoon(session.programme):
        raise PermissionDenied("run_afternoon")
    return acc, session


@router.get(
    "/afternoon/sessions/{session_id}/roster",
    response=RosterOut,
    summary="A session's pupils and their states",
)
def roster(request, session_id: int):
    _acc, session = _session(request, session_id)
    return {
        "session": _session_out(session),
        "rows": [_row_out(r) for r in selectors.roster(session)],
    }


def _row(request, attendance_id: int):
    row = Attendance.objects.filter(id=attendance_id).first()
    if row is None:
        raise Http404
    acc, _session_ = _session(request, row.session_id)
    return acc, row


def _reloaded(row: Attendance) -> dict:
    return _row_out(Attendance.objects.select_related("student__school_class").get(id=row.id))


@router.post(
    "/afternoon/attendance/{attendance_id}/sign-in",
    response=RowOut,
    summary="Sign a pupil in (now); 422 already_signed_in / already_final / session_closed",
)
def sign_in(request, attendance_id: int):
    acc, row = _row(request, attendance_id)
    return _reloaded(services.sign_in(acc=acc, attendance=row))


class ReleaseIn(Schema):
    mode: str
    guardian_name: str = ""


@router.post(
    "/afternoon/attendance/{attendance_id}/release",
    response=RowOut,
    summary="Release a signed-in pupil (now) to a named guardian, alone (with consent), the bus "
    "or extended care; 422 not_signed_in / no_consent_to_go_alone / early_leave_not_approved",
)
def release(request, attendance_id: int, payload: ReleaseIn):
    acc, row = _row(request, attendance_id)
    return _reloaded(
        services.release(
            acc=acc, attendance=row, mode=payload.mode, guardian_name=payload.guardian_name
        )
    )


class LeaveIn(Schema):
    student_id: int
    date: date
    kind: str
    reason: str
    leave_at: time | None = None


class LeaveOut(Schema):
    id: int
    student_id: int
    date: date
    kind: str
    leave_at: time | None
    status: str
    decision_reason: str


def _leave_out(leave: LeaveRequest) -> dict:
    return {
        "id": leave.id,
        "student_id": leave.student_id,
        "date": leave.date,
        "kind": leave.kind,
        "leave_at": leave.leave_at,
        "status": leave.status,
        "decision_reason": leave.decision_reason,
    }


@router.post(
    "/afternoon/leave",
    response={201: LeaveOut},
    summary="A parent asks leave for their own child (whole afternoon or early at a time)",
)
def file_leave(request, payload: LeaveIn):
    student = access_child(request.user, payload.student_id)
    leave = services.file_leave(
        user=request.user,
        student=student,
        day=payload.date,
        kind=payload.kind,
        reason=payload.reason,
        leave_at=payload.leave_at,
    )
    return Status(201, _leave_out(leave))


class DecideIn(Schema):
    approve: bool
    reason: str = ""


@router.post(
    "/afternoon/leave/{leave_id}/decide",
    response=LeaveOut,
    summary="The head teacher approves or refuses (with a reason) a leave request",
)
def decide_leave(request, leave_id: int, payload: DecideIn):
    leave = LeaveRequest.objects.select_related("student").filter(id=leave_id).first()
    if leave is None:
        raise Http404
    acc = access_school(request.user, leave.student.school_id)
    leave = services.decide_leave(
        acc=acc, leave=leave, approve=payload.approve, reason=payload.reason
    )
    return _leave_out(leave)
