"""Pages for schools and people.  Thin: access → one service or selector → render."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import roster, selectors, services
from .access import Can, access_class, access_region, access_school, schools_of
from .forms import (
    AddClassForm,
    LinkChildForm,
    LoginForm,
    ParentRegisterForm,
    RosterUploadForm,
    TermForm,
    VacationForm,
)
from .models import Guardianship, RegionRole, Staff, Student, Term, Vacation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _add_form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ShuangjianLoginView(LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"


@login_required
def home(request):
    """What this person can do: one card per school post, region role and child."""
    posts = [access_school(request.user, s.id) for s in schools_of(request.user)]
    region_roles = RegionRole.objects.filter(user=request.user).select_related("region")
    children = (
        Student.objects.filter(guardianships__user=request.user, active=True)
        .select_related("school", "school_class")
        .order_by("school_class__grade")
    )
    from shuangjian.asreview.selectors import inspected_school_ids

    return render(
        request,
        "org/home.html",
        {
            "posts": posts,
            "region_roles": region_roles,
            "children": children,
            "inspects": inspected_school_ids(request.user),
            "Can": Can,
        },
    )


def register_parent(request):
    form = ParentRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_parent(
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                mobile=form.cleaned_data["mobile"],
                password=form.cleaned_data["password"],
                relation=form.cleaned_data["relation"],
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            login(request, user, backend="shuangjian.org.auth.UsernameOrMobileBackend")
            messages.success(request, _("Your account is ready and linked to your child."))
            return redirect("home")
    return render(request, "org/register_parent.html", {"form": form})


@login_required
def link_child(request):
    form = LinkChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.link_child(
                user=request.user,
                code=form.cleaned_data["code"],
                relation=form.cleaned_data["relation"],
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s is now linked to your account.") % {"name": link.student.name}
            )
            return redirect("home")
    return render(request, "org/link_child.html", {"form": form})


@login_required
def school_detail(request, school_id: int):
    acc = access_school(request.user, school_id)
    form = AddClassForm(request.POST or None)
    if request.method == "POST":
        acc.require(Can.MANAGE_ROSTER)
        if form.is_valid():
            try:
                services.add_class(school=acc.school, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_form_errors(form, exc)
            else:
                messages.success(request, _("Class added."))
                return redirect("school", school_id=school_id)
    return render(
        request,
        "org/school.html",
        {
            "acc": acc,
            "school": acc.school,
            "summary": selectors.school_summary(acc.school),
            "classes": selectors.class_list(acc) if acc.staff else [],
            "form": form,
            "Can": Can,
        },
    )


@login_required
def class_detail(request, school_id: int, class_id: int):
    acc, klass = access_class(request.user, school_id, class_id)
    return render(
        request,
        "org/class.html",
        {
            "acc": acc,
            "school": acc.school,
            "klass": klass,
            "students": selectors.class_roster(acc, klass),
            "show_flags": acc.can_see_care_flags(klass),
            "show_contact": acc.can_see_guardian_contact(klass),
            "can_issue": acc.can_issue_parent_codes(klass),
            "manage_parents": acc.can(Can.MANAGE_PARENTS),
        },
    )


@login_required
@require_POST
def issue_codes(request, school_id: int, class_id: int):
    acc, klass = access_class(request.user, school_id, class_id)
    if not acc.can_issue_parent_codes(klass):
        raise PermissionDenied("issue_parent_codes")
    ids = [int(i) for i in request.POST.getlist("student") if i.isdigit()]
    students = selectors.class_roster(acc, klass)
    if ids:
        students = students.filter(id__in=ids)
    codes = services.issue_parent_codes(students=list(students), actor=request.user)
    return render(
        request,
        "org/codes.html",
        {
            "school": acc.school,
            "klass": klass,
            "codes": codes,
            "valid_until": timezone.localdate() + timedelta(days=services.INVITE_VALID_DAYS),
            "register_url": request.build_absolute_uri("/register/"),
        },
    )


@login_required
def roster_page(request, school_id: int):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_ROSTER)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if kind == "staff":
            acc.require(Can.MANAGE_STAFF)
        run = roster.import_staff if kind == "staff" else roster.import_students
        result = run(school=acc.school, file=form.cleaned_data["file"], actor=request.user)
    template = "org/_import_result.html" if request.htmx else "org/roster.html"
    return render(
        request,
        template,
        {"acc": acc, "school": acc.school, "form": form, "result": result, "Can": Can},
    )


@login_required
def roster_template(request, school_id: int, kind: str):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_STAFF if kind == "staff" else Can.MANAGE_ROSTER)
    if kind == "staff":
        return _xlsx(roster.staff_template(), "staff-template.xlsx")
    return _xlsx(roster.student_template(), "student-template.xlsx")


@login_required
def roster_export(request, school_id: int, kind: str):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_STAFF if kind == "staff" else Can.MANAGE_ROSTER)
    services.audit(school=acc.school, actor=request.user, action="roster_exported", kind=kind)
    stamp = timezone.localdate().isoformat()
    if kind == "staff":
        return _xlsx(roster.export_staff(acc=acc), f"staff-{acc.school.code}-{stamp}.xlsx")
    return _xlsx(roster.export_students(acc=acc), f"students-{acc.school.code}-{stamp}.xlsx")


@login_required
def staff_page(request, school_id: int):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_STAFF)
    return render(
        request,
        "org/staff.html",
        {"acc": acc, "school": acc.school, "staff": selectors.staff_list(acc)},
    )


@login_required
@require_POST
def reset_staff_password(request, school_id: int, staff_id: int):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_STAFF)
    staff = get_object_or_404(Staff, school=acc.school, id=staff_id)
    password = services.reset_password(school=acc.school, target=staff.user, actor=request.user)
    return render(
        request,
        "org/_new_password.html",
        {"person": staff.name, "login": staff.user.username, "password": password},
    )


@login_required
@require_POST
def reset_parent_password(request, school_id: int, student_id: int, user_id: int):
    acc = access_school(request.user, school_id)
    acc.require(Can.MANAGE_PARENTS)
    link = get_object_or_404(
        Guardianship.objects.select_related("user"),
        student__school=acc.school,
        student_id=student_id,
        user_id=user_id,
    )
    password = services.reset_password(school=acc.school, target=link.user, actor=request.user)
    return render(
        request,
        "org/_new_password.html",
        {"person": link.user, "login": link.user.username, "password": password},
    )


def _month(value: str | None) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


@login_required
def calendar_page(request, school_id: int):
    acc = access_school(request.user, school_id)
    term_form, vacation_form = TermForm(), VacationForm()
    if request.method == "POST":
        acc.require(Can.MANAGE_CALENDAR)
        action = request.POST.get("action")
        try:
            if action == "term":
                term_form = TermForm(request.POST)
                if term_form.is_valid():
                    services.add_term(
                        school=acc.school, actor=request.user, **term_form.cleaned_data
                    )
                    return redirect(request.get_full_path())
            elif action == "vacation":
                vacation_form = VacationForm(request.POST)
                if vacation_form.is_valid():
                    services.add_vacation(
                        school=acc.school, actor=request.user, **vacation_form.cleaned_data
                    )
                    return redirect(request.get_full_path())
            elif action == "remove_vacation":
                raw = request.POST.get("vacation", "")
                vacation = get_object_or_404(
                    Vacation, school=acc.school, id=int(raw) if raw.isdigit() else 0
                )
                services.remove_vacation(vacation=vacation, actor=request.user)
                return redirect(request.get_full_path())
            else:
                return HttpResponseBadRequest()
        except ValidationError as exc:
            _add_form_errors(term_form if action == "term" else vacation_form, exc)
    first = _month(request.GET.get("month"))
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    cal = selectors.school_calendar(acc.school, first, last)
    weeks, week = [], [None] * first.weekday()
    for day in cal.days:
        week.append(day)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return render(
        request,
        "org/calendar.html",
        {
            "acc": acc,
            "school": acc.school,
            "cal": cal,
            "weeks": weeks,
            "month": first,
            "prev": (first - timedelta(days=1)).replace(day=1),
            "next": last + timedelta(days=1),
            "weekday_names": [WEEKDAYS_ABBR[i] for i in range(7)],
            "show_warning": bool(cal.uncovered_years) and acc.can(Can.MANAGE_CALENDAR),
            "can_edit": acc.can(Can.MANAGE_CALENDAR),
            "terms": Term.objects.filter(school=acc.school),
            "vacations": Vacation.objects.filter(school=acc.school),
            "term_form": term_form,
            "vacation_form": vacation_form,
        },
    )


@login_required
def region_page(request, region_id: int):
    role, region = access_region(request.user, region_id)
    return render(
        request,
        "org/region.html",
        {"region": region, "role": role, "schools": selectors.schools_in_region(region)},
    )
