"""Supervision indicator pages (SV-01).  Thin: parse the period → access → one selector → render.

The school dashboard (principal, academic office, officials above the school), the region
dashboard (county: its schools; city: its counties; province: its cities), the drill-down from a
school's figure to grades, classes and records, and the catalogue.  Every chart's numbers are
also a table on the page; the charts draw from the same data (`json_script`).
"""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.org.access import access_region, access_school
from shuangjian.org.grades import grade_label
from shuangjian.org.models import Term
from shuangjian.params import date_param, int_param

from . import selectors
from .catalogue import INDICATORS, PERCENT

# The weekly trend: the main percentages that are summed over days (a snapshot's weekly value is
# just its Sunday; those stay in the table and the target chart).
TREND = ["HW-NOTICE", "HW-WITHIN-LIMIT", "AS-5PLUS2"]


class PeriodError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def default_start(schools, today: date) -> date:
    """The start of the latest term begun by today among the schools, else four weeks back."""
    first = Term.objects.filter(school__in=schools, start__lte=today).aggregate(s=Max("start"))
    return first["s"] or today - timedelta(days=27)


def parse_period(params, schools) -> tuple[date, date]:
    """?start=…&end=… (YYYY-MM-DD, years 2000–2100); by default the running term up to today."""
    today = timezone.localdate()
    values = {}
    for name in ("start", "end"):
        raw = params.get(name, "")
        if raw:
            values[name] = date_param(raw)
            if values[name] is None:
                raise PeriodError(name, _("Enter a valid date (YYYY-MM-DD)."))
    end = values.get("end") or today
    start = values.get("start") or min(default_start(schools, end), end)
    if end < start:
        raise PeriodError("end", _("The end of the period is before its start."))
    if (end - start).days >= selectors.MAX_DAYS:
        raise PeriodError(
            "end", _("A period is at most %(days)d days.") % {"days": selectors.MAX_DAYS}
        )
    return start, end


def _chart_rows(figures: dict) -> list[dict]:
    """Rows of the indicator table and of the "indicator vs target" chart."""
    out = []
    for ind_id, f in figures.items():
        ind = INDICATORS[ind_id]
        out.append({"indicator": ind, "figure": f, "value": _round(f.value)})
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _trend(weeks: list[selectors.Week]) -> dict:
    return {
        "weeks": [w.start.isoformat() for w in weeks],
        "series": [
            {
                "id": ind,
                "name": str(INDICATORS[ind].name),
                "values": [_round(w.figures[ind].value) for w in weeks],
            }
            for ind in TREND
        ],
    }


def _targets(figures: dict) -> dict:
    rows = [
        (ind, f)
        for ind, f in figures.items()
        if INDICATORS[ind].unit == PERCENT and INDICATORS[ind].target is not None
    ]
    return {
        "names": [str(INDICATORS[ind].name) for ind, _f in rows],
        "values": [_round(f.value) for _ind, f in rows],
        "targets": [INDICATORS[ind].target for ind, _f in rows],
    }


def _period_or_error(request, schools):
    try:
        return parse_period(request.GET, schools), None
    except PeriodError as exc:
        today = timezone.localdate()
        return (today, today), exc


@login_required
def school_dashboard(request, school_id: int):
    acc = access_school(request.user, school_id)
    if not acc.can_view_indicators():
        raise PermissionDenied("view_indicators")
    (start, end), error = _period_or_error(request, [acc.school])
    figures = selectors.school_figures([acc.school.id], start, end)[acc.school.id]
    weeks = [] if error else selectors.weekly([acc.school.id], start, end)
    return render(
        request,
        "indicators/school.html",
        {
            "school": acc.school,
            "start": start,
            "end": end,
            "error": error,
            "rows": _chart_rows(figures),
            "weeks": weeks,
            "trend_ids": TREND,
            "trend": _trend(weeks),
            "targets": _targets(figures),
        },
        status=400 if error else 200,
    )


@login_required
def region_dashboard(request, region_id: int):
    role, region = access_region(request.user, region_id)
    schools = selectors.schools_below(region)
    (start, end), error = _period_or_error(request, schools)
    chosen = request.GET.get("indicator") or "HW-WITHIN-LIMIT"
    if chosen not in INDICATORS:
        error = error or PeriodError("indicator", _("Unknown indicator."))
        chosen = "HW-WITHIN-LIMIT"
    units = selectors.unit_figures(region, start, end)
    total = selectors.total_figures(units)
    weeks = [] if error else selectors.weekly(schools.values_list("id", flat=True), start, end)
    ranked = sorted(
        units.items(),
        key=lambda kv: (kv[1][chosen].value is None, -(kv[1][chosen].value or 0), kv[0].name),
    )
    return render(
        request,
        "indicators/region.html",
        {
            "region": region,
            "role": role,
            "up": region.parent if region.id != role.region_id else None,
            "start": start,
            "end": end,
            "error": error,
            "indicators": list(INDICATORS.values()),
            "chosen": INDICATORS[chosen],
            "units": [(u, [figs[i] for i in INDICATORS]) for u, figs in units.items()],
            "total": [total[i] for i in INDICATORS],
            "distribution": {
                "names": [u.name for u, _f in ranked],
                "values": [_round(f[chosen].value) for _u, f in ranked],
                "target": INDICATORS[chosen].target,
                "unit": INDICATORS[chosen].unit,
            },
            "ranked": [(u, f[chosen]) for u, f in ranked],
            "chart_height": max(160, 28 * len(ranked) + 40),
            "weeks": weeks,
            "trend_ids": TREND,
            "trend": _trend(weeks),
        },
        status=400 if error else 200,
    )


@login_required
def drill(request, school_id: int, indicator: str):
    acc = access_school(request.user, school_id)
    if not acc.can_view_indicators():
        raise PermissionDenied("view_indicators")
    if indicator not in INDICATORS:
        raise Http404
    (start, end), error = _period_or_error(request, [acc.school])
    grade, class_id = (
        int_param(request.GET.get("grade", "")),
        int_param(request.GET.get("class", "")),
    )
    try:
        result = selectors.drill(acc.school, indicator, start, end, grade=grade, class_id=class_id)
    except LookupError as exc:  # another school's class, or a level the indicator lacks
        raise Http404 from exc
    records = result.records
    return render(
        request,
        "indicators/drill.html",
        {
            "school": acc.school,
            "d": result,
            "error": error,
            "start": start,
            "end": end,
            "start_iso": start.isoformat(),
            "end_iso": end.isoformat(),
            "grade_name": grade_label(result.grade) if result.grade else "",
            "records": zip(records.rows, records.counted, strict=True) if records else [],
        },
        status=400 if error else 200,
    )


@login_required
def catalogue(request):
    return render(request, "indicators/catalogue.html", {"indicators": INDICATORS.values()})
