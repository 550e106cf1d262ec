"""Complaint pages (SV-03, SV-04).  Thin: parse input → access → one service or selector → render.

Public (no login): the filing form, the "your tracking code" page, the tracking page and the
exposure board.  Bureau: the region's list, a case with its action forms, statistics.  School:
the cases brought to it, facts only.
"""

from datetime import timedelta

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuangjian.org.access import access_region
from shuangjian.org.models import Region
from shuangjian.rules import complaints as rules

from . import selectors, services, tracking
from .access import (
    access_region_case,
    access_school_complaints,
    can_answer,
    is_officer,
    require_officer,
)
from .forms import (
    AssignForm,
    CloseForm,
    ExposureForm,
    FileComplaintForm,
    FilterForm,
    FindingForm,
    LimitForm,
    PauseForm,
    RectificationRequirementForm,
    ReplyForm,
    SchoolReportForm,
    StatsPeriodForm,
    SupervisionForm,
    TrackForm,
    VerificationRequestForm,
)
from .models import Complaint, HandlingLimit, Status

FILED_SESSION_KEY = "complaint_filed"
PAGE_SIZE = 50


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal as form errors, on the field it names and with the rule it cites."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(exc, "field", None)
    rule = getattr(exc, "rule", "")
    texts = [m if not rule or rule in m else f"{m} ({rule})" for m in exc.messages]
    form.add_error(field if field in form.fields else None, texts)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


# -- Public: filing and tracking -------------------------------------------------------------


