"""SV-01 pages and API: dashboards, drill-down that adds up, catalogue, denials, bad input, query
counts, and the demo loader."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from shuangjian.homework.models import Feedback
from shuangjian.indicators import selectors, services
from shuangjian.indicators.catalogue import INDICATORS
from shuangjian.indicators.demo import load_indicators_demo
from shuangjian.indicators.models import DailyFigure
from shuangjian.org.models import RegionRole, School, SchoolClass, Term
from tests.test_indicators import feedback, homework
from tests.world import make_student, make_user

pytestmark = pytest.mark.django_db

START, END = date(2026, 11, 2), date(2026, 11, 15)
PERIOD = f"?start={START}&end={END}"


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English labels: the pages speak English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def data(world):
    """Two weeks of homework and feedback in school A, rolled up."""
    for n in range(10):
        day = START + timedelta(n)
        homework(world, world.class_3_1, day, 30 + 5 * n)
        if n % 2:
            homework(world, world.class_3_2, day)
        feedback(world.pupil, day, 40 + 5 * n)
        feedback(world.pupil2, day, 20)
    services.refresh(start=START, end=END)
    return world


def _school_url(world, school=None):
    return reverse("indicators_school", args=[(school or world.school).id]) + PERIOD


def _drill_url(world, indicator, extra=""):
    return reverse("indicators_drill", args=[world.school.id, indicator]) + PERIOD + extra


def _json(response, element_id):
    html = response.content.decode()
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


# -- School dashboard ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["principal", "academic", "officer", "inspector"])
def test_school_dashboard_shows_the_rolled_up_figures(data, login, who):
    r = login(getattr(data, who)).get(_school_url(data))
    assert r.status_code == 200
    html = r.content.decode()
    f = selectors.school_figures([data.school.id], START, END)[data.school.id]
    within = f["HW-WITHIN-LIMIT"]
    assert f"{int(within.numerator)} / {int(within.denominator)}" in html
    assert _drill_url(data, "HW-WITHIN-LIMIT").replace("&", "&amp;") in html
    trend = _json(r, "trend-data")
    assert trend["weeks"] == ["2026-11-02", "2026-11-09"]
    weekly = selectors.weekly([data.school.id], START, END)
    series = {s["id"]: s["values"] for s in trend["series"]}
    assert series["HW-WITHIN-LIMIT"] == [
        round(w.figures["HW-WITHIN-LIMIT"].value, 1) for w in weekly
    ]
    targets = _json(r, "targets-data")
    assert len(targets["names"]) == len(targets["values"]) == len(targets["targets"])
    assert "echarts.min.js" in html


@pytest.mark.parametrize(
    "query, field",
    [("?start=2026-02-30", "start"), ("?start=2026-11-10&end=2026-11-01", "end"),
     ("?start=2020-01-01&end=2026-11-01", "end"),
     # Years date arithmetic would overflow on are refused, not a 500.
     ("?end=0001-01-01", "end"), ("?start=9999-12-30&end=9999-12-31", "start")],
)  # fmt: skip
def test_school_dashboard_bad_period_names_the_field(world, login, query, field):
    url = reverse("indicators_school", args=[world.school.id]) + query
    r = login(world.principal).get(url)
    assert r.status_code == 400
    assert f'data-field="{field}"' in r.content.decode()
    assert not DailyFigure.objects.exists()


@pytest.mark.parametrize("query", ["?end=0001-01-01", "?start=9999-12-30&end=9999-12-31"])
def test_region_dashboard_and_drill_refuse_out_of_range_years(world, login, query):
    region = reverse("indicators_region", args=[world.county.id]) + query
    r = login(world.officer).get(region)
    assert r.status_code == 400 and 'data-field="' in r.content.decode()
    drill = reverse("indicators_drill", args=[world.school.id, "HW-NOTICE"]) + query
    r = login(world.principal).get(drill)
    assert r.status_code == 400 and 'data-field="' in r.content.decode()


def test_school_dashboard_denials(world, login):
    url = _school_url(world)
    assert login(world.outsider).get(url).status_code == 404  # another school's principal
    assert login(world.parent).get(url).status_code == 404  # no post in the school
    assert login(world.other_officer).get(url).status_code == 404  # another county
    for who in ("subject_teacher", "head_teacher", "grade_leader", "afterschool"):
        assert login(getattr(world, who)).get(url).status_code == 403


# -- Drill-down --------------------------------------------------------------------------------------


def test_drill_down_adds_up_at_every_level(data, login):
    c = login(data.principal)
    total = selectors.school_figures([data.school.id], START, END)[data.school.id]["HW-NOTICE"]
    school = selectors.drill(data.school, "HW-NOTICE", START, END)
    assert (school.figure.numerator, school.figure.denominator) == (
        total.numerator,
        total.denominator,
    )
    assert sum(r.figure.numerator for r in school.rows) == total.numerator
    assert sum(r.figure.denominator for r in school.rows) == total.denominator
    grade = selectors.drill(data.school, "HW-NOTICE", START, END, grade=3)
    assert sum(r.figure.denominator for r in grade.rows) == school.rows[0].figure.denominator
    for row in grade.rows:
        klass = selectors.drill(data.school, "HW-NOTICE", START, END, class_id=row.class_id)
        assert sum(klass.records.counted) == row.figure.numerator
        assert len(klass.records.rows) == row.figure.denominator
    r = c.get(_drill_url(data, "HW-NOTICE"))
    assert r.status_code == 200 and "Grade 3" in r.content.decode()
    r = c.get(_drill_url(data, "HW-NOTICE", f"&class={data.class_3_1.id}"))
    assert r.status_code == 200
    # Items on 2–11 November, of which 2–6 and 9–11 are school days: 8 counted rows of 10.
    html = r.content.decode()
    assert html.count('class="counted"') == 8 and html.count("<tr") == 1 + 10


def test_drill_down_of_feedback_lists_the_reports(data, login):
    url = _drill_url(data, "HW-WITHIN-LIMIT", f"&class={data.class_3_1.id}")
    r = login(data.officer).get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("张小明") == Feedback.objects.filter(student=data.pupil).count()


def test_drill_down_bad_input_and_denials(data, login):
    c = login(data.principal)
    other_class = SchoolClass.objects.get(school=data.other_school)
    assert c.get(_drill_url(data, "HW-NOTICE", f"&class={other_class.id}")).status_code == 404
    assert c.get(_drill_url(data, "NO-SUCH")).status_code == 404
    assert c.get(_drill_url(data, "AS-5PLUS2", "&grade=3")).status_code == 404  # school level
    r = c.get(reverse("indicators_drill", args=[data.school.id, "HW-NOTICE"]) + "?end=never")
    assert r.status_code == 400 and 'data-field="end"' in r.content.decode()
    assert login(data.outsider).get(_drill_url(data, "HW-NOTICE")).status_code == 404
    assert login(data.subject_teacher).get(_drill_url(data, "HW-NOTICE")).status_code == 403


# -- Region dashboards ---------------------------------------------------------------------------------


def test_county_dashboard_lists_its_schools_and_the_total(data, login):
    r = login(data.officer).get(reverse("indicators_region", args=[data.county.id]) + PERIOD)
    assert r.status_code == 200
    dist = _json(r, "distribution-data")
    figure = selectors.school_figures([data.school.id], START, END)[data.school.id]
    assert dist["names"] == [data.school.name]
    assert dist["values"] == [round(figure["HW-WITHIN-LIMIT"].value, 1)]
    html = r.content.decode()
    assert f'data-unit="school-{data.school.id}"' in html
    assert reverse("indicators_region", args=[data.city.id]) not in html  # not theirs to open


def test_city_dashboard_lists_counties(data, login):
    city_officer = make_user("city_officer")
    RegionRole.objects.create(user=city_officer, region=data.city, kind="officer")
    url = reverse("indicators_region", args=[data.city.id]) + PERIOD + "&indicator=HW-NOTICE"
    r = login(city_officer).get(url)
    assert r.status_code == 200
    dist = _json(r, "distribution-data")
    assert sorted(dist["names"]) == sorted([data.county.name, data.other_county.name])
    units = selectors.unit_figures(data.city, START, END)
    assert {u.name: f["HW-NOTICE"].numerator for u, f in units.items()} == {
        data.county.name: selectors.school_figures([data.school.id], START, END)[data.school.id][
            "HW-NOTICE"
        ].numerator,
        data.other_county.name: 0,
    }
    county = login(city_officer).get(reverse("indicators_region", args=[data.county.id]))
    assert reverse("indicators_region", args=[data.city.id]) in county.content.decode()


def test_region_dashboard_bad_input_and_denials(world, login):
    url = reverse("indicators_region", args=[world.county.id])
    r = login(world.officer).get(url + "?indicator=NOPE")
    assert r.status_code == 400 and 'data-field="indicator"' in r.content.decode()
    assert login(world.other_officer).get(url).status_code == 404
    assert login(world.principal).get(url).status_code == 404
    assert login(world.parent).get(url).status_code == 404
    # The county officer cannot climb to the city.
    city = reverse("indicators_region", args=[world.city.id])
    assert login(world.officer).get(city).status_code == 404


def test_region_dashboard_queries_do_not_grow_with_schools(world, login):
    c = login(world.officer)
    url = reverse("indicators_region", args=[world.county.id]) + PERIOD

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx)

    services.refresh(start=START, end=END)
    count()  # fills the cached user and unread count
    before = count()
    for n in range(5):
        school = School.objects.create(
            name=f"学校{n}", code=f"X{n}", county=world.county, stage="primary"
        )
        Term.objects.create(
            school=school, name="2026秋", start=date(2026, 9, 1), end=date(2027, 1, 22)
        )
        make_student(SchoolClass.objects.create(school=school, grade=3, number=1), f"X{n}01")
    services.refresh(start=START, end=END)
    assert count() == before


def test_catalogue_page_lists_every_indicator(world, login):
    r = login(world.parent).get(reverse("indicators_catalogue"))
    assert r.status_code == 200
    for ind_id in INDICATORS:
        assert f'id="{ind_id}"' in r.content.decode()


# -- API ---------------------------------------------------------------------------------------------------


def test_api_school_figures(data, login):
    c = login(data.principal)
    r = c.get(f"/api/v1/schools/{data.school.id}/indicators{PERIOD}&ids=HW-NOTICE,AS-5PLUS2")
    assert r.status_code == 200
    body = r.json()
    figures = selectors.school_figures([data.school.id], START, END)[data.school.id]
    assert [f["indicator"] for f in body["figures"]] == ["HW-NOTICE", "AS-5PLUS2"]
    assert body["figures"][0]["numerator"] == figures["HW-NOTICE"].numerator
    assert body["figures"][0]["value"] == figures["HW-NOTICE"].value


@pytest.mark.parametrize(
    "query, field",
    [("?ids=HW-NOTICE,NOPE", "ids"), ("?start=31-12-2026", "start"),
     ("?start=2026-11-10&end=2026-11-01", "end"), ("?end=0001-01-01", "end")],
)  # fmt: skip
def test_api_bad_input_names_the_field(world, login, query, field):
    r = login(world.principal).get(f"/api/v1/schools/{world.school.id}/indicators{query}")
    assert r.status_code == 422
    assert r.json()["field"] == field


def test_api_denials(world, login):
    url = f"/api/v1/schools/{world.school.id}/indicators"
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.parent).get(url).status_code == 404
    assert login(world.subject_teacher).get(url).status_code == 403
    assert (
        login(world.other_officer).get(f"/api/v1/regions/{world.county.id}/indicators").status_code
        == 404
    )
    assert (
        login(world.principal).get(f"/api/v1/regions/{world.county.id}/indicators").status_code
        == 404
    )


def test_api_region_figures_and_catalogue(data, login):
    c = login(data.officer)
    r = c.get(f"/api/v1/regions/{data.county.id}/indicators{PERIOD}&ids=HW-WITHIN-LIMIT")
    assert r.status_code == 200
    body = r.json()
    assert [u["id"] for u in body["units"]] == [data.school.id]
    assert body["total"] == body["units"][0]["figures"]
    r = c.get("/api/v1/indicators")
    assert [i["id"] for i in r.json()] == list(INDICATORS)


# -- Demo ------------------------------------------------------------------------------------------------


def test_demo_loader_rolls_up_the_demo_province(world):
    out = io.StringIO()
    rows = load_indicators_demo(seed=1, stdout=out, today=END)
    assert rows == DailyFigure.objects.count() > 0
    ids = [world.school.id, world.other_school.id]
    assert selectors.school_figures(ids, date(2026, 9, 1), END) == selectors.recompute_figures(
        ids, date(2026, 9, 1), END
    )
    assert "督导指标" in out.getvalue()
