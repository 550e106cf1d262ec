"""Writes for direct reports (SV-01), bulletins (SV-02) and good-practice cases (SV-06).

Report lifecycle: the principal freezes the school's figures for a period into a draft (or
refreezes a draft or a returned report), reviews them and submits with a comment; a bureau
officer above the school accepts the report or returns it with a reason; a returned report is
refrozen and submitted again.  A report can also arrive whole through the API from another
installation (`receive_report`); re-posting the same figures is a no-op.  Every step is a
ReportEvent.  A submission after the period's due date is marked late.
"""

import hashlib
import json
import math
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shuangjian.indicators.catalogue import INDICATORS, PERCENT
from shuangjian.indicators.selectors import Figure, school_figures, unit_figures
from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import Region, RegionRole, School, User
from shuangjian.rules import bulletin as rules

from . import selectors
from .models import (
    MAX_BODY,
    MAX_TEXT,
    Bulletin,
    GoodPractice,
    ReportEvent,
    ReportingSchedule,
    SchoolReport,
    Source,
)

Status = SchoolReport.Status
Action = ReportEvent.Action


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: str | None, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, _("This field is required."), "required")
    if len(value) > max_length:
        raise _invalid(
            field,
            _("At most %(max)d characters (this has %(count)d).")
            % {"max": max_length, "count": len(value)},
            "max_length",
        )
    return value


def require_officer(role: RegionRole) -> None:
    if role.kind != RegionRole.Kind.OFFICER:
        raise PermissionDenied("bureau_officer")


# -- Schedule -----------------------------------------------------------------------------------


@transaction.atomic
def set_schedule(
    *, role: RegionRole, region: Region, first_day: date, period_days: int, due_days: int
) -> ReportingSchedule:
    """A bureau officer sets how often the schools below `region` report."""
    require_officer(role)
    if not rules.MIN_PERIOD_DAYS <= period_days <= rules.MAX_PERIOD_DAYS:
        raise _invalid(
            "period_days",
            _("A period lasts from %(min)d to %(max)d days.")
            % {"min": rules.MIN_PERIOD_DAYS, "max": rules.MAX_PERIOD_DAYS},
        )
    if not 0 <= due_days <= rules.MAX_DUE_DAYS:
        raise _invalid(
            "due_days",
            _("Reports are due at most %(max)d days after a period ends.")
            % {"max": rules.MAX_DUE_DAYS},
        )
    schedule, _created = ReportingSchedule.objects.update_or_create(
        region=region,
        defaults={
            "first_day": first_day,
            "period_days": period_days,
            "due_days": due_days,
            "set_by": role.user,
            "set_at": timezone.now(),
        },
    )
    return schedule


def period_for(school_or_region, start: date, today: date | None = None) -> rules.Period:
    """The ended period starting on `start` under the schedule that applies; else field "period"."""
    schedule = selectors.schedule_for(school_or_region)
    if schedule is None:
        raise _invalid("period", _("No reporting schedule has been set."), "no_schedule")
    period = rules.period_starting(
        schedule.first_day, schedule.period_days, schedule.due_days, start
    )
    if period is None:
        raise _invalid(
            "period", _("No reporting period starts on %(day)s.") % {"day": start}, "no_period"
        )
    if period.end >= (today or timezone.localdate()):
        raise _invalid(
            "period",
            _("The period ending %(day)s is not over yet.") % {"day": period.end},
            "period_not_over",
        )
    return period


# -- Figures ------------------------------------------------------------------------------------


def catalogue_snapshot() -> dict:
    """The definitions a report or bulletin was computed with, and a short hash of them."""
    with translation.override("en"):
        defs = {
            i.id: {
                "name": str(i.name),
                "formula": str(i.formula),
                "unit": i.unit,
                "higher_is_better": i.higher_is_better,
            }
            for i in INDICATORS.values()
        }
    digest = hashlib.sha256(json.dumps(defs, sort_keys=True).encode()).hexdigest()[:12]
    return {"version": digest, "indicators": defs}


def figure_json(f: Figure) -> dict:
    return {"numerator": f.numerator, "denominator": f.denominator, "value": f.value}


