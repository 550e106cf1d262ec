"""Bulletins (SV-02): issuing a ranked snapshot from the roll-ups, changes since the previous
bulletin, the Excel and PDF exports, monthly scheduling, and the bulletin pages' access."""

import base64
import io
import re
import zlib
from datetime import timedelta

import pytest
from django.utils import translation
from openpyxl import load_workbook

from shuangjian.org.access import access_region
from shuangjian.org.models import School
from shuangjian.reporting import export, selectors, services
from shuangjian.reporting.models import Bulletin
from tests.test_reporting_world import daily, periods, set_schedule

WITHIN, OVER = "HW-WITHIN-LIMIT", "HW-OVER-LIMIT"  # percent, higher better; count, lower better


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sched(world):
    return set_schedule(world)


@pytest.fixture
def county(world):
    """Twelve schools in the county: A001 (the world's) and S01…S11; S11 has no figures."""
    schools = [world.school] + [
        School.objects.create(name=f"第{n}小学", code=f"S{n:02d}", county=world.county)
        for n in range(1, 12)
    ]
    return schools


def _officer(world):
    return access_region(world.officer, world.county.id)[0]


def _fill(schools, period, within: dict[int, int], over: dict[int, int]):
    for i, s in enumerate(schools):
        if i in within:
            daily(s, period.start, WITHIN, within[i], 100)
        if i in over:
            daily(s, period.start, OVER, over[i])


def test_issue_ranks_units_keeps_no_data_and_compares_with_the_previous(world, sched, county):
    old, new = periods(sched)[1], periods(sched)[0]
    # Period 1: school i has i% within limits (A001 worst), S11 nothing at all.
    _fill(county, old, {i: 50 + i for i in range(11)}, {i: i for i in range(11)})
    first = services.issue_bulletin(
        role=_officer(world), region=world.county, period_start=old.start, indicator_ids=[WITHIN]
    )
    assert first.number == 1 and first.previous is None and first.indicators == [WITHIN]
    view = selectors.bulletin_view(first)
    (table,) = view.tables
    assert [r.name for r in table.rows][:2] == ["第10小学", "第9小学"]
    assert table.rows[-1].name == "第11小学" and table.rows[-1].rank is None
    assert [r.name for r in table.no_data] == ["第11小学"]
    assert len(table.bottom) == 10 and "第10小学" not in [r.name for r in table.bottom]
    assert all(r.rank_change is None and not r.entered_bottom for r in table.rows)

    # Period 0: S10 drops to the bottom, A001 climbs to the top.
    within = {i: 50 + i for i in range(11)} | {0: 99, 10: 10}
    _fill(county, new, within, {i: 10 - i for i in range(11)})
    second = services.issue_bulletin(
        role=_officer(world),
        region=world.county,
        period_start=new.start,
        indicator_ids=[OVER, WITHIN],
    )
    assert second.number == 2 and second.previous == first
    assert second.indicators == [WITHIN, OVER]  # catalogue order
    view = selectors.bulletin_view(second)
    composite, within_t, over_t = view.tables
    assert composite.indicator is None and within_t.id == WITHIN and over_t.id == OVER
    rows = {r.name: r for r in within_t.rows}
    a001 = rows["北票市实验学校"]
    assert (a001.rank, a001.rank_change, a001.value_change) == (1, 10, 49)
    assert a001.left_bottom and not a001.bottom
    s10 = rows["第10小学"]
    assert s10.bottom and s10.entered_bottom and s10.rank == 11 and s10.rank_change == -10
    assert [r.name for r in within_t.entered] == ["第10小学"]
    # The count indicator: lower is better; S10 has 0 and so has S11 (a count without rows is
    # 0, not "no data"): they share rank 1.
    assert {r.name for r in over_t.rows if r.rank == 1} == {"第10小学", "第11小学"}
    assert over_t.rows[2].rank == 3
    # No earlier composite, no earlier OVER table: no changes there.
    assert all(r.rank_change is None for r in composite.rows + over_t.rows)
    assert composite.rows[-1].name == "第11小学" and composite.rows[-1].missing == (WITHIN,)


