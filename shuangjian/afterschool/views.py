"""After-school pages (AS-01, AS-05, AS-06, AS-13).  Thin: parse input → access → one service or
selector → render.

School side: programmes (approve, supervision contact), the public weekly schedule, the "5+2"
check of a week, allocation runs (preview, publish).  Parent side: each child's ranked choices,
result, waiting-list position, free places to join.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shuangjian.org.access import _SCHOOL_WIDE_ROSTER, access_child, access_school
from shuangjian.org.models import School, Student
from shuangjian.rules.allocation import MAX_CHOICES

from . import selectors, services
from .models import WEEKDAYS, Enrolment, Programme


def _int(value) -> int | None:
    ok = isinstance(value, str) and value.isdecimal() and len(value) <= 15
    return int(value) if ok else None


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _term(request, school: School):
    term_id = _int(request.GET.get("term", ""))
    if term_id is not None:
        term = selectors.term_of(school, term_id)
        if term is None:
            raise Http404
        return term
    return selectors.current_term(school, timezone.localdate())


def _require_manage(acc) -> None:
    if not services.may_manage(acc):
        raise PermissionDenied("manage_afterschool")


# -- School side --------------------------------------------------------------------------------


@login_required
def school_programmes(request, school_id: int):
    acc = access_school(request.user, school_id)
    term = _term(request, acc.school)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                programme = Programme.objects.filter(
                    school=acc.school, id=_int(request.POST.get("programme", ""))
                ).first()
                if programme is None:
                    raise Http404
                services.approve_programme(acc=acc, programme=programme)
                messages.success(request, _("Programme approved."))
            elif action == "settings":
                services.save_settings(
                    acc=acc,
                    hotline=request.POST.get("hotline", ""),
                    mailbox=request.POST.get("mailbox", ""),
                )
                messages.success(request, _("Supervision contact saved."))
            else:
                raise Http404
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
        return redirect(request.get_full_path())
    conf = selectors.settings_of(acc.school)
    return render(
        request,
        "afterschool/programmes.html",
        {
            "school": acc.school,
            "term": term,
            "rows": selectors.programmes(acc.school, term),
            "can_approve": services.may_approve(acc),
            "can_manage": services.may_manage(acc),
            "settings": conf,
        },
    )


@login_required
def school_schedule(request, school_id: int):
    """AS-05: the public weekly schedule, for the school's staff, officials and its parents."""
    school = School.objects.filter(id=school_id).first()
    is_parent = (
        school is not None
        and Student.objects.filter(
            school=school, active=True, guardianships__user=request.user
        ).exists()
    )
    if not is_parent:
        school = access_school(request.user, school_id).school
    term = _term(request, school)
    sched = selectors.schedule(school, term)
    return render(
        request,
        "afterschool/schedule.html",
        {
            "school": school,
            "schedule": sched,
            "days": [(WEEKDAYS[d], entries) for d, entries in sched.days],
        },
    )


@login_required
def timetable_check(request, school_id: int):
    """AS-01: one week of the timetable against "5+2", with every gap."""
    acc = access_school(request.user, school_id)
    _require_manage(acc)
    error = ""
    raw = request.GET.get("week", "")
    week = None
    if raw:
        try:
            week = parse_date(raw)
        except ValueError:
            week = None
        if week is None:
            error = _("Enter the week as a date (YYYY-MM-DD).")
    if week is None:
        week = timezone.localdate()
    check = services.check_timetable(acc.school, week)
    return render(
        request,
        "afterschool/check.html",
        {"school": acc.school, "check": check, "week": week, "error": error},
        status=400 if error else 200,
    )


@login_required
def allocation(request, school_id: int):
    acc = access_school(request.user, school_id)
    _require_manage(acc)
    term = _term(request, acc.school)
    error = ""
    if request.method == "POST":
        if term is None:
            raise Http404
        try:
            run = services.run_allocation(
                school=acc.school, term=term, seed=request.POST.get("seed", ""), actor=acc.user
            )
        except ValidationError as exc:
            error = " ".join(_errors(exc))
        else:
            return redirect("afterschool_run", school_id=school_id, run_id=run.id)
    return render(
        request,
        "afterschool/allocation.html",
        {
            "school": acc.school,
            "term": term,
            "runs": selectors.runs(acc.school, term),
            "error": error,
            "seed": request.POST.get("seed", "") or date.today().isoformat(),
        },
        status=400 if error else 200,
    )


@login_required
def allocation_run(request, school_id: int, run_id: int):
    acc = access_school(request.user, school_id)
    _require_manage(acc)
    run = selectors.run_of(acc.school, run_id)
    if run is None:
        raise Http404
    if request.method == "POST":
        try:
            services.publish_allocation(run=run, actor=acc.user)
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
        else:
            messages.success(request, _("Allocation published; parents are told."))
        return redirect("afterschool_run", school_id=school_id, run_id=run.id)
    return render(
        request,
        "afterschool/run.html",
        {
            "school": acc.school,
            "run": run,
            "rows": selectors.run_rows(run),
            # Priority comes from care flags (ORG-04): principal and academic office only.
            "show_priority": bool(acc.roles & _SCHOOL_WIDE_ROSTER),
        },
    )


# -- Parent side --------------------------------------------------------------------------------


@login_required
def children(request):
    return render(
        request, "afterschool/children.html", {"children": selectors.children_of(request.user)}
    )


@login_required
def child(request, student_id: int):
    student = access_child(request.user, student_id)
    today = timezone.localdate()
    view = selectors.child_afterschool(student, today)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if view.term is None:
                raise Http404
            if action == "choices":
                ids = []
                for i in range(1, MAX_CHOICES + 1):
                    raw = request.POST.get(f"choice_{i}", "")
                    if raw:
                        value = _int(raw)
                        if value is None:
                            raise ValidationError({"choices": [_("Not a programme on offer.")]})
                        ids.append(value)
                services.save_preference(
                    user=request.user, student=student, term=view.term, programme_ids=ids
                )
                messages.success(request, _("Choices saved."))
            elif action == "join":
                programme = Programme.objects.filter(
                    school=student.school, id=_int(request.POST.get("programme", ""))
                ).first()
                if programme is None:
                    raise Http404
                services.join_free_place(student=student, programme=programme, user=request.user)
                messages.success(request, _("Place taken."))
            elif action == "withdraw":
                enrolment = Enrolment.objects.filter(
                    student=student, id=_int(request.POST.get("enrolment", ""))
                ).first()
                if enrolment is None:
                    raise Http404
                services.withdraw(enrolment=enrolment)
                messages.success(request, _("Withdrawn."))
            else:
                raise Http404
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("afterschool_child", student_id=student.id)
        view = selectors.child_afterschool(student, today)
    slots = list(view.choices) + [None] * (MAX_CHOICES - len(view.choices))
    return render(
        request,
        "afterschool/child.html",
        {
            "child": student,
            "view": view,
            "slots": list(enumerate(slots[:MAX_CHOICES], 1)),
            "errors": errors,
        },
        status=400 if errors else 200,
    )