def check_figures(raw: dict) -> dict:
    """Figures sent by another installation: {id: {"numerator", "denominator"}} → stored form."""
    if not raw:
        raise _invalid("figures", _("Send at least one indicator."), "required")
    out = {}
    for ind_id, pair in raw.items():
        field = f"figures.{ind_id}"
        indicator = INDICATORS.get(ind_id)
        if indicator is None:
            raise _invalid(field, _("Unknown indicator “%(id)s”.") % {"id": ind_id}, "unknown")
        num, den = pair.get("numerator"), pair.get("denominator")
        if den is not None and not math.isfinite(den):
            raise _invalid(f"{field}.denominator", _("Enter a finite number."), "not_finite")
        if num is not None and not math.isfinite(num):
            raise _invalid(f"{field}.numerator", _("Enter a finite number."), "not_finite")
        if num is None or num < 0:
            raise _invalid(f"{field}.numerator", _("The numerator must be 0 or more."), "negative")
        if indicator.unit == PERCENT:
            if den is None:
                raise _invalid(
                    f"{field}.denominator", _("A percentage needs a denominator."), "required"
                )
            if den < 0:
                raise _invalid(
                    f"{field}.denominator", _("The denominator must be 0 or more."), "negative"
                )
            if num > den:
                raise _invalid(
                    f"{field}.numerator",
                    _("The numerator (%(num)s) is larger than the denominator (%(den)s).")
                    % {"num": num, "den": den},
                    "numerator_above_denominator",
                )
        elif den is not None:
            raise _invalid(f"{field}.denominator", _("A count has no denominator."), "unexpected")
        out[ind_id] = figure_json(Figure(ind_id, float(num), None if den is None else float(den)))
    return out


# -- Reports ------------------------------------------------------------------------------------


def require_reporter(acc: SchoolAccess) -> None:
    if not acc.can_submit_reports():
        raise PermissionDenied("submit_reports")


def _locked_report(school: School, period: rules.Period) -> SchoolReport | None:
    School.objects.select_for_update().filter(id=school.id).first()  # one writer per school
    return SchoolReport.objects.filter(school=school, period_start=period.start).first()


def _event(report, action, by, source, note=""):
    ReportEvent.objects.create(report=report, action=action, by=by, source=source, note=note)


@transaction.atomic
def freeze_report(*, acc: SchoolAccess, period_start: date) -> SchoolReport:
    """Freeze the school's current figures for the period into a draft (again, if returned)."""
    require_reporter(acc)
    period = period_for(acc.school, period_start)
    report = _locked_report(acc.school, period)
    if report is not None and report.status not in (Status.DRAFT, Status.RETURNED):
        raise _invalid("period", _("This report has already been submitted."), "already_submitted")
    figures = school_figures([acc.school.id], period.start, period.end)[acc.school.id]
    if report is None:
        report = SchoolReport(school=acc.school, period_start=period.start)
    report.period_end, report.due = period.end, period.due
    report.figures = {k: figure_json(f) for k, f in figures.items()}
    report.catalogue = catalogue_snapshot()
    report.frozen_at = timezone.now()
    report.status = Status.DRAFT
    report.save()
    _event(report, Action.FROZEN, acc.user, Source.WEB)
    return report


def _mark_submitted(report: SchoolReport, user: User, comment: str, source: str) -> None:
    now = timezone.now()
    report.status = Status.SUBMITTED
    report.comment = comment
    report.source = source
    report.submitted_at = now
    report.submitted_by = user
    report.late = timezone.localdate(now) > report.due
    report.save()
    _event(report, Action.SUBMITTED, user, source, comment)


@transaction.atomic
def submit_report(*, acc: SchoolAccess, report: SchoolReport, comment: str) -> SchoolReport:
    """The principal submits the draft they reviewed."""
    require_reporter(acc)
    comment = _text(comment, "comment", MAX_TEXT, required=False)
    report = SchoolReport.objects.select_for_update().get(id=report.id, school=acc.school)
    if report.status != Status.DRAFT:
        raise _invalid(
            "comment",
            _("Only a draft can be submitted; freeze the figures again first."),
            "not_draft",
        )
    _mark_submitted(report, acc.user, comment, Source.WEB)
    return report


@transaction.atomic
def receive_report(
    *, acc: SchoolAccess, period_start: date, figures: dict, comment: str = ""
) -> tuple[SchoolReport, bool]:
    """A whole report from another installation.  Returns (report, changed): re-posting the
    figures of a report already submitted changes nothing; a returned report can be re-posted."""
    require_reporter(acc)
    period = period_for(acc.school, period_start)
    stored = check_figures(figures)
    comment = _text(comment, "comment", MAX_TEXT, required=False)
    report = _locked_report(acc.school, period)
    if report is not None and report.status in (Status.SUBMITTED, Status.ACCEPTED):
        if report.figures == stored:
            return report, False
        raise _invalid(
            "period",
            _("This period's report has already been submitted with other figures."),
            "already_submitted",
        )
    if report is None:
        report = SchoolReport(school=acc.school, period_start=period.start)
    report.period_end, report.due = period.end, period.due
    report.figures = stored
    report.catalogue = catalogue_snapshot()
    report.frozen_at = timezone.now()
    report.status = Status.DRAFT
    report.save()
    _event(report, Action.FROZEN, acc.user, Source.API)
    _mark_submitted(report, acc.user, comment, Source.API)
    return report, True