def test_issue_refuses_bad_input_and_non_officers(world, sched):
    from django.core.exceptions import PermissionDenied, ValidationError

    p = periods(sched)[0]
    with pytest.raises(ValidationError) as exc:
        services.issue_bulletin(
            role=_officer(world), region=world.county, period_start=p.start, indicator_ids=[]
        )
    assert "indicators" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.issue_bulletin(
            role=_officer(world), region=world.county, period_start=p.start, indicator_ids=["X"]
        )
    assert "indicators" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.issue_bulletin(
            role=_officer(world),
            region=world.county,
            period_start=p.start + timedelta(days=2),
            indicator_ids=[WITHIN],
        )
    assert "period" in exc.value.error_dict
    inspector = access_region(world.inspector, world.county.id)[0]
    with pytest.raises(PermissionDenied):
        services.issue_bulletin(
            role=inspector, region=world.county, period_start=p.start, indicator_ids=[WITHIN]
        )
    assert not Bulletin.objects.exists()


def test_city_bulletin_ranks_its_counties(world, sched):
    from shuangjian.org.models import RegionRole
    from tests.world import make_user

    city_role = RegionRole.objects.create(user=make_user("city"), region=world.city, kind="officer")
    p = periods(sched)[0]
    services.set_schedule(
        role=city_role, region=world.city, first_day=sched.first_day, period_days=14, due_days=3
    )
    daily(world.school, p.start, WITHIN, 80, 100)
    daily(world.other_school, p.start, WITHIN, 90, 100)
    b = services.issue_bulletin(
        role=city_role, region=world.city, period_start=p.start, indicator_ids=[WITHIN]
    )
    (table,) = selectors.bulletin_view(b).tables
    assert [(r.name, r.rank) for r in table.rows] == [("建平县", 1), ("北票市", 2)]


# -- Exports ------------------------------------------------------------------------------------


def _issue_two(world, sched, county):
    p = periods(sched)[0]
    _fill(county, p, {i: 40 + 5 * i for i in range(11)}, {i: i for i in range(11)})
    return services.issue_bulletin(
        role=_officer(world),
        region=world.county,
        period_start=p.start,
        indicator_ids=[WITHIN, OVER],
    )


def test_excel_reads_back_with_numbers_as_numbers(world, sched, county):
    view = selectors.bulletin_view(_issue_two(world, sched, county))
    wb = load_workbook(io.BytesIO(export.bulletin_xlsx(view)))
    assert wb.sheetnames == ["composite", WITHIN, OVER]
    ws = wb[WITHIN]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0].startswith(view.title)
    assert list(rows[2]) == export.headers()
    assert rows[3][:5] == (1, "第10小学", 90, 90, 100)
    assert isinstance(rows[3][2], int | float)
    assert rows[-1][0] is None and rows[-1][1] == "第11小学" and "no data" in rows[-1][7]
    assert "bottom 10" in rows[4][7]  # 11 ranked: all but the best are in the bottom ten


