"""Afternoon pages (AS-08, AS-09).  Thin: parse input → access → one service or selector → render.

Staff: the day's sessions (and, for head teachers, hand-overs and leave to decide), the care
teacher's phone page per session (htmx sign-in and release), the hand-over of a class, the duty
leader's live view (open and close the day), safety notices with read receipts, the gate log.
Parents: a child's afternoon (status, leave, consent to go home alone) and reading a notice.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.afterschool.models import Programme
from shuangjian.errors import field_of
from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import SchoolClass
from shuangjian.params import date_param, int_param, time_param

from . import selectors, services
from .models import Attendance, GateEntry, LeaveRequest, NoticeReceipt, SafetyNotice


def _day(request) -> date:
    raw = request.GET.get("date", "")
    if not raw:
        return timezone.localdate()
    day = date_param(raw)
    if day is None:
        raise Http404
    return day


def _error(exc: ValidationError) -> dict:
    return {"message": " ".join(exc.messages), "field": field_of(exc)}


# -- Staff --------------------------------------------------------------------------------------


@login_required
def today(request, school_id: int):
    """The sessions a staff member runs today, and a head teacher's hand-overs and leave."""
    acc = access_school(request.user, school_id)
    day = _day(request)
    error = None
    if request.method == "POST":
        leave = LeaveRequest.objects.filter(
            student__school=acc.school, id=int_param(request.POST.get("leave", ""))
        ).first()
        if leave is None:
            raise Http404
        try:
            services.decide_leave(
                acc=acc,
                leave=leave,
                approve=request.POST.get("action") == "approve",
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            error = _error(exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(request.get_full_path())
    handovers, pending = selectors.head_teacher_day(acc, day)
    return render(
        request,
        "afternoon/today.html",
        {
            "school": acc.school,
            "day": day,
            "sessions": selectors.sessions_of_day(acc.school, day, acc),
            "handovers": handovers,
            "pending": pending,
            "watch": acc.can_watch_afternoon(),
            "error": error,
        },
        status=400 if error else 200,
    )


def _session(request, school_id: int, session_id: int):
    acc = access_school(request.user, school_id)
    session = selectors.session_of(acc.school, session_id)
    if session is None:
        raise Http404
    return acc, session


@login_required
def session_page(request, school_id: int, session_id: int):
    """The care teacher's phone page: sign in and release with big buttons (htmx per row)."""
    acc, session = _session(request, school_id, session_id)
    if not acc.can_run_afternoon(session.programme):
        raise PermissionDenied("run_afternoon")
    error, row = None, None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                leave = LeaveRequest.objects.filter(
                    student__school=acc.school, id=int_param(request.POST.get("leave", ""))
                ).first()
                if leave is None:
                    raise Http404
                services.acknowledge_leave(acc=acc, leave=leave)
            else:
                row = Attendance.objects.filter(
                    session=session, id=int_param(request.POST.get("row", ""))
                ).first()
                if row is None:
                    raise Http404
                if action == "sign_in":
                    row = services.sign_in(acc=acc, attendance=row)
                elif action == "release":
                    row = services.release(
                        acc=acc,
                        attendance=row,
                        mode=request.POST.get("mode", ""),
                        guardian_name=request.POST.get("guardian_name", ""),
                    )
                else:
                    raise Http404
        except ValidationError as exc:
            error = _error(exc)
        if request.htmx and row is not None:
            row = Attendance.objects.select_related("student__school_class").get(id=row.id)
            return render(
                request,
                "afternoon/_row.html",
                {"r": row, "error": error, "modes": Attendance.ReleaseMode.choices},
                status=400 if error else 200,
            )
        if error is None:
            return redirect("afternoon_session", school_id=acc.school.id, session_id=session.id)
    return render(
        request,
        "afternoon/session.html",
        {
            "school": acc.school,
            "session": session,
            "rows": selectors.roster(session),
            "leaves": selectors.leaves_for_session(session),
            "modes": Attendance.ReleaseMode.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def handover(request, school_id: int, session_id: int, class_id: int):
    """The head teacher ticks the staying pupils of the class and hands them over."""
    acc, session = _session(request, school_id, session_id)
    klass = get_object_or_404(SchoolClass, school=acc.school, id=class_id)
    if klass.id not in acc.head_class_ids:
        raise PermissionDenied("hand_over")
    error = None
    if request.method == "POST":
        try:
            ids = {int_param(v) for v in request.POST.getlist("pupil")}
            if None in ids:
                raise ValidationError({"pupils": [_("Tick pupils from the list.")]})
            services.hand_over(
                acc=acc,
                session=session,
                school_class=klass,
                student_ids=ids,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            error = _error(exc)
        else:
            messages.success(request, _("Handed over."))
            return redirect(request.path)
    return render(
        request,
        "afternoon/handover.html",
        {"school": acc.school, "view": selectors.handover_view(session, klass), "error": error},
        status=400 if error else 200,
    )


@login_required
def live(request, school_id: int):
    """The duty leader's live view; opening and closing the day."""
    acc = access_school(request.user, school_id)
    if not acc.can_watch_afternoon():
        raise PermissionDenied("watch_afternoon")
    day = _day(request)
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "open":
                opened = services.open_day(acc=acc, day=day)
                messages.success(request, _("%(n)d sessions open.") % {"n": len(opened)})
            elif action == "close":
                result = services.close_day(school=acc.school, day=day, actor=acc.user)
                messages.success(
                    request,
                    _("Day closed: %(sessions)d sessions, %(alerts)d unexplained absences.")
                    % {"sessions": result.sessions, "alerts": result.alerts},
                )
            else:
                raise Http404
        except ValidationError as exc:
            error = _error(exc)
        else:
            return redirect(request.get_full_path())
    return render(
        request,
        "afternoon/live.html",
        {"school": acc.school, "view": selectors.live_view(acc.school, day), "error": error},
        status=400 if error else 200,
    )


@login_required
def notices(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not acc.can_watch_afternoon():
        raise PermissionDenied("send_safety_notice")
    error = None
    if request.method == "POST":
        p = request.POST
        programme = None
        if p.get("scope") == SafetyNotice.Scope.PROGRAMME:
            programme = Programme.objects.filter(
                school=acc.school, id=int_param(p.get("programme", ""))
            ).first()
        try:
            notice = services.send_notice(
                acc=acc,
                kind=p.get("kind", ""),
                scope=p.get("scope", ""),
                grade=int_param(p.get("grade", "")),
                programme=programme,
                title=p.get("title", ""),
                body=p.get("body", ""),
            )
        except ValidationError as exc:
            error = _error(exc)
        else:
            return redirect("afternoon_notice", school_id=acc.school.id, notice_id=notice.id)
    return render(
        request,
        "afternoon/notices.html",
        {
            "school": acc.school,
            "notices": selectors.notices(acc.school),
            "programmes": Programme.objects.filter(
                school=acc.school, status=Programme.Status.APPROVED
            ).order_by("name"),
            "grades": acc.school.grade_range,
            "kinds": SafetyNotice.Kind.choices,
            "scopes": SafetyNotice.Scope.choices,
            "error": error,
            "form": request.POST,
        },
        status=400 if error else 200,
    )


@login_required
def notice(request, school_id: int, notice_id: int):
    """The sender's view: who has read the notice and who has not."""
    acc = access_school(request.user, school_id)
    if not acc.can_watch_afternoon():
        raise PermissionDenied("send_safety_notice")
    row = selectors.notice_of(acc.school, notice_id)
    if row is None:
        raise Http404
    read, unread = selectors.receipts(row)
    return render(
        request,
        "afternoon/notice.html",
        {"school": acc.school, "notice": row, "read": read, "unread": unread},
    )


@login_required
def gate(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not services.may_keep_gate(acc):
        raise PermissionDenied("gate_log")
    day = _day(request)
    error = None
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("action") == "entry":
                services.record_entry(
                    acc=acc,
                    name=p.get("name", ""),
                    purpose=p.get("purpose", ""),
                    host=p.get("host", ""),
                )
            elif p.get("action") == "exit":
                entry = get_object_or_404(
                    GateEntry, school=acc.school, id=int_param(p.get("entry", ""))
                )
                services.record_exit(acc=acc, entry=entry)
            else:
                raise Http404
        except ValidationError as exc:
            error = _error(exc)
        else:
            return redirect(request.get_full_path())
    return render(
        request,
        "afternoon/gate.html",
        {
            "school": acc.school,
            "day": day,
            "entries": selectors.gate_log(acc.school, day),
            "error": error,
            "form": request.POST,
        },
        status=400 if error else 200,
    )


# -- Parents ------------------------------------------------------------------------------------


@login_required
def child(request, student_id: int):
    """A parent's phone page: today's afternoon of the child, leave requests, consent."""
    student = access_child(request.user, student_id)
    today_ = timezone.localdate()
    error = None
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("action") == "leave":
                day = date_param(p.get("date", ""))
                if day is None:
                    raise ValidationError({"date": [_("Give the day.")]})
                leave_at = time_param(p.get("leave_at", ""))
                if p.get("leave_at") and leave_at is None:
                    raise ValidationError({"leave_at": [_("Give the time as HH:MM.")]})
                services.file_leave(
                    user=request.user,
                    student=student,
                    day=day,
                    kind=p.get("kind", ""),
                    reason=p.get("reason", ""),
                    leave_at=leave_at,
                )
                messages.success(request, _("Leave request sent to the head teacher."))
            elif p.get("action") == "consent":
                services.set_consent(
                    user=request.user, student=student, consent=p.get("consent") == "yes"
                )
                messages.success(request, _("Saved."))
            else:
                raise Http404
        except ValidationError as exc:
            error = _error(exc)
        else:
            return redirect("afternoon_child", student_id=student.id)
    return render(
        request,
        "afternoon/child.html",
        {
            "child": student,
            "view": selectors.child_afternoon(student, today_, request.user),
            "kinds": LeaveRequest.Kind.choices,
            "error": error,
            "form": request.POST,
            "today": today_,
        },
        status=400 if error else 200,
    )


@login_required
def notice_read(request, notice_id: int):
    """A parent reads a safety notice; opening it records the receipt."""
    receipt = NoticeReceipt.objects.filter(notice_id=notice_id, parent=request.user).first()
    if receipt is None:
        raise Http404
    receipt = services.mark_notice_read(user=request.user, notice=receipt.notice)
    return render(request, "afternoon/notice_read.html", {"receipt": receipt})
