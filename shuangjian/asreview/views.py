"""After-school teachers and inspection pages (AS-11, AS-12).  Thin: parse input → access → one
service or selector → render.

School side: teacher load and its spread, the monthly subsidy (and its rate), flexible hours,
daily patrols, semester scores with their evidence, the teacher evaluation; Excel exports.
Parent side: rating a child's programmes; appointed parents record patrols.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.afternoon.models import Session
from shuangjian.afterschool.models import Programme
from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import School, Staff
from shuangjian.params import date_param, int_param, time_param

from . import export, selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """(field, message) of a service's ValidationError."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return field, " ".join(errors[0].messages)
    return getattr(exc, "field", "") or "", " ".join(exc.messages)


def _attempt(write) -> tuple[str, str]:
    """Run a service write: ("", "") when it went through, else the (field, message) refusing it."""
    try:
        write()
    except ValidationError as exc:
        return _first_error(exc)
    return "", ""


def _page(request, template: str, context: dict, field: str = "", error: str = ""):
    """Render a page; a refused form or a bad query answers 400 and names the field."""
    context.update(field=field, error=error)
    return render(request, template, context, status=400 if error else 200)


def _term(request, school: School):
    """The ?term= of the school, else its current term; 404 when there is none."""
    term = selectors.chosen_term(
        school, int_param(request.GET.get("term", "")), timezone.localdate()
    )
    if term is None:
        raise Http404
    return term


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename={name}.xlsx"
    response["Cache-Control"] = "no-store"
    return response


def _manager(request, school_id: int):
    acc = access_school(request.user, school_id)
    services.require(services.may_manage(acc), "manage_afterschool")
    return acc


def _reviewer(request, school_id: int):
    acc = access_school(request.user, school_id)
    services.require(services.may_review(acc), "review_afterschool")
    return acc


# -- Load (AS-11) -------------------------------------------------------------------------------


@login_required
def load(request, school_id: int):
    acc = _manager(request, school_id)
    today = timezone.localdate()
    dates = {"start": today - timedelta(days=today.weekday() + 21), "end": today}
    field = error = ""
    for name in dates:
        raw = request.GET.get(name, "")
        if raw and date_param(raw) is None:
            field, error = name, _("Enter the date as YYYY-MM-DD.")
        elif raw:
            dates[name] = date_param(raw)
    start, end = dates["start"], dates["end"]
    if not error:
        field, error = _attempt(lambda: selectors.check_load_range(start, end))
    context = {
        "school": acc.school,
        "load": None if error else selectors.teacher_load(acc.school, start, end),
        "start": start,
        "end": end,
    }
    return _page(request, "asreview/load.html", context, field, error)


# -- Subsidy (AS-11) ----------------------------------------------------------------------------


@login_required
def subsidy(request, school_id: int):
    acc = _manager(request, school_id)
    term = _term(request, acc.school)
    field = error = ""
    if request.method == "POST":
        field, error = _attempt(
            lambda: services.set_subsidy_rate(
                acc=acc,
                term=term,
                rate=request.POST.get("rate", ""),
                outside_rate=request.POST.get("outside_rate", ""),
            )
        )
        if not error:
            messages.success(request, _("Subsidy rate saved."))
            return redirect(request.get_full_path())
    raw = request.GET.get("month", "")
    month = date_param(f"{raw}-01") if raw else timezone.localdate().replace(day=1)
    if month is None:
        field, error = "month", _("Enter the month as YYYY-MM.")
    sheet = selectors.subsidy_sheet(acc.school, month) if month else None
    if sheet is not None and request.GET.get("format") == "xlsx":
        return _xlsx(export.subsidy_xlsx(sheet), f"subsidy-{month:%Y-%m}")
    context = {
        "school": acc.school,
        "term": term,
        "rate": selectors.rate_of(term),
        "sheet": sheet,
        "month": month,
        "can_set": services.may_review(acc),
        "post": request.POST,
    }
    return _page(request, "asreview/subsidy.html", context, field, error)


# -- Flexible hours (AS-11) ---------------------------------------------------------------------


@login_required
def flexible(request, school_id: int):
    """Managers record and see everyone's; any other staff member sees their own."""
    acc = access_school(request.user, school_id)
    if acc.staff is None:
        raise PermissionDenied("staff_only")
    manager = services.may_manage(acc)
    field = error = ""
    if request.method == "POST":
        services.require(manager, "record_flexible_hours")
        session = Session.objects.filter(
            school=acc.school, id=int_param(request.POST.get("session", ""))
        ).first()
        staff = Staff.objects.filter(
            school=acc.school, id=int_param(request.POST.get("staff", ""))
        ).first()
        if session is None:
            field, error = "session", _("Choose a session of this school.")
        elif staff is None:
            field, error = "staff", _("Choose a member of staff.")
        else:
            field, error = _attempt(
                lambda: services.record_flexible_hours(
                    acc=acc,
                    session=session,
                    staff=staff,
                    start_at=time_param(request.POST.get("start_at", "")),
                    note=request.POST.get("note", ""),
                )
            )
            if not error:
                messages.success(request, _("Flexible hours recorded."))
                return redirect(request.path)
    day = date_param(request.GET.get("day", "")) or timezone.localdate()
    context = {
        "school": acc.school,
        "rows": selectors.flexible_hours(acc.school, None if manager else acc.staff),
        "manager": manager,
        "day": day,
        "sessions": selectors.sessions_on(acc.school, day) if manager else [],
        "staff": selectors.active_staff(acc.school) if manager else [],
    }
    return _page(request, "asreview/flexible.html", context, field, error)


