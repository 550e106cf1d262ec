"""Homework pages (HW-01 … HW-08).  Thin: parse input → access → one service or selector → render.

Forms POST back to the page they are on, with an `action` field when a page has several.
"""

import hashlib
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.notify.selectors import unread_version
from shuangjian.org.access import Can, access_child, access_region, access_school
from shuangjian.org.cache import ROSTER_VERSION, cached, user_version
from shuangjian.org.grades import grade_label
from shuangjian.org.models import RegionRole, SchoolClass, Subject
from shuangjian.org.selectors import class_roster
from shuangjian.params import date_param, int_param
from shuangjian.rules import homework as rules

from . import selectors, services
from .forms import (
    AuditForm,
    FeedbackForm,
    GradingForm,
    LimitOverrideForm,
    PolicyForm,
    PublishForm,
    ReviewForm,
    RulesDocumentForm,
    SubjectPlanForm,
)
from .models import Alert, ClassWeekAudit, DayKind, Feedback, Homework, RulesDocument, SubjectPlan

Status = Homework.Status

DAY_KIND_LABELS = {rules.DayKind(value): label for value, label in DayKind.choices}
REPORT_WEEKS = 4
MAX_PERIOD_DAYS = 366


# -- Small helpers -----------------------------------------------------------------------------


def _day(value: str | None) -> date:
    """A ?date=YYYY-MM-DD; anything unreadable (or absurd) is today."""
    return date_param(value) or timezone.localdate()


def _period(request) -> tuple[date, date]:
    """?start=&end=, by default the last four weeks (this week and the three before it)."""
    today = timezone.localdate()
    end = _day(request.GET.get("end")) if request.GET.get("end") else today
    default_start = selectors.week_start(end) - timedelta(weeks=REPORT_WEEKS - 1)
    start = _day(request.GET.get("start")) if request.GET.get("start") else default_start
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=MAX_PERIOD_DAYS)), end


def _add_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """A service's refusal as form errors, on the field it names and with the rule it cites."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(exc, "field", None)
    field = (aliases or {}).get(field, field)
    rule = getattr(exc, "rule", "")
    texts = [m if not rule or rule in m else f"{m} ({rule})" for m in exc.messages]
    form.add_error(field if field in form.fields else None, texts)


def _class_access(user, school_id: int, class_id: int):
    """A class whose homework the user may see: staff who may read its roster, and officials."""
    acc = access_school(user, school_id)
    klass = SchoolClass.objects.filter(school=acc.school, id=class_id).first()
    if klass is None:
        raise Http404
    if not acc.can_view_homework(klass):
        raise PermissionDenied("view_homework")
    klass.school = acc.school  # already loaded with its county chain
    return acc, klass


def _day_url(name: str, klass: SchoolClass, day: date, param: str = "date") -> str:
    return reverse(name, args=[klass.school_id, klass.id]) + f"?{param}={day.isoformat()}"


def _nav(day: date, step: int = 1) -> dict:
    return {
        "prev": day - timedelta(days=step),
        "next": day + timedelta(days=step),
        "today": timezone.localdate(),
    }


def _week_grid(notices: list[selectors.DayNotice]) -> dict:
    """Seven day columns × subject rows of items, with each day's total against its limit."""
    subjects: dict[int, str] = {}
    for n in notices:
        for hw in n.items:
            subjects.setdefault(hw.subject_id, hw.subject.name)
    rows = []
    for subject_id in sorted(subjects):
        cells = [[hw for hw in n.items if hw.subject_id == subject_id] for n in notices]
        rows.append({"subject": subjects[subject_id], "cells": cells})
    days = [
        {
            "notice": n,
            "label": DAY_KIND_LABELS[n.kind],
            "over": n.limit.minutes is not None and n.total > n.limit.minutes,
            "pending": sum(hw.status == Status.PENDING for hw in n.items),
        }
        for n in notices
    ]
    return {"days": days, "rows": rows}


# -- Class day page (HW-01 … HW-03, HW-07) --------------------------------------------------


def _taught_subjects(acc, klass: SchoolClass):
    ids = [subject_id for class_id, subject_id in acc.taught if class_id == klass.id]
    return Subject.objects.filter(school=acc.school, id__in=ids).order_by("id")


