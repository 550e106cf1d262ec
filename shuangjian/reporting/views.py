"""Pages for direct reports (SV-01), bulletins and monthly scheduling (SV-02) and good-practice
cases (SV-06).  Thin: parse input → access → one service or selector → render.

School side: the principal's list of periods, one report (freeze, review, submit), the school's
cases.  Bureau side: a period's overview (who submitted, who is late, who is missing, the rates)
and the schedule, bulletins (issue, read, Excel, PDF), monthly scheduling, case selection.
Public: the published cases of a region.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.indicators.catalogue import INDICATORS
from shuangjian.org.access import access_region, access_school
from shuangjian.org.models import Region, RegionRole
from shuangjian.params import date_param, int_param

from . import export, selectors, services
from .models import Bulletin, GoodPractice, SchoolReport


def _show(request, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _school_reader(request, school_id: int):
    """The principal, or an official above the school; other staff of the school: 403."""
    acc = access_school(request.user, school_id)
    if not (acc.can_submit_reports() or acc.official is not None):
        raise PermissionDenied("view_reports")
    return acc


# -- School side --------------------------------------------------------------------------------


@login_required
def school_reports(request, school_id: int):
    acc = _school_reader(request, school_id)
    return render(
        request,
        "reporting/school_reports.html",
        {
            "school": acc.school,
            "rows": selectors.school_periods(acc.school),
            "schedule": selectors.schedule_for(acc.school),
        },
    )


@login_required
def report(request, school_id: int, period: str):
    acc = _school_reader(request, school_id)
    start = date_param(period)
    if start is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        current = SchoolReport.objects.filter(school=acc.school, period_start=start).first()
        try:
            if action == "freeze":
                services.freeze_report(acc=acc, period_start=start)
                messages.success(request, _("Figures frozen. Review them, then submit."))
            elif current is None:
                raise Http404
            elif action == "submit":
                services.submit_report(
                    acc=acc, report=current, comment=request.POST.get("comment", "")
                )
                messages.success(request, _("Report submitted."))
            elif action == "accept":
                services.accept_report(acc=acc, report=current)
                messages.success(request, _("Report accepted."))
            elif action == "return":
                services.return_report(
                    acc=acc, report=current, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("Report returned to the school."))
            else:
                raise Http404
        except ValidationError as exc:
            _show(request, exc)
        return redirect(request.path)
    current = selectors.report_of(acc.school, start)
    periods = {p.start: p for p in selectors.recent_periods(acc.school)}
    if current is None and start not in periods:
        raise Http404
    return render(
        request,
        "reporting/report.html",
        {
            "school": acc.school,
            "report": current,
            "period": periods.get(start),
            "figures": selectors.figure_rows(current.figures) if current else [],
            "can_submit": acc.can_submit_reports(),
            "is_officer": acc.is_bureau_officer(),
        },
    )


@login_required
def school_cases(request, school_id: int):
    acc = _school_reader(request, school_id)
    if request.method == "POST":
        try:
            services.submit_case(
                acc=acc,
                title=request.POST.get("title", ""),
                summary=request.POST.get("summary", ""),
                body=request.POST.get("body", ""),
            )
            messages.success(request, _("Case submitted to the bureau."))
            return redirect(request.path)
        except ValidationError as exc:
            _show(request, exc)
    return render(
        request,
        "reporting/school_cases.html",
        {
            "school": acc.school,
            "cases": GoodPractice.objects.filter(school=acc.school),
            "can_submit": acc.can_submit_reports(),
            "form": request.POST if request.method == "POST" else {},
        },
    )


# -- Bureau side --------------------------------------------------------------------------------


def _is_officer(role: RegionRole) -> bool:
    return role.kind == RegionRole.Kind.OFFICER


@login_required
def overview(request, region_id: int):
    role, region = access_region(request.user, region_id)
    if request.method == "POST":
        try:
            first_day = date_param(request.POST.get("first_day"))
            if first_day is None:
                raise ValidationError({"first_day": _("Enter a valid date.")})
            services.set_schedule(
                role=role,
                region=region,
                first_day=first_day,
                period_days=int_param(request.POST.get("period_days", "")) or 0,
                due_days=int_param(request.POST.get("due_days", "")) or 0,
            )
            messages.success(request, _("Reporting schedule saved."))
        except ValidationError as exc:
            _show(request, exc)
        return redirect(request.path)
    periods = selectors.recent_periods(region)
    chosen = date_param(request.GET.get("period"))
    period = next((p for p in periods if p.start == chosen), periods[0] if periods else None)
    return render(
        request,
        "reporting/overview.html",
        {
            "region": region,
            "overview": selectors.period_overview(region, period),
            "periods": periods,
            "schedule": selectors.schedule_for(region),
            "is_officer": _is_officer(role),
            "is_county": region.level == Region.Level.COUNTY,
        },
    )


@login_required
def bulletins(request, region_id: int):
    role, region = access_region(request.user, region_id)
    if request.method == "POST":
        try:
            start = date_param(request.POST.get("period"))
            if start is None:
                raise ValidationError({"period": _("Choose a period.")})
            bulletin = services.issue_bulletin(
                role=role,
                region=region,
                period_start=start,
                indicator_ids=request.POST.getlist("indicators"),
            )
            messages.success(request, _("Bulletin issued."))
            return redirect("reporting_bulletin", region_id=region.id, bulletin_id=bulletin.id)
        except ValidationError as exc:
            _show(request, exc)
        return redirect(request.path)
    return render(
        request,
        "reporting/bulletins.html",
        {
            "region": region,
            "bulletins": selectors.bulletins_of(region),
            "periods": selectors.recent_periods(region),
            "indicators": INDICATORS.values(),
            "is_officer": _is_officer(role),
        },
    )


def _bulletin(request, region_id: int, bulletin_id: int) -> Bulletin:
    _role, region = access_region(request.user, region_id)
    return get_object_or_404(
        Bulletin.objects.select_related("region", "previous", "issued_by"),
        id=bulletin_id,
        region=region,
    )


@login_required
def bulletin(request, region_id: int, bulletin_id: int):
    view = selectors.bulletin_view(_bulletin(request, region_id, bulletin_id))
    return render(
        request, "reporting/bulletin.html", {"view": view, "region": view.bulletin.region}
    )


@login_required
def bulletin_xlsx(request, region_id: int, bulletin_id: int):
    view = selectors.bulletin_view(_bulletin(request, region_id, bulletin_id))
    response = HttpResponse(
        export.bulletin_xlsx(view),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="bulletin-{view.bulletin.number}.xlsx"'
    return response


@login_required
def bulletin_pdf(request, region_id: int, bulletin_id: int):
    view = selectors.bulletin_view(_bulletin(request, region_id, bulletin_id))
    response = HttpResponse(export.bulletin_pdf(view), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bulletin-{view.bulletin.number}.pdf"'
    return response


@login_required
def monthly(request, region_id: int):
    _role, region = access_region(request.user, region_id)
    raw = request.GET.get("month", "")
    month = date_param(f"{raw}-01") if raw else timezone.localdate()
    error = _("Enter the month as YYYY-MM.") if month is None else ""
    return render(
        request,
        "reporting/monthly.html",
        {
            "region": region,
            "data": selectors.monthly(region, month or timezone.localdate()),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def region_cases(request, region_id: int):
    role, region = access_region(request.user, region_id)
    if request.method == "POST":
        case = get_object_or_404(
            selectors.cases_below(region), id=int_param(request.POST.get("case", ""))
        )
        acc = access_school(request.user, case.school_id)
        try:
            services.decide_case(
                acc=acc,
                case=case,
                publish=request.POST.get("action") == "publish",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Decision saved."))
        except ValidationError as exc:
            _show(request, exc)
        return redirect(request.path)
    return render(
        request,
        "reporting/region_cases.html",
        {
            "region": region,
            "cases": selectors.cases_below(region),
            "is_officer": _is_officer(role),
        },
    )


# -- Public -------------------------------------------------------------------------------------


def published_cases(request, region_id: int):
    region = get_object_or_404(Region, id=region_id)
    return render(
        request,
        "reporting/published_cases.html",
        {"region": region, "cases": selectors.published_cases(region)},
    )


def published_case(request, case_id: int):
    case = get_object_or_404(
        GoodPractice.objects.select_related("school__county"),
        id=case_id,
        status=GoodPractice.Status.PUBLISHED,
    )
    return render(request, "reporting/published_case.html", {"case": case})