def _pdf_text(data: bytes) -> str:
    """The text shown by a reportlab PDF: its page streams (ASCII85 + Flate) decoded and the
    UCS-2 strings of the CID font read back."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        content = zlib.decompress(base64.a85decode(b"<~" + m.group(1).strip(), adobe=True))
        for s in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda e: (
                    bytes([int(e.group(1), 8)])
                    if e.group(1)[:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(e.group(1), e.group(1))
                ),
                s,
            )
            out.append(raw.decode("utf-16-be", errors="replace"))
    return "".join(out)


def test_pdf_is_a4_with_the_chinese_title_tables_and_page_numbers(world, sched, county):
    view = selectors.bulletin_view(_issue_two(world, sched, county))
    data = export.bulletin_pdf(view)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/STSong-Light" in data and b"/UniGB-UCS2-H" in data
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data  # A4 portrait
    text = _pdf_text(data)
    assert "北票市" in text and "第10小学" in text and "第11小学" in text
    assert "北票市 Double Reduction" in text.replace("\n", "")


# -- Monthly scheduling -------------------------------------------------------------------------


def test_monthly_values_changes_and_reporting_rate(world, sched):
    from shuangjian.org.access import access_school

    p = periods(sched)[0]
    month_start, _end = selectors.month_bounds(p.end)
    prev_day = month_start - timedelta(days=1)
    daily(world.school, p.end, WITHIN, 9, 10)
    daily(world.school, prev_day, WITHIN, 6, 10)
    acc = access_school(world.principal, world.school.id)
    services.submit_report(
        acc=acc, report=services.freeze_report(acc=acc, period_start=p.start), comment=""
    )
    data = selectors.monthly(world.county, p.end)
    ids = [i.id for i in data.indicators]
    (row,) = data.rows
    cell = row.cells[ids.index(WITHIN)]
    assert cell.value == pytest.approx(90) and cell.change == pytest.approx(30)
    assert p in data.periods
    assert row.reporting.expected == len(data.periods) and row.reporting.submitted == 1


def test_monthly_page_shows_the_month_and_refuses_a_bad_one(world, sched, login):
    client = login(world.officer)
    url = f"/r/{world.county.id}/monthly/"
    month = periods(sched)[0].end.strftime("%Y-%m")
    r = client.get(f"{url}?month={month}")
    assert r.status_code == 200 and f'value="{month}"' in r.content.decode()
    assert "errorlist" not in r.content.decode()
    for bad in ("2026-13", "9999-12", "0001-01", "x"):  # 9999-12 would overflow: not a 500
        r = client.get(f"{url}?month={bad}")
        assert r.status_code == 400, bad
        assert 'data-field="month"' in r.content.decode()
        assert "Enter the month as YYYY-MM." in r.content.decode()


# -- Pages --------------------------------------------------------------------------------------


def test_bulletin_pages_for_officer_and_inspector(world, sched, county, login):
    client = login(world.officer)
    url = f"/r/{world.county.id}/bulletins/"
    assert client.get(url).status_code == 200
    p = periods(sched)[0]
    _fill(county, p, {i: 40 + 5 * i for i in range(11)}, {})
    r = client.post(url, {"period": p.start.isoformat(), "indicators": [WITHIN]})
    b = Bulletin.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/bulletins/{b.id}/")
    page = client.get(r["Location"]).content.decode()
    assert "第10小学" in page and "第11小学" in page and "bottom 10" in page
    # Every school's figure opens the records behind it, for the bulletin's period.
    drill = f"/indicators/{WITHIN}/?start={p.start.isoformat()}&amp;end={p.end.isoformat()}"
    schools = list(world.county.schools.all())
    no_data = page[page.index("No data:") :].split("</p>")[0]
    for school in schools:  # a figure links to its records; a unit without one is listed
        assert f'href="/s/{school.id}{drill}"' in page or school.name in no_data
    first = schools[0]
    assert (
        client.get(f"/s/{first.id}/indicators/{WITHIN}/?start={p.start}&end={p.end}").status_code
        == 200
    )
    xlsx = client.get(f"/r/{world.county.id}/bulletins/{b.id}/xlsx/")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    pdf = client.get(f"/r/{world.county.id}/bulletins/{b.id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get(f"/r/{world.county.id}/monthly/").status_code == 200
    month = client.get(f"/r/{world.county.id}/monthly/?month={p.end:%Y-%m}").content.decode()
    assert f"/indicators/{WITHIN}/?start={p.end.replace(day=1)}&amp;end=" in month  # traceable
    assert client.get(f"/r/{world.county.id}/monthly/?month=2026-13").status_code == 400

    inspector = login(world.inspector)
    assert inspector.get(f"/r/{world.county.id}/bulletins/{b.id}/").status_code == 200
    r = inspector.post(url, {"period": p.start.isoformat(), "indicators": [WITHIN]})
    assert r.status_code == 403 and Bulletin.objects.count() == 1


def test_bulletin_page_bad_input_and_denials(world, sched, login):
    client = login(world.officer)
    url = f"/r/{world.county.id}/bulletins/"
    r = client.post(url, {"period": periods(sched)[0].start.isoformat()}, follow=True)
    assert "Choose one or more indicators" in r.content.decode()
    r = client.post(url, {"period": "bad", "indicators": [WITHIN]}, follow=True)
    assert "Choose a period" in r.content.decode()
    assert not Bulletin.objects.exists()
    b = services.issue_bulletin(
        role=_officer(world),
        region=world.county,
        period_start=periods(sched)[0].start,
        indicator_ids=[WITHIN],
    )
    for user in (world.other_officer, world.principal, world.parent):
        c = login(user)
        assert c.get(url).status_code == 404
        assert c.get(f"/r/{world.county.id}/bulletins/{b.id}/pdf/").status_code == 404
        assert c.get(f"/r/{world.county.id}/monthly/").status_code == 404
    # A bulletin reached through another region's URL does not exist.
    other = login(world.other_officer)
    assert other.get(f"/r/{world.other_county.id}/bulletins/{b.id}/").status_code == 404
