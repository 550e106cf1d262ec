"""Complaint pages (SV-03, SV-04): each page's success, validation error and denial; the public
pages without an account; the school's page never shows who filed."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shuangjian.complaints import services, tracking
from shuangjian.complaints.models import Complaint, ExposureCase, HandlingLimit
from shuangjian.org.models import RegionRole
from tests.test_complaints import CONTACT, FACTS, NAME, PNG, at, file, to_rectifying, to_school
from tests.world import make_user

pytestmark = pytest.mark.django_db

NEW = reverse("complaint_new")
TRACK = reverse("complaint_track")


def filing_data(w, **extra):
    data = {
        "school": w.school.id,
        "category": "parent_homework",
        "description": "四年级语文老师要求家长每天批改口算。",
        "real_name": "on",
        "complainant_name": NAME,
        "complainant_contact": CONTACT,
    }
    data.update(extra)
    return data


def errors(response, field):
    form = response.context["form"]
    return form.errors.get(field, [])


# -- Filing (public) ---------------------------------------------------------------------------


def test_anyone_files_without_an_account_and_sees_the_code_once(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = client.get(NEW)
    assert page.status_code == 200 and world.school.name in page.content.decode()
    data = filing_data(world, files=[SimpleUploadedFile("a.png", PNG, "image/png")])
    response = client.post(NEW, data)
    assert response.status_code == 302 and response.url == reverse("complaint_filed")
    c = Complaint.objects.get()
    assert (c.category, c.real_name, c.attachments.count()) == ("parent_homework", True, 1)
    shown = client.get(response.url)
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    code = shown.context["filed"]["code"]
    assert code in shown.content.decode() and services.find_by_code(code) == c
    # Shown once: the session forgot it.
    again = client.get(reverse("complaint_filed"))
    assert again.status_code == 302 and code not in again.content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": ""}, "description"),
        ({"school": "999999"}, "school"),
        ({"complainant_name": ""}, "complainant_name"),
        ({"complainant_contact": "not a contact"}, "complainant_contact"),
        ({"files": [SimpleUploadedFile("x.png", b"MZ\x90\x00", "image/png")]}, "files"),
    ],
)
def test_bad_filing_is_shown_on_the_field_and_stores_nothing(
    world, client, settings, tmp_path, extra, field
):
    settings.MEDIA_ROOT = tmp_path
    response = client.post(NEW, filing_data(world, **extra))
    assert response.status_code == 200
    assert errors(response, field), response.context["form"].errors
    assert not Complaint.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_filing_needs_the_csrf_token_and_is_throttled_per_address(world, monkeypatch):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(NEW, filing_data(world)).status_code == 403
    assert not Complaint.objects.exists()
    monkeypatch.setattr(tracking, "FILINGS", replace(tracking.FILINGS, limit=1))
    client = Client()
    assert client.post(NEW, filing_data(world)).status_code == 302
    assert client.post(NEW, filing_data(world)).status_code == 429
    assert Complaint.objects.count() == 1


# -- Tracking (public) -------------------------------------------------------------------------


def test_the_complainant_follows_the_case_and_answers(world, client):
    filing = file(world)
    c = to_school(world, filing.complaint)
    services.pause_for_complainant(actor=world.officer, complaint=c, question="请补充日期。")
    assert client.get(TRACK).status_code == 200
    response = client.post(TRACK, {"code": filing.tracking_code.lower()})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    case = response.context["case"]
    assert (case.status, case.question) == ("verifying", "请补充日期。")
    body = response.content.decode()
    assert world.school.name in body and "请补充日期。" in body
    assert NAME not in body and CONTACT not in body  # not even to the holder of the code
    answer = client.post(
        TRACK, {"code": filing.tracking_code, "action": "reply", "text": "是上周二。"}
    )
    assert answer.status_code == 200
    c.refresh_from_db()
    assert c.paused_since is None
    assert c.events.filter(action="complainant_reply", note="是上周二。").exists()
    # An empty answer is a field error and changes nothing.
    empty = client.post(TRACK, {"code": filing.tracking_code, "action": "reply", "text": ""})
    assert empty.status_code == 200 and empty.context["reply_form"].errors["text"]
    assert c.events.filter(action="complainant_reply").count() == 1


def test_a_wrong_code_reveals_nothing(world, client):
    file(world)
    empty = client.post(TRACK, {"code": ""})
    assert empty.status_code == 200 and errors(empty, "code")
    bodies = []
    for code in ("2345-6789-ABCD-EFGH", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "short", "' OR 1=1 --"):
        response = client.post(TRACK, {"code": code})
        assert response.status_code == 404
        assert response.context["not_found"] and "case" not in response.context
        assert code not in response.content.decode()
        bodies.append(re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode()))  # CSRF tokens
    assert len(set(bodies)) == 1  # the same page whatever the code


def test_code_lookups_are_throttled_per_address(world, client, monkeypatch):
    monkeypatch.setattr(tracking, "LOOKUPS", replace(tracking.LOOKUPS, limit=3))
    filing = file(world)
    for _ in range(3):
        assert client.post(TRACK, {"code": "2345-6789-ABCD-EFGH"}).status_code == 404
    # Now even the right code is refused, so the refusal says nothing about any code.
    response = client.post(TRACK, {"code": filing.tracking_code})
    assert response.status_code == 429 and "case" not in response.context
    other_address = client.post(TRACK, {"code": filing.tracking_code}, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


# -- Bureau list -------------------------------------------------------------------------------


def region_url(w, region=None):
    return reverse("complaints_region", args=[(region or w.county).id])


def test_bureau_list_filters_and_highlights_overdue_cases(world, login):
    late = file(world, now=at(timezone.localdate() - timedelta(days=60))).complaint
    fresh = file(world, category="exam_ranking").complaint
    other = file(world, school=world.other_school).complaint
    client = login(world.officer)
    response = client.get(region_url(world))
    assert response.status_code == 200
    rows = dict((c.id, overdue) for c, overdue in response.context["rows"])
    assert rows == {late.id: True, fresh.id: False}
    body = response.content.decode()
    assert body.count('class="cp-overdue"') == 1
    assert client.get(region_url(world), {"overdue": "on"}).context["page"].paginator.count == 1
    only = client.get(region_url(world), {"category": "exam_ranking"})
    assert [c.id for c, _o in only.context["rows"]] == [fresh.id]
    by_school = client.get(region_url(world), {"school": world.school.id}).context["rows"]
    assert {c.id for c, _o in by_school} == {late.id, fresh.id}
    # The city sees both counties; the inspector reads.
    city = make_user("city_officer")
    RegionRole.objects.create(user=city, region=world.city, kind="officer")
    whole = login(city).get(region_url(world, world.city))
    assert {c.id for c, _o in whole.context["rows"]} == {late.id, fresh.id, other.id}
    assert login(world.inspector).get(region_url(world)).status_code == 200


def test_bureau_list_queries_do_not_grow_with_the_cases(world, login):
    client = login(world.officer)
    for _ in range(2):
        file(world)
    client.get(region_url(world))  # fills the cached user and unread count
    with CaptureQueriesContext(connection) as few:
        client.get(region_url(world))
    for _ in range(8):
        services.assign(actor=world.officer, complaint=file(world).complaint, owner=world.officer)
    client.get(region_url(world))  # the assignments' messages renewed the unread count
    with CaptureQueriesContext(connection) as many:
        response = client.get(region_url(world))
    assert response.status_code == 200 and len(response.context["rows"]) == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_bureau_list_bad_filter_is_a_form_error(world, login):
    file(world)
    response = login(world.officer).get(region_url(world), {"status": "lost", "school": "x"})
    assert response.status_code == 200
    assert errors(response, "status") and errors(response, "school")
    assert response.context["page"].paginator.count == 1  # unfiltered


@pytest.mark.parametrize("who", ["other_officer", "principal", "outsider", "parent"])
def test_bureau_list_is_not_there_for_others(world, login, who):
    assert login(getattr(world, who)).get(region_url(world)).status_code == 404


def test_bureau_list_needs_a_login(world, client):
    response = client.get(region_url(world))
    assert response.status_code == 302 and "/login/" in response.url


def test_handling_limit_form(world, login):
    client = login(world.officer)
    bad = client.post(region_url(world), {"working_days": 20})
    assert bad.status_code == 200 and bad.context["limit_form"].errors["working_days"]
    assert not HandlingLimit.objects.exists()
    assert client.post(region_url(world), {"working_days": 10}).status_code == 302
    assert HandlingLimit.objects.get(region=world.county).working_days == 10
    assert login(world.inspector).post(region_url(world), {"working_days": 5}).status_code == 403
    assert HandlingLimit.objects.get(region=world.county).working_days == 10


# -- Bureau case page --------------------------------------------------------------------------


def case_url(w, c, region=None):
    return reverse("complaint_case", args=[(region or w.county).id, c.id])


def test_officer_handles_a_case_through_the_page(world, login):
    c = file(world).complaint
    client = login(world.officer)
    page = client.get(case_url(world, c))
    assert page.status_code == 200
    body = page.content.decode()
    assert NAME in body and CONTACT in body  # the bureau sees who filed
    assert set(page.context["forms"]) == {"assign", "pause", "supervise"}
    post = lambda data: client.post(case_url(world, c), data)  # noqa: E731
    assert post({"action": "assign", "owner": world.officer.id}).status_code == 302
    assert (
        post(
            {"action": "request", "description_for_school": FACTS, "request": "请核查。"}
        ).status_code
        == 302
    )
    services.submit_school_verification(actor=world.principal, complaint=c, report="属实。")
    assert (
        post(
            {"action": "finding", "finding": "substantiated", "finding_text": "属实。"}
        ).status_code
        == 302
    )
    assert post({"action": "supervise", "on": "on", "note": "挂牌"}).status_code == 302
    assert post({"action": "close", "reply": "已核实处理。"}).status_code == 302
    c.refresh_from_db()
    assert (c.status, c.owner, c.special_supervision) == ("closed", world.officer, True)
    response = post(
        {"action": "publish", "title": "作业超量", "summary": "经核查，该校三年级作业超量。"}
    )
    assert response.status_code == 302
    assert ExposureCase.objects.get().complaint == c


def test_case_page_validation_errors_change_nothing(world, login):
    c = file(world).complaint
    services.assign(actor=world.officer, complaint=c, owner=world.officer)
    client = login(world.officer)
    # The complaint's own text names the complainant: the school may not be shown it as is.
    response = client.post(
        case_url(world, c),
        {"action": "request", "description_for_school": c.description, "request": "请核查。"},
    )
    assert response.status_code == 200
    assert response.context["forms"]["request"].errors["description_for_school"]
    missing = client.post(case_url(world, c), {"action": "request", "request": ""})
    assert missing.context["forms"]["request"].errors["request"]
    # A step the state does not allow is refused with the reason.
    closing = client.post(case_url(world, c), {"action": "close", "reply": "x"})
    assert closing.status_code == 200
    assert closing.context["forms"]["close"].non_field_errors()
    assert client.post(case_url(world, c), {"action": "fly"}).status_code == 400
    c.refresh_from_db()
    assert c.status == "assigned" and c.description_for_school == ""


def test_case_page_denials(world, login):
    c = file(world).complaint
    other = file(world, school=world.other_school).complaint
    inspector = login(world.inspector)
    assert inspector.get(case_url(world, c)).status_code == 200
    assert inspector.get(case_url(world, c)).context["forms"] == {}
    assert (
        inspector.post(
            case_url(world, c), {"action": "assign", "owner": world.officer.id}
        ).status_code
        == 403
    )
    officer = login(world.officer)
    # Another county's case through this county's URL, or through the other county's URL.
    assert officer.get(case_url(world, other)).status_code == 404
    assert officer.get(case_url(world, other, world.other_county)).status_code == 404
    assert login(world.other_officer).get(case_url(world, c)).status_code == 404
    assert login(world.principal).get(case_url(world, c)).status_code == 404
    c.refresh_from_db()
    assert c.owner is None


def test_attachments_are_for_the_bureau_only(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = file(world, files=[SimpleUploadedFile("证据.png", PNG, "image/png")]).complaint
    att = c.attachments.get()
    url = reverse("complaint_attachment", args=[world.county.id, c.id, att.id])
    response = login(world.officer).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PNG
    assert login(world.other_officer).get(url).status_code == 404
    assert login(world.principal).get(url).status_code == 404
    bad = reverse("complaint_attachment", args=[world.county.id, c.id, att.id + 99])
    assert login(world.officer).get(bad).status_code == 404


# -- School page -------------------------------------------------------------------------------


def school_url(w, school=None):
    return reverse("complaints_school", args=[(school or w.school).id])


def test_school_sees_facts_only_and_answers(world, login):
    filing = file(world)
    c = to_school(world, filing.complaint)
    services.pause_for_complainant(actor=world.officer, complaint=c, question="请补充日期。")
    services.reply_as_complainant(complaint=c, text="家长补充：是上周二。")
    client = login(world.principal)
    response = client.get(school_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert FACTS in body and "请学校核查" in body
    for secret in (NAME, CONTACT, filing.tracking_code, "家长补充", c.description, "Real name"):
        assert secret not in body
    ok = client.post(school_url(world), {"action": "verify", "complaint": c.id, "report": "属实。"})
    assert ok.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.school_report) == ("finding", "属实。")
    # The academic office answers too, once rectification is required.
    services.record_finding(actor=world.officer, complaint=c, finding="partly", text="部分属实。")
    services.require_rectification(actor=world.officer, complaint=c, requirement="整改。")
    academic = login(world.academic)
    assert (
        academic.post(
            school_url(world), {"action": "rectify", "complaint": c.id, "report": "已整改。"}
        ).status_code
        == 302
    )
    c.refresh_from_db()
    assert c.rectification == "已整改。"
    body = academic.get(school_url(world)).content.decode()
    assert NAME not in body and CONTACT not in body


def test_school_page_validation_errors(world, login):
    c = to_school(world, file(world).complaint)
    client = login(world.principal)
    empty = client.post(school_url(world), {"action": "verify", "complaint": c.id, "report": ""})
    assert empty.status_code == 200
    ((case, form),) = empty.context["rows"]
    assert form.errors["report"]
    # Rectifying before being asked to: refused with the reason, nothing changes.
    wrong = client.post(school_url(world), {"action": "rectify", "complaint": c.id, "report": "x"})
    assert wrong.status_code == 200 and wrong.context["rows"][0][1].non_field_errors()
    c.refresh_from_db()
    assert (c.status, c.rectification) == ("verifying", "")


def test_school_page_denials(world, login):
    c = to_school(world, file(world).complaint)
    hidden = file(world).complaint  # not brought to the school yet
    for who in ("head_teacher", "subject_teacher", "duty_leader"):
        assert login(getattr(world, who)).get(school_url(world)).status_code == 403
    assert login(world.outsider).get(school_url(world)).status_code == 404
    assert login(world.other_officer).get(school_url(world)).status_code == 404
    assert login(world.parent).get(school_url(world)).status_code == 404
    # An official above the school reads, but does not answer for it.
    officer = login(world.officer)
    assert officer.get(school_url(world)).status_code == 200
    data = {"action": "verify", "complaint": c.id, "report": "x"}
    assert officer.post(school_url(world), data).status_code == 403
    # A case the bureau has not brought to the school is not there for it.
    principal = login(world.principal)
    assert principal.post(school_url(world), {**data, "complaint": hidden.id}).status_code == 404
    assert [case.id for case, _f in principal.get(school_url(world)).context["rows"]] == [c.id]


# -- Statistics --------------------------------------------------------------------------------


def test_statistics(world, login):
    today = timezone.localdate()
    on_time = to_rectifying(world, file(world).complaint)
    services.submit_rectification(actor=world.principal, complaint=on_time, report="已整改。")
    services.close(actor=world.officer, complaint=on_time, reply="已办结。")
    file(world, now=at(today - timedelta(days=60)), category="exam_ranking")  # overdue
    file(world, school=world.other_school)
    response = login(world.officer).get(reverse("complaints_stats", args=[world.county.id]))
    assert response.status_code == 200
    s = response.context["stats"]
    assert (s.total, s.closed, s.overdue, s.closed_on_time) == (2, 1, 1, 1)
    assert s.on_time_share == 1.0 and s.median_days_to_close == 0
    by_cat = {r.key: r.total for r in s.by_category}
    assert by_cat["homework_overload"] == 1 and by_cat["exam_ranking"] == 1
    assert [(r.label, r.total) for r in s.by_school] == [(world.school.name, 2)]


def test_statistics_bad_period_and_denial(world, login):
    url = reverse("complaints_stats", args=[world.county.id])
    response = login(world.officer).get(url, {"start": "2026-10-01", "end": "2026-09-01"})
    assert response.status_code == 200 and errors(response, "end")
    assert login(world.inspector).get(url).status_code == 200
    assert login(world.other_officer).get(url).status_code == 404
    assert login(world.principal).get(url).status_code == 404


# -- Exposure board ----------------------------------------------------------------------------


def published(w):
    c = to_school(w, file(w).complaint)
    services.submit_school_verification(actor=w.principal, complaint=c, report="属实。")
    services.record_finding(actor=w.officer, complaint=c, finding="substantiated", text="属实。")
    return services.publish_exposure(
        actor=w.officer,
        complaint=c,
        title="北票市实验学校作业超量",
        summary="经县教育局核查，该校三年级书面作业超出规定时长，已责令整改。",
    )


def test_the_exposure_board_is_public_and_has_no_personal_data(world, client):
    case = published(world)
    for url in (reverse("exposure"), reverse("exposure_region", args=[world.county.id])):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert case.title in body and world.school.name in body
        assert NAME not in body and CONTACT not in body
        assert reverse("complaint_case", args=[world.county.id, case.complaint_id]) not in body
    other = client.get(reverse("exposure_region", args=[world.other_county.id]))
    assert case.title not in other.content.decode()
    assert client.get(reverse("exposure_region", args=[999999])).status_code == 404


def test_publishing_refusals_on_the_case_page(world, login):
    c = to_school(world, file(world).complaint)
    client = login(world.officer)
    data = {"action": "publish", "title": "作业超量", "summary": "经核查……"}
    not_yet = client.post(case_url(world, c), data)
    assert not_yet.status_code == 200 and not_yet.context["forms"]["publish"].non_field_errors()
    services.submit_school_verification(actor=world.principal, complaint=c, report="属实。")
    services.record_finding(actor=world.officer, complaint=c, finding="partly", text="部分属实。")
    naming = client.post(case_url(world, c), {**data, "summary": f"{NAME}反映……"})
    assert naming.context["forms"]["publish"].errors["summary"]
    assert login(world.inspector).post(case_url(world, c), data).status_code == 403
    assert not ExposureCase.objects.exists()


def test_deadline_shown_on_the_case_page_counts_working_days(world, login):
    c = file(world, now=at(date(2026, 9, 28))).complaint
    response = login(world.officer).get(case_url(world, c))
    assert c.deadline == date(2026, 10, 23)
    assert "2026-10-23" in response.content.decode()