# -- Patrols (AS-12) ----------------------------------------------------------------------------


def _patrol_count(request, name: str) -> int | None:
    return int_param(request.POST.get(name, "") or "0")


@login_required
def patrols(request, school_id: int):
    """The duty leader or an appointed parent records patrols; managers read them."""
    try:
        patroller = services.patroller_for(request.user, school_id)
        school = patroller.school
    except PermissionDenied:
        patroller = None
        school = _manager(request, school_id).school
    field = error = ""
    if request.method == "POST":
        if patroller is None:
            raise PermissionDenied("patrol_afterschool")
        session = Session.objects.filter(
            school=school, id=int_param(request.POST.get("session", ""))
        ).first()
        if session is None:
            raise Http404
        field, error = _attempt(
            lambda: services.record_patrol(
                patroller=patroller,
                session=session,
                staff_present=request.POST.get("staff_present") == "on",
                activity_held=request.POST.get("activity_held") == "on",
                rules_kept=request.POST.get("rules_kept") == "on",
                breaches=_patrol_count(request, "breaches"),
                bad_influence=_patrol_count(request, "bad_influence"),
                serious_accidents=_patrol_count(request, "serious_accidents"),
                note=request.POST.get("note", ""),
            )
        )
        if not error:
            messages.success(request, _("Patrol recorded."))
            return redirect(request.get_full_path())
    day = date_param(request.GET.get("day", "")) or timezone.localdate()
    context = {
        "school": school,
        "patroller": patroller,
        "day": day,
        "sessions": selectors.sessions_on(school, day) if patroller else [],
        # A parent inspector sees the sessions to patrol, not the school's patrol records.
        "rows": selectors.recent_patrols(school)
        if patroller is None or patroller.term_ids is None
        else [],
        "post": request.POST,
    }
    return _page(request, "asreview/patrols.html", context, field, error)


# -- Scores (AS-12) -----------------------------------------------------------------------------


@login_required
def scores(request, school_id: int):
    acc = _manager(request, school_id)
    term = _term(request, acc.school)
    field = error = ""
    if request.method == "POST":
        field, error = _attempt(
            lambda: services.appoint_parent_inspector(
                acc=acc, term=term, mobile=request.POST.get("mobile", "")
            )
        )
        if not error:
            messages.success(request, _("Parent inspector appointed."))
            return redirect(request.get_full_path())
    rows = selectors.scores(acc.school, term, timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return _xlsx(export.scores_xlsx(acc.school, term, rows), f"scores-{term.id}")
    context = {
        "school": acc.school,
        "term": term,
        "rows": rows,
        "inspectors": selectors.parent_inspectors(acc.school, term),
        "can_review": services.may_review(acc),
    }
    return _page(request, "asreview/scores.html", context, field, error)


@login_required
def score(request, school_id: int, programme_id: int):
    acc = _manager(request, school_id)
    programme = Programme.objects.filter(school=acc.school, id=programme_id).first()
    if programme is None:
        raise Http404
    field = error = ""
    if request.method == "POST":
        field, error = _attempt(
            lambda: services.assess(
                acc=acc,
                programme=programme,
                points=request.POST.get("points", ""),
                evidence=request.POST.get("evidence", ""),
            )
        )
        if not error:
            messages.success(request, _("Assessment saved."))
            return redirect(request.path)
    found = selectors.scores(acc.school, programme.term, timezone.localdate(), [programme.id])
    context = {
        "school": acc.school,
        "programme": programme,
        "row": found[0] if found else None,
        "patrols": selectors.patrols_of(programme),
        "can_review": services.may_review(acc),
        "post": request.POST,
    }
    return _page(request, "asreview/score.html", context, field, error)


# -- Teacher evaluation (AS-11, AS-12) ----------------------------------------------------------


@login_required
def teachers(request, school_id: int):
    acc = _reviewer(request, school_id)
    term = _term(request, acc.school)
    evaluation = selectors.teacher_evaluation(acc.school, term, timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return _xlsx(export.evaluation_xlsx(acc.school, evaluation), f"teachers-{term.id}")
    context = {"school": acc.school, "term": term, "evaluation": evaluation}
    return _page(request, "asreview/teachers.html", context)


# -- Parents' ratings (AS-12) -------------------------------------------------------------------


@login_required
def ratings(request, student_id: int):
    student = access_child(request.user, student_id)
    field = error = ""
    if request.method == "POST":
        programme = Programme.objects.filter(
            school=student.school, id=int_param(request.POST.get("programme", ""))
        ).first()
        if programme is None:
            field, error = "programme", _("Your child has no place in that programme.")
        else:
            field, error = _attempt(
                lambda: services.rate_programme(
                    user=request.user,
                    student=student,
                    programme=programme,
                    value=int_param(request.POST.get("value", "")),
                    comment=request.POST.get("comment", ""),
                )
            )
            if not error:
                messages.success(request, _("Thank you for your rating."))
                return redirect(request.path)
    context = {
        "student": student,
        "rows": selectors.child_ratings(student, request.user),
        "values": range(1, 6),
    }
    return _page(request, "asreview/ratings.html", context, field, error)