def _require_officer_over(acc: SchoolAccess) -> None:
    if not acc.is_bureau_officer():
        raise PermissionDenied("bureau_officer")


@transaction.atomic
def accept_report(*, acc: SchoolAccess, report: SchoolReport) -> SchoolReport:
    _require_officer_over(acc)
    report = SchoolReport.objects.select_for_update().get(id=report.id, school=acc.school)
    if report.status != Status.SUBMITTED:
        raise _invalid("report", _("Only a submitted report can be accepted."), "not_submitted")
    report.status = Status.ACCEPTED
    report.save(update_fields=["status"])
    _event(report, Action.ACCEPTED, acc.user, Source.WEB)
    return report


@transaction.atomic
def return_report(*, acc: SchoolAccess, report: SchoolReport, reason: str) -> SchoolReport:
    """The bureau sends a submitted (or accepted) report back with a reason."""
    _require_officer_over(acc)
    reason = _text(reason, "reason", MAX_TEXT)
    report = SchoolReport.objects.select_for_update().get(id=report.id, school=acc.school)
    if report.status not in (Status.SUBMITTED, Status.ACCEPTED):
        raise _invalid("reason", _("Only a submitted report can be returned."), "not_submitted")
    report.status = Status.RETURNED
    report.return_reason = reason
    report.save(update_fields=["status", "return_reason"])
    _event(report, Action.RETURNED, acc.user, Source.WEB, reason)
    return report


# -- Bulletins ----------------------------------------------------------------------------------


def _unit_key(unit) -> str:
    return f"{unit.kind}:{unit.id}"


def _ranked_json(rows: list[rules.Ranked]) -> list[dict]:
    return [
        {"key": r.key, "value": r.value, "rank": r.rank, "bottom": r.bottom, "missing": r.missing}
        for r in rows
    ]


@transaction.atomic
def issue_bulletin(
    *, role: RegionRole, region: Region, period_start: date, indicator_ids: list[str]
) -> Bulletin:
    """Rank the units directly under `region` for one period and store the snapshot."""
    require_officer(role)
    period = period_for(region, period_start)
    ids = [i for i in INDICATORS if i in set(indicator_ids)]
    if not ids or len(ids) != len(set(indicator_ids)):
        raise _invalid("indicators", _("Choose one or more indicators of the catalogue."))
    Region.objects.select_for_update().filter(id=region.id).first()  # numbers in order
    figures = unit_figures(region, period.start, period.end)
    units = {_unit_key(u): {"kind": u.kind, "id": u.id, "name": u.name} for u in figures}
    values = {_unit_key(u): {i: figs[i].value for i in ids} for u, figs in figures.items()}
    rankings = {
        i: _ranked_json(
            rules.rank(
                {k: v[i] for k, v in values.items()},
                higher_is_better=INDICATORS[i].higher_is_better,
            )
        )
        for i in ids
    }
    snapshot = {
        "units": units,
        "figures": {
            _unit_key(u): {i: figure_json(figs[i]) for i in ids} for u, figs in figures.items()
        },
        "rankings": rankings,
        "composite": _ranked_json(
            rules.composite(values, {i: INDICATORS[i].higher_is_better for i in ids})
        )
        if len(ids) > 1
        else [],
        "catalogue": catalogue_snapshot(),
    }
    previous = Bulletin.objects.filter(region=region).order_by("-number").first()
    return Bulletin.objects.create(
        region=region,
        number=previous.number + 1 if previous else 1,
        period_start=period.start,
        period_end=period.end,
        indicators=ids,
        snapshot=snapshot,
        previous=previous,
        issued_by=role.user,
    )


# -- Good-practice cases ------------------------------------------------------------------------


@transaction.atomic
def submit_case(*, acc: SchoolAccess, title: str, summary: str, body: str) -> GoodPractice:
    require_reporter(acc)
    return GoodPractice.objects.create(
        school=acc.school,
        title=_text(title, "title", 100),
        summary=_text(summary, "summary", MAX_TEXT),
        body=_text(body, "body", MAX_BODY),
        submitted_by=acc.user,
    )


@transaction.atomic
def decide_case(
    *, acc: SchoolAccess, case: GoodPractice, publish: bool, reason: str = ""
) -> GoodPractice:
    """A bureau officer above the school publishes the case or declines it with a reason."""
    _require_officer_over(acc)
    reason = "" if publish else _text(reason, "reason", MAX_TEXT)
    case = GoodPractice.objects.select_for_update().get(id=case.id, school=acc.school)
    if case.status != GoodPractice.Status.SUBMITTED:
        raise _invalid("reason", _("This case has already been decided."), "decided")
    case.status = GoodPractice.Status.PUBLISHED if publish else GoodPractice.Status.DECLINED
    case.decline_reason = reason
    case.decided_by = acc.user
    case.decided_at = timezone.now()
    case.save()
    return case
