"""After-school pages (AS-01, AS-05, AS-06, AS-13).  Thin: parse input → access → one service or
selector → render.

School side: programmes (approve, supervision contact), the public weekly schedule, the "5+2"
check of a week, allocation runs (preview, publish).  Parent side: each child's ranked choices,
result, waiting-list position, free places to join.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuangjian.errors import field_of
from shuangjian.org.access import access_child, access_region, access_school
from shuangjian.org.models import RegionRole, School, Staff, Student, Venue
from shuangjian.params import date_param, int_param, time_param
from shuangjian.rules.allocation import MAX_CHOICES

from . import selectors, services
from .models import (
    WEEKDAYS,
    Application,
    Category,
    Enrolment,
    OutsideStaff,
    Programme,
    ServiceAgreement,
)


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _term(request, school: School):
    term_id = int_param(request.GET.get("term", ""))
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
                    school=acc.school, id=int_param(request.POST.get("programme", ""))
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
        week = date_param(raw)
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
            "show_priority": acc.sees_whole_school,
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
                        value = int_param(raw)
                        if value is None:
                            raise ValidationError({"choices": [_("Not a programme on offer.")]})
                        ids.append(value)
                services.save_preference(
                    user=request.user, student=student, term=view.term, programme_ids=ids
                )
                messages.success(request, _("Choices saved."))
            elif action == "join":
                programme = Programme.objects.filter(
                    school=student.school, id=int_param(request.POST.get("programme", ""))
                ).first()
                if programme is None:
                    raise Http404
                services.join_free_place(student=student, programme=programme, user=request.user)
                messages.success(request, _("Place taken."))
            elif action == "withdraw":
                enrolment = Enrolment.objects.filter(
                    student=student, id=int_param(request.POST.get("enrolment", ""))
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


# -- Shared helpers for the pages below ---------------------------------------------------------


def _viewer_school(request, school_id: int) -> tuple[School, object]:
    """The school for its staff and officials (with their SchoolAccess) or its parents (None)."""
    school = School.objects.filter(id=school_id).first()
    if school is not None and selectors.is_parent_in(request.user, school):
        try:
            return school, access_school(request.user, school_id)
        except Http404:
            return school, None
    acc = access_school(request.user, school_id)
    return acc.school, acc


# -- Voluntary application (AS-03, AS-04) -------------------------------------------------------


@login_required
def application(request, student_id: int):
    """A parent applies for a child, follows the steps and signs the service agreement."""
    student = access_child(request.user, student_id)
    term = selectors.current_term(student.school, timezone.localdate())
    if term is None:
        raise Http404
    error, field = "", ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "apply":
                services.apply(
                    user=request.user,
                    student=student,
                    term=term,
                    wants_homework_tutoring=request.POST.get("wants_homework_tutoring") == "on",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Application sent."))
            elif action == "sign":
                app = selectors.application_of(student, term)
                agreement = ServiceAgreement.objects.filter(
                    term=term, id=int_param(request.POST.get("agreement", ""))
                ).first()
                if app is None:
                    raise Http404
                if agreement is None:
                    raise ValidationError({"agreement": [_("Choose the agreement to sign.")]})
                services.sign_agreement(user=request.user, application=app, agreement=agreement)
                messages.success(request, _("Agreement signed."))
            else:
                raise Http404
        except ValidationError as exc:
            error, field = " ".join(_errors(exc)), field_of(exc)
        else:
            return redirect("afterschool_application", student_id=student.id)
    app = selectors.application_of(student, term)
    return render(
        request,
        "afterschool/application.html",
        {
            "child": student,
            "term": term,
            "app": app,
            "events": list(app.events.all()) if app else [],
            "agreement": selectors.agreement_of(term),
            "signed_version": selectors.signed_version(app),
            "error": error,
            "field": field,
        },
        status=400 if error else 200,
    )


@login_required
def applications(request, school_id: int):
    """Class review by head teachers, school approval, the service agreement (AS-03, AS-04)."""
    acc = access_school(request.user, school_id)
    if not selectors.may_view_applications(acc):
        raise PermissionDenied("view_applications")
    term = _term(request, acc.school)
    if term is None:
        raise Http404
    error, field = "", ""
    if request.method == "POST":
        action = request.POST.get("action")
        approve = request.POST.get("decision") == "approve"
        reason = request.POST.get("reason", "")
        try:
            if action in ("review", "decide"):
                app = Application.objects.filter(
                    term=term,
                    student__school=acc.school,
                    id=int_param(request.POST.get("application", "")),
                ).first()
                if app is None:
                    raise Http404
                verb = (
                    services.review_application
                    if action == "review"
                    else (services.decide_application)
                )
                verb(acc=acc, application=app, approve=approve, reason=reason)
                messages.success(request, _("Application updated."))
            elif action == "agreement":
                services.publish_agreement(acc=acc, term=term, text=request.POST.get("text", ""))
                messages.success(request, _("Agreement published."))
            else:
                raise Http404
        except ValidationError as exc:
            error, field = " ".join(_errors(exc)), field_of(exc)
        else:
            return redirect(request.get_full_path())
    return render(
        request,
        "afterschool/applications.html",
        {
            "school": acc.school,
            "term": term,
            "rows": selectors.applications(acc, term),
            "can_decide": services.may_approve(acc),
            "agreement": selectors.agreement_of(term),
            "error": error,
            "field": field,
        },
        status=400 if error else 200,
    )


@login_required
def participants(request, school_id: int):
    """The posted list of approved pupils: name and class only, for staff and parents."""
    school, _acc = _viewer_school(request, school_id)
    term = _term(request, school)
    return render(
        request,
        "afterschool/participants.html",
        {"school": school, "term": term, "rows": selectors.participants(school, term)},
    )


# -- Fees (AS-10) -------------------------------------------------------------------------------


@login_required
def fees(request, school_id: int):
    """Every programme's fee and the exemption rule (public); exempt pupils for the school office."""
    school, acc = _viewer_school(request, school_id)
    term = _term(request, school)
    office = acc is not None and selectors.may_see_exempt_list(acc)
    error, field = "", ""
    if request.method == "POST":
        if acc is None or term is None:
            raise Http404
        if not services.may_approve(acc):
            raise PermissionDenied("grant_exemption")
        student = Student.objects.filter(
            school=school, active=True, student_no=request.POST.get("student_no", "").strip()
        ).first()
        try:
            if student is None:
                raise ValidationError({"student_no": [_("No pupil with that number.")]})
            services.grant_exemption(
                acc=acc, student=student, term=term, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            error, field = " ".join(_errors(exc)), field_of(exc)
        else:
            messages.success(request, _("Exemption granted."))
            return redirect(request.get_full_path())
    return render(
        request,
        "afterschool/fees.html",
        {
            "school": school,
            "term": term,
            "rows": selectors.programmes(school, term, approved_only=True),
            "cap": services.fee_cap(school),
            "exempt": selectors.exempt_pupils(school, term) if office else None,
            "can_grant": office,
            "error": error,
            "field": field,
        },
        status=400 if error else 200,
    )


# -- Proposing a programme (AS-07) --------------------------------------------------------------

SLOT_FORMS = 3


def _proposal(request, acc, term) -> dict:
    """The form's input as create_programme arguments; a ValidationError names the bad field."""
    p = request.POST

    def number(name: str) -> int:
        value = int_param(p.get(name, "").strip())
        if value is None:
            raise ValidationError({name: [_("Enter a whole number.")]}, code="invalid")
        return value

    venue = Venue.objects.filter(school=acc.school, id=int_param(p.get("venue", ""))).first()
    if venue is None:
        raise ValidationError({"venue": [_("Choose a venue.")]}, code="required")
    lead = Staff.objects.filter(
        school=acc.school, active=True, id=int_param(p.get("lead", ""))
    ).first()
    if lead is None:
        raise ValidationError({"lead": [_("Choose the lead teacher.")]}, code="required")
    try:
        fee = Decimal(p.get("fee", "").strip() or "0")
    except ArithmeticError:
        fee = None
    if fee is None or not fee.is_finite() or abs(fee) >= 10**6:
        raise ValidationError({"fee": [_("Enter an amount in yuan.")]}, code="invalid")
    outside = None
    if p.get("outside_staff", "").strip():
        outside = OutsideStaff.objects.filter(
            school=acc.school, id=int_param(p.get("outside_staff", "").strip())
        ).first()
        if outside is None:
            raise ValidationError(
                {"outside_staff": [_("Choose an approved outside person.")]}, code="invalid"
            )
    assistant_ids = [i for i in (int_param(v) for v in p.getlist("assistants")) if i is not None]
    assistants = list(Staff.objects.filter(school=acc.school, active=True, id__in=assistant_ids))
    if len(assistants) != len(set(assistant_ids)):
        raise ValidationError({"assistants": [_("Choose staff of this school.")]}, code="invalid")
    slots = []
    for i in range(1, SLOT_FORMS + 1):
        day, start, end = (p.get(f"slot_{i}_{k}", "") for k in ("weekday", "start", "end"))
        if not (day or start or end):
            continue
        start_t, end_t = time_param(start), time_param(end)
        if int_param(day) is None or start_t is None or end_t is None:
            raise ValidationError(
                {"slots": [_("Give each session a weekday, a start and an end.")]}, "invalid"
            )
        slots.append(services.SlotIn(int(day), start_t, end_t))
    return {
        "term": term,
        "name": p.get("name", ""),
        "category": p.get("category", ""),
        "grade_from": number("grade_from"),
        "grade_to": number("grade_to"),
        "capacity": number("capacity"),
        "venue": venue,
        "lead": lead,
        "fee": fee,
        "slots": slots,
        "outside_staff": outside,
        "assistants": assistants,
    }


@login_required
def propose(request, school_id: int):
    """Teachers and after-school staff propose a programme; the school approves it (AS-07)."""
    acc = access_school(request.user, school_id)
    if not services.may_propose(acc):
        raise PermissionDenied("propose_programme")
    term = _term(request, acc.school)
    if term is None:
        raise Http404
    error, field = "", ""
    if request.method == "POST":
        try:
            services.create_programme(acc=acc, **_proposal(request, acc, term))
        except ValidationError as exc:
            error, field = " ".join(_errors(exc)), field_of(exc)
        else:
            messages.success(request, _("Programme proposed; the school will review it."))
            return redirect("afterschool", school_id=school_id)
    return render(
        request,
        "afterschool/propose.html",
        {
            "school": acc.school,
            "term": term,
            "categories": Category.choices,
            "venues": Venue.objects.filter(school=acc.school).order_by("name"),
            "staff": Staff.objects.filter(school=acc.school, active=True).order_by("name"),
            "weekdays": list(enumerate(WEEKDAYS)),
            "slot_forms": range(1, SLOT_FORMS + 1),
            "cap": services.fee_cap(acc.school),
            "outside_staff": selectors.teachable_outside_staff(acc.school, timezone.localdate()),
            "form": request.POST,
            "error": error,
            "field": field,
        },
        status=400 if error else 200,
    )


# -- Outside staff (AS-07) ----------------------------------------------------------------------


@login_required
def outside_staff(request, school_id: int):
    """Outside people admitted to teach: register (after-school staff and the school office),
    confirm the background check, approve or reject (principal or academic office)."""
    acc = access_school(request.user, school_id)
    if not services.may_propose(acc):
        raise PermissionDenied("view_outside_staff")
    error, field = "", ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "register":
            if not services.may_register_outside_staff(acc):
                raise PermissionDenied("register_outside_staff")
        elif action in ("approve", "reject"):
            if not services.may_approve(acc):
                raise PermissionDenied(f"{action}_outside_staff")
        elif action == "confirm":
            if not services.may_register_outside_staff(acc):
                raise PermissionDenied("confirm_background_check")
        else:
            raise Http404
        person = None
        if action != "register":
            person = OutsideStaff.objects.filter(
                school=acc.school, id=int_param(request.POST.get("person", ""))
            ).first()
            if person is None:
                raise Http404
        try:
            if action == "register":
                raw = request.POST.get("valid_until", "").strip()
                valid_until = date_param(raw)
                if raw and valid_until is None:
                    raise ValidationError(
                        {"valid_until": [_("Enter a date (YYYY-MM-DD).")]}, code="invalid"
                    )
                services.register_outside_staff(
                    acc=acc,
                    name=request.POST.get("name", ""),
                    kind=request.POST.get("kind", ""),
                    mobile=request.POST.get("mobile", ""),
                    qualification=request.POST.get("qualification", ""),
                    valid_until=valid_until,
                    background_check_confirmed=request.POST.get("background_check") == "1",
                )
                done = _("Outside person registered; the school will review the application.")
            elif action == "confirm":
                services.confirm_background_check(acc=acc, person=person)
                done = _("Background check confirmed.")
            elif action == "approve":
                services.approve_outside_staff(acc=acc, person=person)
                done = _("Outside person approved.")
            else:
                services.reject_outside_staff(
                    acc=acc, person=person, reason=request.POST.get("reason", "")
                )
                done = _("Outside person rejected.")
        except ValidationError as exc:
            error, field = " ".join(_errors(exc)), field_of(exc)
        else:
            messages.success(request, done)
            return redirect(request.get_full_path())
    return render(
        request,
        "afterschool/outside_staff.html",
        {
            "school": acc.school,
            "rows": selectors.outside_staff(acc.school),
            "kinds": OutsideStaff.Kind.choices,
            "today": timezone.localdate(),
            "can_register": services.may_register_outside_staff(acc),
            "can_approve": services.may_approve(acc),
            "can_manage": services.may_manage(acc),
            "form": request.POST if request.POST.get("action") == "register" else {},
            "error": error,
            "field": field,
        },
        status=400 if error else 200,
    )


class WorkHoursForm(forms.Form):
    summer_end = forms.TimeField(
        label=gettext_lazy("End of work, summer timetable"),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    winter_end = forms.TimeField(
        label=gettext_lazy("End of work, winter timetable"),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    summer_from = forms.DateField(
        label=gettext_lazy("Summer timetable starts"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    winter_from = forms.DateField(
        label=gettext_lazy("Winter timetable starts"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@login_required
def work_hours(request, region_id: int):
    """The region's end of work by season, which after-school service may not end before."""
    role, region = access_region(request.user, region_id)
    current = selectors.region_work_hours(region)
    form = WorkHoursForm(
        request.POST or None,
        initial={
            "summer_end": current.summer,
            "winter_end": current.winter,
            "summer_from": date(2026, *current.summer_from),
            "winter_from": date(2026, *current.winter_from),
        },
    )
    if request.method == "POST":
        if role.kind != RegionRole.Kind.OFFICER:
            raise PermissionDenied("set_work_hours")
        if form.is_valid():
            try:
                services.set_work_hours(region=region, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(getattr(exc, "field", None), exc.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("afterschool_work_hours", region_id=region.id)
    return render(
        request,
        "afterschool/work_hours.html",
        {"region": region, "form": form, "can_edit": role.kind == RegionRole.Kind.OFFICER},
    )