def _publish(request, acc, klass, subjects):
    posted = int_param(request.POST.get("subject"))
    if not subjects or (posted is not None and not acc.can_publish_homework(klass, posted)):
        raise PermissionDenied("publish_homework")
    form = PublishForm(request.POST, subjects=subjects, pupils=class_roster(acc, klass))
    if not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        result = services.publish_homework(
            teacher=request.user,
            klass=klass,
            subject=data["subject"],
            day=data["day"],
            content=data["content"],
            kind=data["kind"],
            minutes=data["minutes"],
            confirm_not_punitive=data["confirm_not_punitive"],
            elastic=data["elastic"],
            tiers=data["tiers"],
            personal_pupil_ids=[p.id for p in data["personal_pupil_ids"]],
        )
    except ValidationError as exc:
        _add_errors(form, exc, {"tiers": "tier1_name"})
        return form
    hw = result.homework
    if hw.status == Status.PENDING:
        messages.warning(
            request,
            _(
                "Held for the head teacher: with this item the day would be over the limit of "
                "%(limit)s minutes. The head teacher approves, trims or returns it."
            )
            % {"limit": result.limit},
        )
    else:
        messages.success(request, _("Published."))
    if hw.repeated:
        messages.warning(
            request, _("The same item was already set this week; the head teacher has been told.")
        )
    return redirect(_day_url("homework_class", klass, hw.date))


def _own_item(request, klass: SchoolClass) -> Homework:
    hw = get_object_or_404(Homework, school_class=klass, id=int_param(request.POST.get("homework")))
    if hw.teacher_id != request.user.id:
        raise PermissionDenied("own_homework")
    return hw


def _withdraw(request, acc, klass, subjects):
    hw = _own_item(request, klass)
    if hw.status != Status.WITHDRAWN:
        services.withdraw_homework(homework=hw, actor=request.user)
        messages.success(request, _("Withdrawn."))
    return redirect(_day_url("homework_class", klass, hw.date))