def file_new(request):
    """SV-03: anyone files a complaint about a school; works without an account."""
    form = FileComplaintForm(
        request.POST or None,
        request.FILES or None,
        schools=selectors.filing_schools(),
        initial={"school": request.GET.get("school", "")},
    )
    status = 200
    if request.method == "POST":
        if tracking.filing_throttled(request):
            form.add_error(None, _("Too many complaints from this address; try again in an hour."))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                filing = services.file_complaint(
                    school=data["school"],
                    category=data["category"],
                    description=data["description"],
                    real_name=data["real_name"],
                    complainant_name=data["complainant_name"],
                    complainant_contact=data["complainant_contact"],
                    files=data["files"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                tracking.record_filing(request)
                request.session[FILED_SESSION_KEY] = {
                    "code": filing.tracking_code,
                    "deadline": filing.complaint.deadline.isoformat(),
                    "school": filing.complaint.school.name,
                }
                return redirect("complaint_filed")
    return render(request, "complaints/new.html", {"form": form}, status=status)


def filed(request):
    """The tracking code, shown once: the session forgets it as soon as the page is shown."""
    data = request.session.pop(FILED_SESSION_KEY, None)
    if not data:
        return redirect("complaint_track")
    return _no_store(render(request, "complaints/filed.html", {"filed": data}))


def track(request):
    """The complainant follows the case with the code.  Any code that matches nothing gets the
    same 404 page, whatever it was; too many misses from one address are refused for a while."""
    if request.method != "POST":
        return render(request, "complaints/track.html", {"form": TrackForm()})
    if tracking.lookup_throttled(request):
        return render(
            request, "complaints/track.html", {"form": TrackForm(), "throttled": True}, status=429
        )
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "complaints/track.html", {"form": form})
    code = form.cleaned_data["code"]
    complaint = services.find_by_code(code)
    if complaint is None:
        tracking.record_failed_lookup(request)
        return render(
            request, "complaints/track.html", {"form": TrackForm(), "not_found": True}, status=404
        )
    reply_form = ReplyForm(initial={"code": code})
    if request.POST.get("action") == "reply":
        bound = ReplyForm(request.POST)
        if bound.is_valid():
            try:
                services.reply_as_complainant(complaint=complaint, text=bound.cleaned_data["text"])
            except ValidationError as exc:
                _add_errors(bound, exc)
                reply_form = bound
            else:
                messages.success(request, _("Your answer was sent to the bureau."))
        else:
            reply_form = bound
        complaint.refresh_from_db()
    case = selectors.public_case(complaint)
    return _no_store(
        render(
            request,
            "complaints/track.html",
            {
                "case": case,
                "reply_form": reply_form if case.is_open else None,
                "overdue": rules.is_overdue(
                    complaint.deadline, timezone.localdate(), complaint.paused_since
                )
                and case.is_open,
            },
        )
    )


# -- Bureau: list, case, statistics ------------------------------------------------------------


@login_required
def region_list(request, region_id: int):
    role, region = access_region(request.user, region_id)
    today = timezone.localdate()
    schools = list(selectors.schools_in(region))
    form = FilterForm(request.GET or None, schools=schools)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    limit_form = LimitForm(request.POST or None)
    if request.method == "POST":
        require_officer(role)
        if limit_form.is_valid():
            try:
                services.set_handling_limit(
                    actor=request.user,
                    region=region,
                    working_days=limit_form.cleaned_data["working_days"],
                )
            except ValidationError as exc:
                _add_errors(limit_form, exc)
            else:
                messages.success(request, _("Handling limit saved."))
                return redirect("complaints_region", region_id=region.id)
    qs = selectors.region_complaints(
        region,
        today=today,
        status=filters.get("status") or "",
        category=filters.get("category") or "",
        school_id=filters.get("school"),
        overdue=bool(filters.get("overdue")),
        escalated=bool(filters.get("escalated")),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/region_list.html",
        {
            "region": region,
            "role": role,
            "form": form,
            "page": page,
            "rows": [(c, c.is_overdue(today)) for c in page.object_list],
            "query": query.urlencode(),
            "limit": services.region_limit(region),
            "own_limit": HandlingLimit.objects.filter(region=region).first(),
            "default_limit": rules.DEFAULT_LIMIT_WORKING_DAYS,
            "limit_form": limit_form if is_officer(role) else None,
            "source": rules.SOURCE,
        },
    )


def _case_actions(c: Complaint) -> dict[str, bool]:
    """Which action forms make sense now (the services refuse the rest anyway)."""
    published = any(True for _e in c.exposures.all())
    return {
        "assign": rules.allowed("assign", c.status),
        "request": rules.allowed("request_verification", c.status),
        "finding": rules.allowed("finding", c.status),
        "rectify": rules.allowed("require_rectification", c.status)
        and c.finding in rules.PUBLISHABLE,
        "close": rules.allowed("close", c.status),
        "pause": rules.allowed("pause", c.status) and not c.paused_since,
        "resume": rules.allowed("resume", c.status) and bool(c.paused_since),
        "supervise": rules.allowed("special_supervision", c.status),
        "publish": c.finding in rules.PUBLISHABLE and not published,
    }


def _case_forms(c: Complaint, data=None, action: str = "") -> dict:
    """The action forms, unbound except the one just posted."""

    def bound(name):
        return data if name == action else None

    title = f"{c.school.name}{c.get_category_display()}"
    return {
        "assign": AssignForm(
            bound("assign"),
            owners=selectors.possible_owners(c),
            initial={"owner": c.owner_id},
        ),
        "request": VerificationRequestForm(
            bound("request"), initial={"description_for_school": c.description}
        ),
        "finding": FindingForm(
            bound("finding"), initial={"finding": c.finding, "finding_text": c.finding_text}
        ),
        "rectify": RectificationRequirementForm(bound("rectify")),
        "close": CloseForm(bound("close")),
        "pause": PauseForm(bound("pause")),
        "resume": django_forms.Form(bound("resume")),
        "supervise": SupervisionForm(bound("supervise"), initial={"on": c.special_supervision}),
        "publish": ExposureForm(bound("publish"), initial={"title": title[:100]}),
    }


def _run(action: str, user, c: Complaint, data: dict):
    if action == "assign":
        return services.assign(actor=user, complaint=c, owner=data["owner"])
    if action == "request":
        return services.request_verification(
            actor=user,
            complaint=c,
            request=data["request"],
            description_for_school=data["description_for_school"],
        )
    if action == "finding":
        return services.record_finding(
            actor=user, complaint=c, finding=data["finding"], text=data["finding_text"]
        )
    if action == "rectify":
        return services.require_rectification(
            actor=user, complaint=c, requirement=data["requirement"]
        )
    if action == "close":
        return services.close(actor=user, complaint=c, reply=data["reply"])
    if action == "pause":
        return services.pause_for_complainant(actor=user, complaint=c, question=data["question"])
    if action == "resume":
        return services.resume(actor=user, complaint=c)
    if action == "supervise":
        return services.set_special_supervision(
            actor=user, complaint=c, on=data["on"], note=data["note"]
        )
    if action == "publish":
        return services.publish_exposure(
            actor=user, complaint=c, title=data["title"], summary=data["summary"]
        )
    raise ValueError(action)


DONE = {
    "assign": gettext_lazy("Owner assigned."),
    "request": gettext_lazy("The school was asked to verify."),
    "finding": gettext_lazy("Finding recorded."),
    "rectify": gettext_lazy("The school was required to rectify."),
    "close": gettext_lazy("Case closed."),
    "pause": gettext_lazy("Question sent; the clock is stopped."),
    "resume": gettext_lazy("The clock runs again; the deadline was recomputed."),
    "supervise": gettext_lazy("Special supervision updated."),
    "publish": gettext_lazy("Published on the exposure board."),
}


@login_required
def case_page(request, region_id: int, complaint_id: int):
    role, region, c = access_region_case(request.user, region_id, complaint_id)
    officer = is_officer(role)
    action = ""
    if request.method == "POST":
        require_officer(role)
        action = request.POST.get("action", "")
        if action not in DONE:
            return HttpResponseBadRequest()
    forms = _case_forms(c, request.POST if action else None, action)
    if action:
        form = forms[action]
        if form.is_valid():
            try:
                _run(action, request.user, c, form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, DONE[action])
                return redirect("complaint_case", region_id=region.id, complaint_id=c.id)
    today = timezone.localdate()
    shown = _case_actions(c) if officer else {}
    if action:
        shown[action] = True  # keep the form with its errors on the page
    return render(
        request,
        "complaints/case.html",
        {
            "region": region,
            "role": role,
            "c": c,
            "officer": officer,
            "overdue": c.is_overdue(today),
            "days_left": selectors.working_days_left(c, today) if c.is_open else None,
            "timeline": selectors.bureau_timeline(c),
            "forms": {k: f for k, f in forms.items() if shown.get(k)} if officer else {},
            "rule_source": rules.SOURCE,
        },
        status=200,
    )


@login_required
def attachment(request, region_id: int, complaint_id: int, attachment_id: int):
    """A file sent with the complaint, for the bureau only, always as a download."""
    _role, _region, c = access_region_case(request.user, region_id, complaint_id)
    att = get_object_or_404(c.attachments.all(), id=attachment_id)
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=att.original_name, content_type=att.content_type
    )


