"""Indicator API (SV-01): the catalogue, and the figures of a school or a region over a period,
from the daily roll-ups."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema

from shuangjian.org.access import access_region, access_school

from . import selectors
from .catalogue import INDICATORS
from .views import PeriodError, parse_period

router = Router(tags=["indicators"])


class IndicatorOut(Schema):
    id: str
    name: str
    definition: str
    formula: str
    sources: str
    period: str
    document: str
    unit: str
    higher_is_better: bool
    target: float | None
    main: bool
    rollup: str
    national: float | None


class FigureOut(Schema):
    indicator: str
    numerator: float
    denominator: float | None
    value: float | None


class SchoolFiguresOut(Schema):
    school_id: int
    start: date
    end: date
    figures: list[FigureOut]


class UnitOut(Schema):
    kind: str
    id: int
    name: str
    figures: list[FigureOut]


class RegionFiguresOut(Schema):
    region_id: int
    start: date
    end: date
    total: list[FigureOut]
    units: list[UnitOut]


def _period(request, schools) -> tuple[date, date]:
    try:
        return parse_period(request.GET, schools)
    except PeriodError as exc:
        raise ValidationError({exc.field: [exc.message]}, code="invalid") from exc


def _wanted(ids: str) -> list[str]:
    wanted = [i.strip() for i in ids.split(",") if i.strip()] or list(INDICATORS)
    unknown = [i for i in wanted if i not in INDICATORS]
    if unknown:
        raise ValidationError(
            {"ids": [_("Unknown indicator: %(ids)s.") % {"ids": ", ".join(unknown)}]},
            code="invalid",
        )
    return wanted


def _out(figures: dict, wanted: list[str]) -> list[dict]:
    return [
        {
            "indicator": i,
            "numerator": figures[i].numerator,
            "denominator": figures[i].denominator,
            "value": figures[i].value,
        }
        for i in wanted
    ]


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator catalogue (SV-01)")
def catalogue(request):
    return [
        {**vars(i), "name": str(i.name), "definition": str(i.definition), "formula": str(i.formula),
         "sources": str(i.sources), "period": str(i.period), "document": str(i.document)}
        for i in INDICATORS.values()
    ]  # fmt: skip


@router.get(
    "/schools/{school_id}/indicators",
    response=SchoolFiguresOut,
    summary="A school's indicator figures over a period (?start, ?end, ?ids=ID,ID)",
)
def school_figures(request, school_id: int, start: str = "", end: str = "", ids: str = ""):
    acc = access_school(request.user, school_id)
    if not acc.can_view_indicators():
        raise PermissionDenied("view_indicators")
    wanted = _wanted(ids)
    first, last = _period(request, [acc.school])
    figures = selectors.school_figures([acc.school.id], first, last)[acc.school.id]
    return {
        "school_id": acc.school.id,
        "start": first,
        "end": last,
        "figures": _out(figures, wanted),
    }


@router.get(
    "/regions/{region_id}/indicators",
    response=RegionFiguresOut,
    summary="A region's figures and those of the units directly under it (SV-01)",
)
def region_figures(request, region_id: int, start: str = "", end: str = "", ids: str = ""):
    _role, region = access_region(request.user, region_id)
    wanted = _wanted(ids)
    first, last = _period(request, selectors.schools_below(region))
    units = selectors.unit_figures(region, first, last)
    return {
        "region_id": region.id,
        "start": first,
        "end": last,
        "total": _out(selectors.total_figures(units), wanted),
        "units": [
            {"kind": u.kind, "id": u.id, "name": u.name, "figures": _out(f, wanted)}
            for u, f in units.items()
        ],
    }