def _grade(request, acc, klass, subjects):
    hw = _own_item(request, klass)
    form = GradingForm(request.POST, auto_id=f"id_g{hw.id}_%s")
    form.homework_id = hw.id
    if hw.status != Status.PUBLISHED:
        form.add_error(None, _("Only published homework is graded."))
    if not form.is_valid():
        return form
    try:
        services.record_grading(homework=hw, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return form
    messages.success(request, _("Grading recorded."))
    return redirect(_day_url("homework_class", klass, hw.date))


def _review(request, acc, klass, subjects):
    if not acc.can_coordinate_homework(klass):
        raise PermissionDenied("coordinate_homework")
    hw = get_object_or_404(Homework, school_class=klass, id=int_param(request.POST.get("homework")))
    if hw.status != Status.PENDING:  # already decided, e.g. in another tab
        messages.error(request, _("This item is not waiting for approval."))
        return redirect(_day_url("homework_class", klass, hw.date))
    form = ReviewForm(request.POST, auto_id=f"id_r{hw.id}_%s")
    form.homework_id = hw.id
    if not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        if request.POST["action"] == "approve":
            services.approve_homework(
                homework=hw, actor=request.user, minutes=data["minutes"], note=data["note"]
            )
            messages.success(request, _("Approved and published."))
        else:
            services.return_homework(homework=hw, actor=request.user, note=data["note"])
            messages.success(request, _("Returned to the teacher."))
    except ValidationError as exc:
        _add_errors(form, exc)
        return form
    return redirect(_day_url("homework_class", klass, hw.date))


CLASS_DAY_ACTIONS = {
    "publish": _publish,
    "withdraw": _withdraw,
    "grade": _grade,
    "approve": _review,
    "return": _review,
}


def _budget_preview(request, klass: SchoolClass):
    """The htmx partial: what the others have used of the day, and what this item would add."""
    day = _day(request.GET.get("day") or request.GET.get("date"))
    budget = selectors.budget(klass, day)
    minutes = int_param(request.GET.get("minutes"))
    counts = request.GET.get("kind", rules.Kind.BASIC) in rules.WRITTEN_KINDS and not (
        request.GET.get("elastic")
    )
    subject = Subject.objects.filter(school=klass.school, id=int_param(request.GET.get("subject")))
    subject_name = subject.values_list("name", flat=True).first()
    after = budget.used + minutes if minutes and counts else None
    over = after is not None and budget.limit.minutes is not None and after > budget.limit.minutes
    return render(
        request,
        "homework/_budget.html",
        {
            "budget": budget,
            "kind_label": DAY_KIND_LABELS[budget.kind],
            "subject_name": subject_name,
            "subject_used": budget.by_subject.get(subject_name, 0),
            "subject_plan": budget.plan.get(subject_name),
            "after": after,
            "over": over,
            "policy": selectors.over_limit_policy(klass.school) if over else None,
        },
    )


@login_required
def class_day(request, school_id: int, class_id: int):
    acc, klass = _class_access(request.user, school_id, class_id)
    if request.GET.get("partial") == "budget":
        return _budget_preview(request, klass)
    day = _day(request.GET.get("date"))
    subjects = _taught_subjects(acc, klass)
    bound = None  # the form a failed POST re-displays
    if request.method == "POST":
        handler = CLASS_DAY_ACTIONS.get(request.POST.get("action"))
        if handler is None:
            return HttpResponseBadRequest()
        result = handler(request, acc, klass, subjects)
        if not isinstance(result, PublishForm | GradingForm | ReviewForm):
            return result
        bound = result

    budget = selectors.budget(klass, day)
    publish_form = None
    if subjects:
        if isinstance(bound, PublishForm):
            publish_form = bound
        else:
            initial = {"day": day, "kind": rules.Kind.BASIC.value}
            source = selectors.own_item(request.user, klass, int_param(request.GET.get("copy")))
            if source is not None:  # copy one of the teacher's earlier items into the form
                initial.update(
                    subject=source.subject_id,
                    kind=source.kind,
                    minutes=source.minutes,
                    content=source.content,
                    elastic=source.elastic,
                )
            publish_form = PublishForm(
                subjects=subjects, pupils=class_roster(acc, klass), initial=initial
            )
    own = (
        Homework.objects.filter(school_class=klass, date=day, teacher=request.user)
        .exclude(status=Status.WITHDRAWN)
        .select_related("subject", "grading")
        .prefetch_related("tiers", "targets")
    )
    own_items = []
    for hw in own:
        form = bound if isinstance(bound, GradingForm) and bound.homework_id == hw.id else None
        if form is None:
            grading = getattr(hw, "grading", None)
            fields = ("full", "face_to_face", "feedback_note")
            initial = {f: getattr(grading, f) for f in fields} if grading else {}
            form = GradingForm(initial=initial, auto_id=f"id_g{hw.id}_%s")
        own_items.append({"hw": hw, "form": form})
    pending = []
    if acc.can_coordinate_homework(klass):
        for hw in selectors.items_for_day(klass, day, (Status.PENDING,)):
            form = bound if isinstance(bound, ReviewForm) and bound.homework_id == hw.id else None
            pending.append({"hw": hw, "form": form or ReviewForm(auto_id=f"id_r{hw.id}_%s")})
    plan_rows = [
        {"subject": name, "used": budget.by_subject.get(name, 0), "plan": budget.plan.get(name)}
        for name in sorted(set(budget.by_subject) | set(budget.plan))
    ]
    return render(
        request,
        "homework/class_day.html",
        {
            "acc": acc,
            "school": acc.school,
            "klass": klass,
            "day": day,
            "nav": _nav(day),
            "budget": budget,
            "kind_label": DAY_KIND_LABELS[budget.kind],
            "plan_rows": plan_rows,
            "notice": selectors.notice(klass, day),
            "publish_form": publish_form,
            "recent": selectors.recent_own_items(request.user, klass, day) if subjects else [],
            "own_items": own_items,
            "pending": pending,
            "can_coordinate": acc.can_coordinate_homework(klass),
        },
    )


# -- Class week, board, grade week (HW-03, HW-04) -------------------------------------------


@login_required
def class_week(request, school_id: int, class_id: int):
    acc, klass = _class_access(request.user, school_id, class_id)
    monday = selectors.week_start(_day(request.GET.get("start")))
    can_plan = acc.can_coordinate_homework(klass)
    subjects = Subject.objects.filter(school=acc.school).order_by("id")
    form = SubjectPlanForm(request.POST or None, subjects=subjects) if can_plan else None
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied("coordinate_homework")
        if form.is_valid():
            try:
                services.set_subject_plan(klass=klass, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Plan saved."))
                return redirect(_day_url("homework_week", klass, monday, "start"))
    return render(
        request,
        "homework/class_week.html",
        {
            "acc": acc,
            "school": acc.school,
            "klass": klass,
            "monday": monday,
            "nav": _nav(monday, 7),
            "grid": _week_grid(selectors.week_notices(klass, monday)),
            "plans": SubjectPlan.objects.filter(school_class=klass).select_related("subject"),
            "form": form,
            "can_audit": acc.can_audit_homework(),
        },
    )


@login_required
def board(request, school_id: int, class_id: int):
    acc, klass = _class_access(request.user, school_id, class_id)
    day = _day(request.GET.get("date"))
    notice = selectors.notice(klass, day)
    return render(
        request,
        "homework/board.html",
        {
            "school": acc.school,
            "klass": klass,
            "day": day,
            "nav": _nav(day),
            "notice": notice,
            "kind_label": DAY_KIND_LABELS[notice.kind],
            "over": notice.limit.minutes is not None and notice.total > notice.limit.minutes,
        },
    )


@login_required
def grade_week(request, school_id: int, grade: int):
    acc = access_school(request.user, school_id)
    if grade not in acc.school.grade_range:
        raise Http404
    if not (acc.can_audit_homework() or grade in acc.led_grades):
        raise PermissionDenied("view_grade_homework")
    monday = selectors.week_start(_day(request.GET.get("start")))
    rows = [
        {
            "row": row,
            "cells": [
                {"total": t, "limit": lim, "over": lim is not None and t > lim}
                for t, lim in zip(row.totals, row.limits, strict=True)
            ],
        }
        for row in selectors.grade_week(acc.school, grade, monday)
    ]
    return render(
        request,
        "homework/grade_week.html",
        {
            "acc": acc,
            "school": acc.school,
            "grade": grade,
            "grade_name": grade_label(grade),
            "monday": monday,
            "days": [monday + timedelta(days=n) for n in range(7)],
            "nav": _nav(monday, 7),
            "rows": rows,
            "can_audit": acc.can_audit_homework(),
        },
    )


# -- Figures: compliance, gaps, alerts, grading (HW-06, HW-07) -------------------------------


@login_required
def report(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not (acc.can_audit_homework() or acc.official):
        raise PermissionDenied("homework_report")
    start, end = _period(request)
    school = acc.school
    return render(
        request,
        "homework/report.html",
        {
            "school": school,
            "start": start,
            "end": end,
            "by_school": selectors.compliance(school, start, end, by="school"),
            "by_week": selectors.compliance(school, start, end, by="week"),
            "by_grade": selectors.compliance(school, start, end, by="grade"),
            "by_class": selectors.compliance(school, start, end, by="class"),
            "gaps": selectors.estimate_gaps(school, start, end),
            "alerts": Alert.objects.filter(
                school_class__school=school, last_day__range=(start, end)
            )
            .select_related("school_class")
            .order_by("-last_day"),
        },
    )


@login_required
def grading_disclosure(request, school_id: int):
    acc = access_school(request.user, school_id)
    sees_all = acc.can_audit_homework() or acc.official is not None
    if not (sees_all or acc.taught or acc.head_class_ids):
        raise PermissionDenied("grading_disclosure")
    start, end = _period(request)
    teacher = None if sees_all else request.user
    return render(
        request,
        "homework/grading.html",
        {
            "school": acc.school,
            "start": start,
            "end": end,
            "rows": selectors.grading_disclosure(acc.school, start, end, teacher),
            "own_only": not sees_all,
        },
    )


# -- Audit and rules on file (HW-08) ---------------------------------------------------------


@login_required
def audit(request, school_id: int, class_id: int):
    acc, klass = _class_access(request.user, school_id, class_id)
    if not acc.can_audit_homework():
        raise PermissionDenied("audit_homework")
    monday = selectors.week_start(_day(request.GET.get("start")))
    existing = (
        ClassWeekAudit.objects.filter(school_class=klass, week_start=monday)
        .select_related("auditor")
        .first()
    )
    initial = {}
    if existing:
        initial = {f: getattr(existing, f) for f in ("verdict", "findings", "corrections")}
    form = AuditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_audit(
                klass=klass, week_start=monday, auditor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Audit recorded."))
            return redirect(_day_url("homework_audit", klass, monday, "start"))
    return render(
        request,
        "homework/audit.html",
        {
            "school": acc.school,
            "klass": klass,
            "monday": monday,
            "nav": _nav(monday, 7),
            "grid": _week_grid(selectors.week_notices(klass, monday)),
            "existing": existing,
            "form": form,
        },
    )


@login_required
def rules_documents(request, school_id: int):
    acc = access_school(request.user, school_id)
    can_file = acc.can_audit_homework()
    form = None
    if can_file:
        form = RulesDocumentForm(request.POST or None, initial={"adopted_on": timezone.localdate()})
    if request.method == "POST":
        if not can_file:
            raise PermissionDenied("file_homework_rules")
        if form.is_valid():
            try:
                services.file_rules_document(
                    school=acc.school, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The rules are on file."))
                return redirect("homework_rules", school_id=school_id)
    return render(
        request,
        "homework/rules.html",
        {
            "school": acc.school,
            "documents": RulesDocument.objects.filter(school=acc.school).select_related(
                "uploaded_by"
            ),
            "form": form,
        },
    )


# -- The parent's page (HW-04, HW-06) --------------------------------------------------------


def _feedback_form(notice: selectors.ChildNotice, saved: Feedback | None, data=None):
    """The day's report, prefilled with the saved one or else with each item's estimate."""
    saved_minutes = {fi.homework_id: fi.minutes for fi in saved.items.all()} if saved else {}
    written = [
        (i["hw"], saved_minutes.get(i["hw"].id, i["counts"]))
        for i in notice.items
        if i["hw"].is_written
    ]
    initial = {}
    if saved:
        initial = {"mostly_at_school": "yes" if saved.mostly_at_school else "no"}
        if not written:
            initial["minutes"] = saved.minutes
    return FeedbackForm(data, items=written, initial=initial)


def _child_day(child, day: date, notice, saved, form) -> str:
    """The body of the parent's page: the day's notice for this child and the report form.
    Rendered without the request: the CSRF token is added outside it (see child.html)."""
    today = timezone.localdate()
    return render_to_string(
        "homework/_child_day.html",
        {
            "child": child,
            "day": day,
            "nav": _nav(day),
            "notice": notice,
            "kind_label": DAY_KIND_LABELS[notice.kind],
            "items": notice.items,
            "total": notice.total,
            "limit": notice.limit.minutes,
            "saved": saved,
            "form": form,
            "can_report": today - timedelta(days=services.FEEDBACK_BACK_DAYS) <= day <= today,
        },
    )


# A child's day and a parent's whole page are kept for the evening's re-reads: entries per child
# and per parent, so not for the day, which for a county's parents would hold gigabytes of Redis.
PAGE_SECONDS = 2 * 3600

# Stands for the request's CSRF token in a cached page (letters and digits, so escaping leaves
# it as it is); each response puts its own token in its place.
CSRF_SLOT = "csrfslot0c8e1a5d"


def _cached_child_day(request, child, day: date) -> str:
    """The body, rendered once and kept until the class's items, the calendar, the limits or
    the child's report change (selectors.child_day_versions).  The key names the child, so a
    page is only ever read back for a user who passed access_child for that child."""
    shown = hashlib.sha256(f"{child.name}|{child.school.name}|{child.school_class}".encode())
    key = ":".join(
        [
            "childday",
            str(child.id),
            str(child.school_class_id),
            day.isoformat(),
            timezone.localdate().isoformat(),  # "today" links and whether reports are open
            request.LANGUAGE_CODE,
            shown.hexdigest()[:16],  # a renamed child or school is a new entry
        ]
    )

    def render_body():
        notice = selectors.child_notice(child, day)
        saved = selectors.saved_feedback(child, day)
        return _child_day(child, day, notice, saved, _feedback_form(notice, saved))

    return cached(key, selectors.child_day_versions(child), render_body, PAGE_SECONDS)


def _cached_child_page(request, child, day: date) -> HttpResponse:
    """The whole page, kept per person, page address and language until the body, the person,
    their unread count or the roster changes.  What belongs to the request stays out of the
    entry: the CSRF token goes into its slot, and a page with messages to show is rendered."""
    if len(messages.get_messages(request)):
        body = _cached_child_day(request, child, day)
        return render(request, "homework/child.html", {"child": child, "body": body})
    user = request.user
    address = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:16]
    key = ":".join(
        [
            "childpage",
            str(user.pk),
            str(child.id),
            str(child.school_class_id),
            address,
            timezone.localdate().isoformat(),
            request.LANGUAGE_CODE,
        ]
    )
    versions = [
        *selectors.child_day_versions(child),
        user_version(user.pk),
        unread_version(user.pk),
        ROSTER_VERSION,  # the child's and school's names in the page
    ]

    def render_page() -> str:
        body = _cached_child_day(request, child, day)
        context = {"child": child, "body": body, "csrf_token": CSRF_SLOT}
        return render_to_string("homework/child.html", context, request=request)

    page = cached(key, versions, render_page, PAGE_SECONDS)
    return HttpResponse(page.replace(CSRF_SLOT, get_token(request)))


@login_required
def child_homework(request, student_id: int):
    child = access_child(request.user, student_id)  # on every request, cached page or not
    day = _day(request.GET.get("date"))
    if request.method != "POST":
        return _cached_child_page(request, child, day)
    notice = selectors.child_notice(child, day)
    saved = selectors.saved_feedback(child, day)
    form = _feedback_form(notice, saved, request.POST)
    if form.is_valid():
        try:
            services.submit_feedback(
                reporter=request.user,
                student=child,
                day=day,
                mostly_at_school=form.cleaned_data["mostly_at_school"],
                minutes=form.cleaned_data.get("minutes"),
                item_minutes=form.item_minutes() or None,
            )
        except ValidationError as exc:
            _add_errors(form, exc, {"item_minutes": None})
        else:
            messages.success(request, _("Thank you: your report is saved."))
            return redirect(reverse("child_homework", args=[child.id]) + f"?date={day}")
    body = _child_day(child, day, notice, saved, form)  # with the errors: not cached
    return render(request, "homework/child.html", {"child": child, "body": body})


# -- Limits and the over-limit policy (HW-02, HW-03) ---------------------------------------


def _add_override(request, form, **owner) -> bool:
    if not form.is_valid():
        return False
    try:
        services.add_limit_override(**owner, **form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return False
    messages.success(request, _("The stricter limit is in force."))
    return True


@login_required
def limits(request, school_id: int):
    """Every grade's binding limits; the principal sets the policy and stricter school limits."""
    acc = access_school(request.user, school_id)
    can_edit = acc.can(Can.MANAGE_STAFF)  # the principal / school admin
    policy_form = PolicyForm(initial={"over_limit": selectors.over_limit_policy(acc.school)})
    override_form = LimitOverrideForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("homework_settings")
        if request.POST.get("action") == "policy":
            policy_form = PolicyForm(request.POST)
            if policy_form.is_valid():
                services.set_policy(school=acc.school, **policy_form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("homework_limits", school_id=school_id)
        else:
            override_form = LimitOverrideForm(request.POST)
            if _add_override(request, override_form, school=acc.school):
                return redirect("homework_limits", school_id=school_id)
    return render(
        request,
        "homework/limits.html",
        {
            "school": acc.school,
            "kinds": [label for _value, label in DayKind.choices],
            "rows": selectors.limits_table(acc.school),
            "source": rules.LIMIT_SOURCE,
            "can_edit": can_edit,
            "policy_form": policy_form,
            "override_form": override_form,
        },
    )


@login_required
def region_limits(request, region_id: int):
    """A bureau sets stricter limits for every school below it; inspectors read them."""
    role, region = access_region(request.user, region_id)
    can_edit = role.kind == RegionRole.Kind.OFFICER
    form = LimitOverrideForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("region_homework_limits")
        if _add_override(request, form, region=region):
            return redirect("homework_region_limits", region_id=region_id)
    return render(
        request,
        "homework/region_limits.html",
        {
            "region": region,
            "overrides": selectors.region_overrides(region),
            "form": form if can_edit else None,
            "source": rules.LIMIT_SOURCE,
        },
    )
