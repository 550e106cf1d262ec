"""Direct-report API (SV-01): a school's current report, and a whole report posted for (school
code, period) — the path by which another installation reports to a county's instance.  The
bearer token is the school principal's."""

from datetime import date, datetime

from django.http import Http404
from ninja import Field, Router, Schema, Status

from shuangjian.indicators.selectors import school_figures
from shuangjian.org.access import access_school
from shuangjian.org.models import School

from . import selectors, services
from .models import SchoolReport

router = Router(tags=["reporting"])


class FigureIn(Schema):
    numerator: float
    denominator: float | None = None


class ReportIn(Schema):
    school: str = Field(..., max_length=20, description="the school's code")
    period: date = Field(..., description="the first day of the reporting period")
    figures: dict[str, FigureIn] = Field(..., description="indicator ID → numerator, denominator")
    comment: str = Field("", max_length=2000)


class ReportOut(Schema):
    school: str
    period_start: date
    period_end: date
    due: date
    status: str  # "not_frozen" (live figures, nothing stored), draft, submitted, accepted, returned
    late: bool
    source: str
    submitted_at: datetime | None
    return_reason: str
    catalogue_version: str
    figures: dict[str, dict]


def _out(report: SchoolReport) -> dict:
    return {
        "school": report.school.code,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "due": report.due,
        "status": report.status,
        "late": report.late,
        "source": report.source,
        "submitted_at": report.submitted_at,
        "return_reason": report.return_reason,
        "catalogue_version": report.catalogue.get("version", ""),
        "figures": report.figures,
    }


@router.get(
    "/schools/{school_id}/reports/current",
    response=ReportOut,
    summary="The school's report for the latest ended period, or its live figures (SV-01)",
)
def current_report(request, school_id: int):
    acc = access_school(request.user, school_id)
    services.require_reporter(acc)
    periods = selectors.recent_periods(acc.school)
    if not periods:
        raise Http404
    period = periods[0]
    report = selectors.report_of(acc.school, period.start)
    if report is not None:
        return _out(report)
    figures = school_figures([acc.school.id], period.start, period.end)[acc.school.id]
    return {
        "school": acc.school.code,
        "period_start": period.start,
        "period_end": period.end,
        "due": period.due,
        "status": "not_frozen",
        "late": False,
        "source": "",
        "submitted_at": None,
        "return_reason": "",
        "catalogue_version": services.catalogue_snapshot()["version"],
        "figures": {k: services.figure_json(f) for k, f in figures.items()},
    }


@router.post(
    "/reports",
    response={200: ReportOut, 201: ReportOut},
    summary="Submit a school's report for a period from another installation (SV-01)",
    description=(
        "Validated: unknown indicator IDs, negative numbers and a numerator above the denominator "
        "of a percentage are refused with 422 naming the field (`figures.<id>.numerator`); a "
        "period that does not exist or is not over yet with 422 on `period`; another school's "
        "code is 404, a token that is not the principal's 403.  Posting the same figures again "
        "returns 200 and changes nothing; a returned report can be posted again."
    ),
)
def post_report(request, payload: ReportIn):
    school = School.objects.filter(code=payload.school).first()
    if school is None:
        raise Http404
    acc = access_school(request.user, school.id)
    report, changed = services.receive_report(
        acc=acc,
        period_start=payload.period,
        figures={k: v.dict() for k, v in payload.figures.items()},
        comment=payload.comment,
    )
    return Status(201 if changed else 200, _out(report))
