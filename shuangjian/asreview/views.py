"""After-school teachers and inspection pages (AS-11, AS-12).  Thin: parse input → access → one
service or selector → render.

School side: teacher load and its spread, the monthly subsidy (and its rate), flexible hours,
daily patrols, semester scores with their evidence, the teacher evaluation; Excel exports.
Parent side: rating a child's programmes; appointed parents record patrols.
"""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shuangjian.afternoon.models import Session
from shuangjian.afterschool import selectors as as_selectors
from shuangjian.afterschool.models import Programme
from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import School, Staff
from shuangjian.params import int_param

from . import export, selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value: str) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """(field, message) of a service's ValidationError."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return field, " ".join(errors[0].messages)
    return getattr(exc, "field", "") or "", " ".join(exc.messages)


def _term(request, school: School):
    term_id = int_param(request.GET.get("term", ""))
    if term_id is not None:
        term = as_selectors.term_of(school, term_id)
        if term is None:
            raise Http404
        return term
    term = as_selectors.current_term(school, timezone.localdate())
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
    start = today - timedelta(days=today.weekday() + 21)
    end = today
    field = error = ""
    for name in ("start", "end"):
        raw = request.GET.get(name, "")
        if raw:
            value = _date(raw)
            if value is None:
                field, error = name, _("Enter the date as YYYY-MM-DD.")
            elif name == "start":
                start = value
            else:
                end = value
    if not error and end < start:
        field, error = "end", _("The end must not be before the start.")
    if not error and (end - start).days > selectors.MAX_LOAD_DAYS:
        field, error = "end", _("Choose at most 190 days.")
    result = None if error else selectors.teacher_load(acc.school, start, end)
    return render(
        request,
        "asreview/load.html",
        {
            "school": acc.school,
            "load": result,
            "start": start,
            "end": end,
            "field": field,
            "error": error,
        },
        status=400 if error else 200,
    )


# -- Subsidy (AS-11) ----------------------------------------------------------------------------


def _month(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return None


@login_required
def subsidy(request, school_id: int):
    acc = _manager(request, school_id)
    term = _term(request, acc.school)
    field = error = ""
    if request.method == "POST":
        try:
            services.set_subsidy_rate(
                acc=acc,
                term=term,
                rate=request.POST.get("rate", ""),
                outside_rate=request.POST.get("outside_rate", ""),
            )
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Subsidy rate saved."))
            return redirect(request.get_full_path())
    raw = request.GET.get("month", "")
    month = _month(raw) if raw else timezone.localdate().replace(day=1)
    if month is None:
        field, error, month = "month", _("Enter the month as YYYY-MM."), None
    sheet = selectors.subsidy_sheet(acc.school, month) if month else None
    if sheet is not None and request.GET.get("format") == "xlsx":
        return _xlsx(export.subsidy_xlsx(sheet), f"subsidy-{month:%Y-%m}")
    return render(
        request,
        "asreview/subsidy.html",
        {
            "school": acc.school,
            "term": term,
            "rate": selectors.rate_of(term),
            "sheet": sheet,
            "month": month,
            "can_set": services.may_review(acc),
            "field": field,
            "error": error,
            "post": request.POST,
        },
        status=400 if error else 200,
    )


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
        try:
            if session is None:
                raise ValidationError({"session": [_("Choose a session of this school.")]})
            if staff is None:
                raise ValidationError({"staff": [_("Choose a member of staff.")]})
            raw = request.POST.get("start_at", "")
            try:
                start_at = datetime.strptime(raw, "%H:%M").time()
            except ValueError:
                start_at = None
            services.record_flexible_hours(
                acc=acc,
                session=session,
                staff=staff,
                start_at=start_at,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Flexible hours recorded."))
            return redirect(request.path)
    day = _date(request.GET.get("day", "")) or timezone.localdate()
    return render(
        request,
        "asreview/flexible.html",
        {
            "school": acc.school,
            "rows": selectors.flexible_hours(acc.school, None if manager else acc.staff),
            "manager": manager,
            "day": day,
            "sessions": selectors.sessions_on(acc.school, day) if manager else [],
            "staff": selectors.active_staff(acc.school) if manager else [],
            "field": field,
            "error": error,
        },
        status=400 if error else 200,
    )


# -- Patrols (AS-12) ----------------------------------------------------------------------------


def _patrol_count(request, name: str) -> int | None:
    raw = request.POST.get(name, "") or "0"
    return int_param(raw)


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
        try:
            services.record_patrol(
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
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Patrol recorded."))
            return redirect(request.get_full_path())
    day = _date(request.GET.get("day", "")) or timezone.localdate()
    return render(
        request,
        "asreview/patrols.html",
        {
            "school": school,
            "patroller": patroller,
            "day": day,
            "sessions": selectors.sessions_on(school, day) if patroller else [],
            # A parent inspector sees the sessions to patrol, not the school's patrol records.
            "rows": selectors.recent_patrols(school)
            if patroller is None or patroller.term_ids is None
            else [],
            "field": field,
            "error": error,
            "post": request.POST,
        },
        status=400 if error else 200,
    )


# -- Scores (AS-12) -----------------------------------------------------------------------------


@login_required
def scores(request, school_id: int):
    acc = _manager(request, school_id)
    term = _term(request, acc.school)
    field = error = ""
    if request.method == "POST":
        try:
            services.appoint_parent_inspector(
                acc=acc, term=term, mobile=request.POST.get("mobile", "")
            )
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Parent inspector appointed."))
            return redirect(request.get_full_path())
    rows = selectors.scores(acc.school, term, timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return _xlsx(export.scores_xlsx(acc.school, term, rows), f"scores-{term.id}")
    return render(
        request,
        "asreview/scores.html",
        {
            "school": acc.school,
            "term": term,
            "rows": rows,
            "inspectors": selectors.parent_inspectors(acc.school, term),
            "can_review": services.may_review(acc),
            "field": field,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def score(request, school_id: int, programme_id: int):
    acc = _manager(request, school_id)
    programme = Programme.objects.filter(school=acc.school, id=programme_id).first()
    if programme is None:
        raise Http404
    field = error = ""
    if request.method == "POST":
        try:
            services.assess(
                acc=acc,
                programme=programme,
                points=request.POST.get("points", ""),
                evidence=request.POST.get("evidence", ""),
            )
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Assessment saved."))
            return redirect(request.path)
    found = selectors.scores(acc.school, programme.term, timezone.localdate(), [programme.id])
    return render(
        request,
        "asreview/score.html",
        {
            "school": acc.school,
            "programme": programme,
            "row": found[0] if found else None,
            "patrols": selectors.patrols_of(programme),
            "can_review": services.may_review(acc),
            "field": field,
            "error": error,
            "post": request.POST,
        },
        status=400 if error else 200,
    )


# -- Teacher evaluation (AS-11, AS-12) ----------------------------------------------------------


@login_required
def teachers(request, school_id: int):
    acc = _reviewer(request, school_id)
    term = _term(request, acc.school)
    evaluation = selectors.teacher_evaluation(acc.school, term, timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return _xlsx(export.evaluation_xlsx(acc.school, evaluation), f"teachers-{term.id}")
    return render(
        request,
        "asreview/teachers.html",
        {"school": acc.school, "term": term, "evaluation": evaluation},
    )


# -- Parents' ratings (AS-12) -------------------------------------------------------------------


@login_required
def ratings(request, student_id: int):
    student = access_child(request.user, student_id)
    field = error = ""
    if request.method == "POST":
        programme = Programme.objects.filter(
            school=student.school, id=int_param(request.POST.get("programme", ""))
        ).first()
        try:
            if programme is None:
                raise ValidationError(
                    {"programme": [_("Your child has no place in that programme.")]}
                )
            services.rate_programme(
                user=request.user,
                student=student,
                programme=programme,
                value=int_param(request.POST.get("value", "")),
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            field, error = _first_error(exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect(request.path)
    return render(
        request,
        "asreview/ratings.html",
        {
            "student": student,
            "rows": selectors.child_ratings(student, request.user),
            "values": range(1, 6),
            "field": field,
            "error": error,
        },
        status=400 if error else 200,
    )