@login_required
def stats(request, region_id: int):
    _role, region = access_region(request.user, region_id)
    today = timezone.localdate()
    start, end = today - timedelta(days=365), today
    form = StatsPeriodForm(
        request.GET or None, initial={"start": start.isoformat(), "end": end.isoformat()}
    )
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return render(
        request,
        "complaints/stats.html",
        {
            "region": region,
            "form": form,
            "stats": selectors.region_stats(region, start=start, end=end, today=today),
        },
    )


# -- School: the cases brought to it -----------------------------------------------------------

SCHOOL_VERBS = {
    "verify": services.submit_school_verification,
    "rectify": services.submit_rectification,
}


@login_required
def school_page(request, school_id: int):
    """Facts only: the school never learns who filed (SV-03)."""
    acc = access_school_complaints(request.user, school_id)
    answering = can_answer(acc)
    posted, posted_id = None, None
    if request.method == "POST":
        if not answering:
            raise PermissionDenied("answer_complaint")
        verb = SCHOOL_VERBS.get(request.POST.get("action", ""))
        if verb is None:
            return HttpResponseBadRequest()
        posted = SchoolReportForm(request.POST)
        if posted.is_valid():
            posted_id = posted.cleaned_data["complaint"]
            c = selectors.school_case_for_action(acc.school, posted_id)
            if c is None:
                raise Http404
            try:
                verb(actor=request.user, complaint=c, report=posted.cleaned_data["report"])
            except ValidationError as exc:
                _add_errors(posted, exc)
            else:
                messages.success(request, _("Your report was sent to the education bureau."))
                return redirect("complaints_school", school_id=acc.school.id)
        else:
            posted_id = posted["complaint"].value()
    cases = selectors.school_cases(acc.school)
    rows = []
    for case in cases:
        form = None
        if answering and (case.awaits_verification or case.awaits_rectification):
            same = posted is not None and str(posted_id) == str(case.id)
            form = posted if same else SchoolReportForm(initial={"complaint": case.id})
        rows.append((case, form))
    return render(
        request,
        "complaints/school.html",
        {
            "school": acc.school,
            "rows": rows,
            "awaiting": sum(1 for c in cases if c.awaits_verification or c.awaits_rectification),
            "answering": answering,
            "Status": Status,
        },
    )


# -- Exposure board (public) -------------------------------------------------------------------


def exposure(request, region_id: int | None = None):
    region = get_object_or_404(Region, id=region_id) if region_id is not None else None
    page = Paginator(selectors.exposure_cases(region), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/exposure.html",
        {
            "region": region,
            "page": page,
            "source": rules.EXPOSURE_SOURCE,
            "board_url": reverse("exposure"),
        },
    )
