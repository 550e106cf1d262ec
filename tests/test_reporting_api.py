"""Direct-report API (SV-01): a report posted from another installation with the principal's
token — validation naming the field, idempotent re-posts, re-posting a returned report, denials."""

import pytest
from django.utils import translation

from shuangjian.indicators.catalogue import INDICATORS
from shuangjian.reporting import services
from shuangjian.reporting.models import ReportEvent, SchoolReport
from tests.test_api import token_for
from tests.test_reporting_world import daily, officer_acc, periods, set_schedule


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sched(world):
    return set_schedule(world)


def _figures():
    """Every indicator of the catalogue with plausible numbers."""
    return {
        i.id: {"numerator": 9, "denominator": 10} if i.unit == "percent" else {"numerator": 2}
        for i in INDICATORS.values()
    }


def _post(client, auth, *, school="A001", period, figures=None, comment="来自省平台"):
    return client.post(
        "/api/v1/reports",
        {
            "school": school,
            "period": period.isoformat(),
            "figures": _figures() if figures is None else figures,
            "comment": comment,
        },
        content_type="application/json",
        **auth,
    )


def test_post_a_report_then_repost_is_idempotent(world, client, password, sched):
    auth = token_for(client, "principal", password)
    p = periods(sched)[0]
    r = _post(client, auth, period=p.start)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "submitted" and body["late"] is False and body["source"] == "api"
    assert body["figures"]["HW-WITHIN-LIMIT"] == {"numerator": 9, "denominator": 10, "value": 90}
    report = SchoolReport.objects.get()
    assert report.source == "api" and report.comment == "来自省平台"
    events = ReportEvent.objects.count()

    again = _post(client, auth, period=p.start)
    assert again.status_code == 200 and again.json()["submitted_at"] == body["submitted_at"]
    assert ReportEvent.objects.count() == events

    changed = _post(
        client,
        auth,
        period=p.start,
        figures={"HW-WITHIN-LIMIT": {"numerator": 1, "denominator": 10}},
    )
    assert changed.status_code == 422 and changed.json()["field"] == "period"
    assert changed.json()["code"] == "already_submitted"


def test_a_returned_report_can_be_reposted(world, client, password, sched):
    auth = token_for(client, "principal", password)
    p = periods(sched)[1]
    assert _post(client, auth, period=p.start).status_code == 201
    report = SchoolReport.objects.get()
    assert report.late  # period [1] is past its due date
    services.return_report(acc=officer_acc(world), report=report, reason="分母有误")
    figures = _figures() | {"HW-WITHIN-LIMIT": {"numerator": 8, "denominator": 10}}
    r = _post(client, auth, period=p.start, figures=figures)
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    report.refresh_from_db()
    assert report.figures["HW-WITHIN-LIMIT"]["value"] == 80
    assert list(report.events.values_list("action", flat=True)) == [
        "frozen",
        "submitted",
        "returned",
        "frozen",
        "submitted",
    ]


@pytest.mark.parametrize(
    ("figures", "field", "code"),
    [
        ({"NO-SUCH": {"numerator": 1, "denominator": 2}}, "figures.NO-SUCH", "unknown"),
        (
            {"HW-WITHIN-LIMIT": {"numerator": -1, "denominator": 2}},
            "figures.HW-WITHIN-LIMIT.numerator",
            "negative",
        ),
        (
            {"HW-WITHIN-LIMIT": {"numerator": 1, "denominator": -2}},
            "figures.HW-WITHIN-LIMIT.denominator",
            "negative",
        ),
        (
            {"HW-WITHIN-LIMIT": {"numerator": 11, "denominator": 10}},
            "figures.HW-WITHIN-LIMIT.numerator",
            "numerator_above_denominator",
        ),
        (
            {"HW-WITHIN-LIMIT": {"numerator": 1}},
            "figures.HW-WITHIN-LIMIT.denominator",
            "required",
        ),
        (
            {"HW-OVER-LIMIT": {"numerator": 1, "denominator": 4}},
            "figures.HW-OVER-LIMIT.denominator",
            "unexpected",
        ),
        (
            {"HW-WITHIN-LIMIT": {"numerator": float("inf"), "denominator": 2}},
            "figures.HW-WITHIN-LIMIT.numerator",
            "not_finite",
        ),
        ({}, "figures", "required"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(
    world, client, password, sched, figures, field, code
):
    auth = token_for(client, "principal", password)
    r = _post(client, auth, period=periods(sched)[0].start, figures=figures)
    assert r.status_code == 422
    assert (r.json()["field"], r.json()["code"]) == (field, code)
    assert not SchoolReport.objects.exists()


def test_bad_period_and_schema_errors(world, client, password, sched):
    from datetime import date, timedelta

    auth = token_for(client, "principal", password)
    r = _post(client, auth, period=periods(sched)[0].start + timedelta(days=1))
    assert r.status_code == 422 and r.json()["field"] == "period"
    running = sched.first_day + timedelta(days=3 * sched.period_days)
    r = _post(client, auth, period=running)
    assert r.status_code == 422 and r.json()["code"] == "period_not_over"
    # A period of the schedule that would end past the last date there is: 422, not a 500.
    far = sched.first_day + timedelta(
        days=sched.period_days * ((date.max - sched.first_day).days // sched.period_days)
    )
    r = _post(client, auth, period=far)
    assert r.status_code == 422 and r.json()["code"] == "no_period"
    r = client.post(
        "/api/v1/reports",
        {"school": "A001", "period": "not-a-date", "figures": {}},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["field"] == "period"
    assert not SchoolReport.objects.exists()


def test_denials(world, client, password, sched):
    start = periods(sched)[0].start
    outsider = token_for(client, "outsider", password)  # principal of another county's school
    assert _post(client, outsider, period=start).status_code == 404
    assert _post(client, outsider, school="NOPE", period=start).status_code == 404
    teacher = token_for(client, "head_teacher", password)
    r = _post(client, teacher, period=start)
    assert r.status_code == 403
    parent = token_for(client, "parent", password)
    assert _post(client, parent, period=start).status_code == 404
    assert client.post("/api/v1/reports", {}, content_type="application/json").status_code == 401
    assert not SchoolReport.objects.exists()


def test_current_report_shows_live_figures_then_the_stored_report(world, client, password, sched):
    auth = token_for(client, "principal", password)
    p = periods(sched)[0]
    daily(world.school, p.end, "HW-WITHIN-LIMIT", 3, 4)
    url = f"/api/v1/schools/{world.school.id}/reports/current"
    body = client.get(url, **auth).json()
    assert body["status"] == "not_frozen" and body["period_start"] == p.start.isoformat()
    assert body["figures"]["HW-WITHIN-LIMIT"]["value"] == 75
    assert not SchoolReport.objects.exists()
    _post(client, auth, period=p.start)
    assert client.get(url, **auth).json()["status"] == "submitted"
    teacher = token_for(client, "head_teacher", password)
    assert client.get(url, **teacher).status_code == 403
    other = token_for(client, "outsider", password)
    assert client.get(url, **other).status_code == 404
