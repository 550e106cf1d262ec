"""The afternoon pages: the day, the care teacher's phone page (htmx), the hand-over, the live
view, safety notices with receipts, the gate log, the parent's page.  Success, bad input naming
the field, denial (404 in another school or for another parent's child, 403 by role)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangjian.afternoon import services
from shuangjian.afternoon.models import (
    GateEntry,
    Handover,
    LeaveRequest,
    NoticeReceipt,
    ReleaseConsent,
    SafetyNotice,
    Session,
)
from tests.afternoon_world import DAY, acc_of, afternoon_programme, row, today_session
from tests.afterschool_world import parent_of


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def live(world):
    return today_session(world, afternoon_programme(world))


def url(name, *args):
    return reverse(name, args=args)


def test_day_page_lists_sessions_handovers_and_leave(world, login, live):
    services.file_leave(
        user=world.parent,
        student=world.pupil,
        day=timezone.localdate(),
        kind="whole",
        reason="发烧",
    )
    page = login(world.head_teacher).get(url("afternoon_today", world.school.id))
    assert page.status_code == 200
    assert "发烧" in page.content.decode() and "Hand-over of my class" in page.content.decode()
    r = login(world.head_teacher).post(
        url("afternoon_today", world.school.id),
        {"leave": LeaveRequest.objects.get().id, "action": "refuse", "reason": ""},
    )
    assert r.status_code == 400 and b'data-field="reason"' in r.content
    assert LeaveRequest.objects.get().status == "pending"
    r = login(world.head_teacher).post(
        url("afternoon_today", world.school.id),
        {"leave": LeaveRequest.objects.get().id, "action": "approve"},
    )
    assert r.status_code == 302 and row(live, world.pupil).state == "on_leave"
    page = login(world.afterschool).get(url("afternoon_today", world.school.id))
    assert "足球" in page.content.decode()


def test_day_page_denials(world, login, live):
    assert login(world.outsider).get(url("afternoon_today", world.school.id)).status_code == 404
    assert login(world.parent).get(url("afternoon_today", world.school.id)).status_code == 404


def test_care_teacher_signs_in_and_releases_with_htmx(world, login, live):
    c = login(world.afterschool)
    page = c.get(url("afternoon_session", world.school.id, live.id))
    assert page.status_code == 200 and "张小明" in page.content.decode()
    r = c.post(
        url("afternoon_session", world.school.id, live.id),
        {"row": row(live, world.pupil).id, "action": "sign_in"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"Present" in r.content
    r = c.post(
        url("afternoon_session", world.school.id, live.id),
        {"row": row(live, world.pupil).id, "action": "release", "mode": "guardian"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 400 and b'data-field="guardian_name"' in r.content
    assert row(live, world.pupil).state == "present"
    r = c.post(
        url("afternoon_session", world.school.id, live.id),
        {"row": row(live, world.pupil).id, "action": "release", "mode": "extended_care"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"late pick-up" in r.content
    assert row(live, world.pupil).state == "released"


def test_session_page_denials(world, login, live):
    assert (
        login(world.outsider).get(url("afternoon_session", world.school.id, live.id)).status_code
        == 404
    )
    assert (
        login(world.subject_teacher)
        .get(url("afternoon_session", world.school.id, live.id))
        .status_code
        == 403
    )
    assert (
        login(world.parent).get(url("afternoon_session", world.school.id, live.id)).status_code
        == 404
    )
    r = login(world.subject_teacher).post(
        url("afternoon_session", world.school.id, live.id),
        {"row": row(live, world.pupil).id, "action": "sign_in"},
    )
    assert r.status_code == 403 and row(live, world.pupil).state == "expected"


def test_handover_page(world, login, live):
    c = login(world.head_teacher)
    link = url("afternoon_handover", world.school.id, live.id, world.class_3_1.id)
    assert "张小明" in c.get(link).content.decode()
    r = c.post(link, {"pupil": ["x"]})
    assert r.status_code == 400 and b'data-field="pupils"' in r.content
    r = c.post(link, {"pupil": [str(world.pupil2.id)]})
    assert r.status_code == 400 and not Handover.objects.exists()
    r = c.post(link, {"pupil": [str(world.pupil.id)]})
    assert r.status_code == 302 and row(live, world.pupil).state == "handed_over"
    assert Handover.objects.get().pupils == 1


def test_handover_page_denials(world, login, live):
    other = url("afternoon_handover", world.school.id, live.id, world.class_3_2.id)
    assert login(world.head_teacher).get(other).status_code == 403
    mine = url("afternoon_handover", world.school.id, live.id, world.class_3_1.id)
    assert login(world.afterschool).get(mine).status_code == 403
    assert login(world.outsider).get(mine).status_code == 404


def test_live_view_and_closing(world, login, live):
    c = login(world.duty_leader)
    services.sign_in(acc=acc_of(world.afterschool, world), attendance=row(live, world.pupil))
    page = c.get(url("afternoon_live", world.school.id))
    body = page.content.decode()
    assert page.status_code == 200 and "张小明" in body and "李小红" in body
    r = c.get(url("afternoon_live", world.school.id) + "?date=nonsense")
    assert r.status_code == 404
    r = c.post(url("afternoon_live", world.school.id) + "?date=2026-10-01", {"action": "open"})
    assert r.status_code == 400 and b'data-field="date"' in r.content
    r = c.post(url("afternoon_live", world.school.id), {"action": "close"})
    assert r.status_code == 302
    assert Session.objects.get().status == "closed"


def test_live_view_denials(world, login, live):
    assert login(world.afterschool).get(url("afternoon_live", world.school.id)).status_code == 403
    assert login(world.head_teacher).get(url("afternoon_live", world.school.id)).status_code == 403
    assert login(world.outsider).get(url("afternoon_live", world.school.id)).status_code == 404


def test_open_day_from_the_live_view(world, login):
    afternoon_programme(world)
    r = login(world.principal).post(
        url("afternoon_live", world.school.id) + f"?date={DAY}", {"action": "open"}
    )
    assert r.status_code == 302 and Session.objects.filter(date=DAY).count() == 1


def test_safety_notice_with_read_receipts(world, login, live):
    c = login(world.duty_leader)
    r = c.post(
        url("afternoon_notices", world.school.id),
        {"kind": "weather", "scope": "school", "title": "", "body": "x"},
    )
    assert r.status_code == 400 and b'data-field="title"' in r.content
    assert not SafetyNotice.objects.exists()
    r = c.post(
        url("afternoon_notices", world.school.id),
        {"kind": "weather", "scope": "school", "title": "暴雨", "body": "请提前接孩子"},
    )
    notice = SafetyNotice.objects.get()
    assert r.status_code == 302
    sender = c.get(url("afternoon_notice", world.school.id, notice.id)).content.decode()
    assert "Not read yet (1)" in sender
    read = login(world.parent).get(url("afternoon_notice_read", notice.id))
    assert read.status_code == 200 and "请提前接孩子" in read.content.decode()
    assert NoticeReceipt.objects.get().read_at is not None
    sender = login(world.duty_leader).get(url("afternoon_notice", world.school.id, notice.id))
    assert "Not read yet (0)" in sender.content.decode()


def test_notice_denials(world, login, live):
    n = services.send_notice(
        acc=acc_of(world.duty_leader, world), kind="emergency", scope="school", title="t", body="b"
    )
    assert (
        login(world.head_teacher).get(url("afternoon_notices", world.school.id)).status_code == 403
    )
    assert (
        login(world.outsider).get(url("afternoon_notice", world.school.id, n.id)).status_code == 404
    )
    assert login(parent_of(world.pupil2)).get(url("afternoon_notice_read", n.id)).status_code == 404
    assert (
        login(world.duty_leader)
        .get(url("afternoon_notice", world.other_school.id, n.id))
        .status_code
        == 404
    )


def test_gate_log(world, login):
    c = login(world.duty_leader)
    r = c.post(
        url("afternoon_gate", world.school.id),
        {"action": "entry", "name": "", "purpose": "x", "host": "y"},
    )
    assert r.status_code == 400 and b'data-field="name"' in r.content
    r = c.post(
        url("afternoon_gate", world.school.id),
        {"action": "entry", "name": "快递员", "purpose": "送件", "host": "门卫"},
    )
    assert r.status_code == 302
    entry = GateEntry.objects.get()
    assert "快递员" in c.get(url("afternoon_gate", world.school.id)).content.decode()
    r = c.post(url("afternoon_gate", world.school.id), {"action": "exit", "entry": entry.id})
    assert r.status_code == 302
    r = c.post(url("afternoon_gate", world.school.id), {"action": "exit", "entry": entry.id})
    assert r.status_code == 400 and b'data-field="time_out"' in r.content


def test_gate_log_denials(world, login):
    assert login(world.head_teacher).get(url("afternoon_gate", world.school.id)).status_code == 403
    assert login(world.outsider).get(url("afternoon_gate", world.school.id)).status_code == 404


def test_parent_page_leave_and_consent(world, login, live):
    c = login(world.parent)
    page = c.get(url("afternoon_child", world.pupil.id))
    assert page.status_code == 200 and "足球" in page.content.decode()
    today = str(timezone.localdate())
    r = c.post(
        url("afternoon_child", world.pupil.id),
        {"action": "leave", "date": today, "kind": "early", "reason": "牙医"},
    )
    assert r.status_code == 400 and b'data-field="leave_at"' in r.content
    r = c.post(
        url("afternoon_child", world.pupil.id),
        {"action": "leave", "date": "", "kind": "whole", "reason": "x"},
    )
    assert r.status_code == 400 and b'data-field="date"' in r.content
    # Well formed but no such day or time: a clear error on that field, not a 500.
    for field, bad in (("date", "2026-02-30"), ("leave_at", "25:00"), ("leave_at", "soon")):
        form = {"action": "leave", "date": today, "kind": "early", "leave_at": "16:30"}
        r = c.post(url("afternoon_child", world.pupil.id), {**form, field: bad, "reason": "x"})
        assert r.status_code == 400 and f'data-field="{field}"'.encode() in r.content, (field, bad)
    assert not LeaveRequest.objects.exists()
    r = c.post(
        url("afternoon_child", world.pupil.id),
        {"action": "leave", "date": today, "kind": "early", "leave_at": "16:30", "reason": "牙医"},
    )
    assert r.status_code == 302 and LeaveRequest.objects.get().kind == "early"
    r = c.post(url("afternoon_child", world.pupil.id), {"action": "consent", "consent": "yes"})
    assert r.status_code == 302 and ReleaseConsent.objects.filter(revoked_at__isnull=True).exists()


def test_parent_page_denials(world, login, live):
    assert login(world.parent).get(url("afternoon_child", world.pupil2.id)).status_code == 404
    assert login(world.parent).get(url("afternoon_child", world.other_pupil.id)).status_code == 404
    assert login(world.head_teacher).get(url("afternoon_child", world.pupil.id)).status_code == 404
    r = login(world.parent).post(
        url("afternoon_child", world.pupil2.id), {"action": "consent", "consent": "yes"}
    )
    assert r.status_code == 404 and not ReleaseConsent.objects.exists()
