"""The afternoon API (AS-08): open and close a day, a roster, sign in, release, leave and its
decision.  For each: success, bad input (422 naming the field and the rule), denial (404 in
another school or for another parent's child, 403 by role)."""

import pytest
from django.utils import timezone

from shuangjian.afternoon.models import Attendance, LeaveRequest, Session
from shuangjian.notify.models import Notification
from tests.afternoon_world import DAY, afternoon_programme, row, today_session
from tests.afterschool_world import parent_of
from tests.test_api import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(client, password):
    return lambda username: token_for(client, username, password)


@pytest.fixture
def live(world):
    return today_session(world, afternoon_programme(world))


def post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


def test_open_and_close_a_day(client, world, auth):
    afternoon_programme(world)
    url = f"/api/v1/schools/{world.school.id}/afternoon/days/{DAY}/"
    r = post(client, url + "open", {}, auth("duty_leader"))
    assert r.status_code == 200, r.content
    (s,) = r.json()["sessions"]
    assert (s["start"], s["end"], s["status"]) == ("16:00:00", "18:00:00", "open")
    assert (
        post(client, url + "open", {}, auth("duty_leader")).json()["sessions"][0]["id"] == s["id"]
    )
    r = post(client, url + "close", {}, auth("duty_leader"))
    assert r.status_code == 200, r.content
    assert r.json() == {
        "sessions": 1,
        "rows": 2,
        "finalised": {"absent_unexplained": 2},
        "alerts": 2,
    }
    assert post(client, url + "close", {}, auth("duty_leader")).json()["alerts"] == 0


def test_open_a_holiday_is_422(client, world, auth):
    afternoon_programme(world)
    r = post(
        client,
        f"/api/v1/schools/{world.school.id}/afternoon/days/2026-10-01/open",
        {},
        auth("principal"),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "not_a_school_day" and r.json()["rule"] == "AS-08"
    assert r.json()["field"] == "date"
    assert not Session.objects.exists()


def test_open_and_close_denials(client, world, auth):
    afternoon_programme(world)
    url = f"/api/v1/schools/{world.school.id}/afternoon/days/{DAY}/open"
    assert post(client, url, {}, auth("outsider")).status_code == 404
    assert post(client, url, {}, auth("head_teacher")).status_code == 403
    assert post(client, url, {}, auth("parent")).status_code == 404
    assert not Session.objects.exists()


def test_roster_sign_in_and_release(client, world, auth, live):
    headers = auth("afterschool")
    r = client.get(f"/api/v1/afternoon/sessions/{live.id}/roster", **headers)
    assert r.status_code == 200
    rows = {x["student_id"]: x for x in r.json()["rows"]}
    assert rows[world.pupil.id]["state"] == "expected"
    a = rows[world.pupil.id]["id"]
    r = post(client, f"/api/v1/afternoon/attendance/{a}/sign-in", {}, headers)
    assert r.status_code == 200 and r.json()["state"] == "present"
    r = post(
        client,
        f"/api/v1/afternoon/attendance/{a}/release",
        {"mode": "guardian", "guardian_name": "张爸爸"},
        headers,
    )
    assert r.status_code == 200
    assert (r.json()["state"], r.json()["guardian_name"]) == ("released", "张爸爸")


def test_release_without_sign_in_is_422_naming_the_pupil(client, world, auth, live):
    a = row(live, world.pupil).id
    r = post(
        client, f"/api/v1/afternoon/attendance/{a}/release", {"mode": "bus"}, auth("afterschool")
    )
    assert r.status_code == 422
    body = r.json()
    assert (body["code"], body["rule"], body["student_id"]) == (
        "not_signed_in",
        "AS-08",
        world.pupil.id,
    )
    assert world.pupil.name in body["message"]
    assert row(live, world.pupil).state == "expected"
    r = post(client, f"/api/v1/afternoon/attendance/{a}/release", {}, auth("afterschool"))
    assert r.status_code == 422 and r.json()["field"] == "mode"


def test_alone_without_consent_is_422(client, world, auth, live):
    a = row(live, world.pupil).id
    post(client, f"/api/v1/afternoon/attendance/{a}/sign-in", {}, auth("afterschool"))
    r = post(
        client, f"/api/v1/afternoon/attendance/{a}/release", {"mode": "alone"}, auth("afterschool")
    )
    assert r.status_code == 422 and r.json()["code"] == "no_consent_to_go_alone"
    assert row(live, world.pupil).state == "present"


def test_roster_and_sign_in_denials(client, world, auth, live):
    a = row(live, world.pupil).id
    for user, status in [("outsider", 404), ("subject_teacher", 403), ("parent", 404)]:
        assert (
            client.get(f"/api/v1/afternoon/sessions/{live.id}/roster", **auth(user)).status_code
            == status
        )
        assert (
            post(client, f"/api/v1/afternoon/attendance/{a}/sign-in", {}, auth(user)).status_code
            == status
        )
    assert (
        post(
            client, "/api/v1/afternoon/attendance/999999/sign-in", {}, auth("afterschool")
        ).status_code
        == 404
    )
    assert Attendance.objects.get(id=a).state == "expected"


def test_leave_request_and_decision(client, world, auth, live):
    today = str(timezone.localdate())
    r = post(
        client,
        "/api/v1/afternoon/leave",
        {"student_id": world.pupil.id, "date": today, "kind": "whole", "reason": "发烧"},
        auth("parent"),
    )
    assert r.status_code == 201, r.content
    leave = r.json()
    assert leave["status"] == "pending"
    assert Notification.objects.filter(user=world.head_teacher, kind="afternoon_leave").exists()
    r = post(
        client,
        f"/api/v1/afternoon/leave/{leave['id']}/decide",
        {"approve": True},
        auth("head_teacher"),
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert row(live, world.pupil).state == "on_leave"


def test_leave_bad_input_is_422(client, world, auth, live):
    today = str(timezone.localdate())
    base = {"student_id": world.pupil.id, "date": today, "reason": "x"}
    r = post(client, "/api/v1/afternoon/leave", {**base, "kind": "early"}, auth("parent"))
    assert r.status_code == 422 and r.json()["field"] == "leave_at"
    r = post(
        client, "/api/v1/afternoon/leave", {**base, "kind": "whole", "reason": ""}, auth("parent")
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    leave = post(
        client, "/api/v1/afternoon/leave", {**base, "kind": "whole"}, auth("parent")
    ).json()
    r = post(
        client,
        f"/api/v1/afternoon/leave/{leave['id']}/decide",
        {"approve": False},
        auth("head_teacher"),
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert LeaveRequest.objects.get(id=leave["id"]).status == "pending"


def test_leave_denials(client, world, auth, live):
    today = str(timezone.localdate())
    other = parent_of(world.pupil2)
    data = {"student_id": world.pupil.id, "date": today, "kind": "whole", "reason": "x"}
    assert post(client, "/api/v1/afternoon/leave", data, auth(other.username)).status_code == 404
    assert post(client, "/api/v1/afternoon/leave", data, auth("head_teacher")).status_code == 404
    leave = post(client, "/api/v1/afternoon/leave", data, auth("parent")).json()
    url = f"/api/v1/afternoon/leave/{leave['id']}/decide"
    assert post(client, url, {"approve": True}, auth("outsider")).status_code == 404
    assert post(client, url, {"approve": True}, auth("principal")).status_code == 403
    assert post(client, url, {"approve": True}, auth("parent")).status_code == 404
    assert LeaveRequest.objects.get(id=leave["id"]).status == "pending"
