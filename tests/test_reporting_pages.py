"""Direct-report and case pages (SV-01, SV-06): success, bad input, denials."""

import pytest
from django.utils import translation

from shuangjian.reporting import services
from shuangjian.reporting.models import GoodPractice, ReportingSchedule, SchoolReport
from tests.test_reporting_world import periods, principal_acc, set_schedule


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sched(world):
    return set_schedule(world)


def _report_url(world, period):
    return f"/s/{world.school.id}/reports/{period.start.isoformat()}/"


def test_principal_freezes_and_submits_then_officer_returns(world, sched, login):
    p = periods(sched)[0]
    client = login(world.principal)
    page = client.get(f"/s/{world.school.id}/reports/").content.decode()
    assert _report_url(world, p) in page and "not reported" in page
    assert "Freeze the figures" in client.get(_report_url(world, p)).content.decode()
    assert client.post(_report_url(world, p), {"action": "freeze"}).status_code == 302
    page = client.get(_report_url(world, p)).content.decode()
    assert "Pupil-days within the homework limit" in page
    # A frozen figure opens the records behind it for the report's period.
    drill = f"/s/{world.school.id}/indicators/HW-OVER-LIMIT/?start={p.start}&amp;end={p.end}"
    assert drill in page
    client.post(_report_url(world, p), {"action": "submit", "comment": "已审核"})
    report = SchoolReport.objects.get()
    assert report.status == "submitted" and report.comment == "已审核" and report.source == "web"

    officer = login(world.officer)
    overview = officer.get(f"/r/{world.county.id}/reports/?period={p.start}").content.decode()
    assert world.school.name in overview and "Reporting rate" in overview
    r = officer.post(_report_url(world, p), {"action": "return", "reason": ""}, follow=True)
    assert "This field is required" in r.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"
    officer.post(_report_url(world, p), {"action": "return", "reason": "请补充说明"})
    report.refresh_from_db()
    assert report.status == "returned"
    page = login(world.principal).get(_report_url(world, p)).content.decode()
    assert "请补充说明" in page and "Freeze the figures again" in page


def test_report_page_denials(world, sched, login):
    p = periods(sched)[0]
    services.freeze_report(acc=principal_acc(world), period_start=p.start)
    for user in (world.head_teacher, world.academic, world.subject_teacher):
        c = login(user)
        assert c.get(f"/s/{world.school.id}/reports/").status_code == 403
        assert c.post(_report_url(world, p), {"action": "submit"}).status_code == 403
    for user in (world.outsider, world.other_officer, world.parent):
        c = login(user)
        assert c.get(f"/s/{world.school.id}/reports/").status_code == 404
        assert c.get(_report_url(world, p)).status_code == 404
    inspector = login(world.inspector)
    assert inspector.get(_report_url(world, p)).status_code == 200
    assert inspector.post(_report_url(world, p), {"action": "accept"}).status_code == 403
    # The principal cannot accept their own report.
    principal = login(world.principal)
    assert principal.post(_report_url(world, p), {"action": "accept"}).status_code == 403
    assert principal.get(f"/s/{world.school.id}/reports/not-a-date/").status_code == 404
    assert SchoolReport.objects.get().status == "draft"


def test_schedule_form(world, login):
    url = f"/r/{world.county.id}/reports/"
    officer = login(world.officer)
    r = officer.post(
        url, {"first_day": "2026-09-07", "period_days": "3", "due_days": "2"}, follow=True
    )
    assert "A period lasts from 7 to 31 days" in r.content.decode()
    r = officer.post(url, {"first_day": "", "period_days": "14", "due_days": "2"}, follow=True)
    assert "Enter a valid date" in r.content.decode()
    assert not ReportingSchedule.objects.exists()
    officer.post(url, {"first_day": "2026-09-07", "period_days": "14", "due_days": "3"})
    assert ReportingSchedule.objects.get().period_days == 14
    inspector = login(world.inspector)
    assert inspector.get(url).status_code == 200
    r = inspector.post(url, {"first_day": "2026-09-07", "period_days": "7", "due_days": "3"})
    assert r.status_code == 403 and ReportingSchedule.objects.get().period_days == 14
    assert login(world.other_officer).get(url).status_code == 404
    assert login(world.principal).get(url).status_code == 404
    city = login(world.officer).get(f"/r/{world.city.id}/reports/")
    assert city.status_code == 404  # a county officer does not see the city


def test_cases_pages(world, login, client):
    principal = login(world.principal)
    url = f"/s/{world.school.id}/cases/"
    r = principal.post(url, {"title": "", "summary": "s", "body": "b"})
    assert r.status_code == 200 and "This field is required" in r.content.decode()
    assert not GoodPractice.objects.exists()
    principal.post(url, {"title": "作业分层", "summary": "分层布置", "body": "全文"})
    case = GoodPractice.objects.get()

    officer = login(world.officer)
    cases_url = f"/r/{world.county.id}/cases/"
    assert "作业分层" in officer.get(cases_url).content.decode()
    r = officer.post(cases_url, {"case": case.id, "action": "decline", "reason": ""}, follow=True)
    assert "This field is required" in r.content.decode()
    officer.post(cases_url, {"case": case.id, "action": "publish"})
    case.refresh_from_db()
    assert case.status == "published"

    client.logout()
    public = client.get(f"/cases/r/{world.city.id}/").content.decode()
    assert "作业分层" in public
    assert "全文" in client.get(f"/cases/{case.id}/").content.decode()


def test_cases_denials(world, login, client):
    case = services.submit_case(acc=principal_acc(world), title="t", summary="s", body="b")
    assert client.get(f"/cases/{case.id}/").status_code == 404  # not published
    teacher = login(world.head_teacher)
    assert (
        teacher.post(
            f"/s/{world.school.id}/cases/", {"title": "t", "summary": "s", "body": "b"}
        ).status_code
        == 403
    )
    assert login(world.outsider).get(f"/s/{world.school.id}/cases/").status_code == 404
    cases_url = f"/r/{world.county.id}/cases/"
    inspector = login(world.inspector)
    assert inspector.post(cases_url, {"case": case.id, "action": "publish"}).status_code == 403
    other = login(world.other_officer)
    assert other.get(cases_url).status_code == 404
    assert (
        other.post(f"/r/{world.other_county.id}/cases/", {"case": case.id, "action": "publish"})
    ).status_code == 404
    principal = login(world.principal)
    assert principal.post(cases_url, {"case": case.id, "action": "publish"}).status_code == 404
    assert GoodPractice.objects.get().status == "submitted"
