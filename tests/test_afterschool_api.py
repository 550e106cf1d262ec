"""The after-school API: applications, the agreement, preferences, allocation runs and the "5+2"
check.  For each: success, bad input naming the field, and denial (404 elsewhere, 403 by role)."""

import pytest

from shuangjian.afterschool import services
from shuangjian.afterschool.models import Application, Enrolment
from shuangjian.org.access import operator_access
from tests.afterschool_world import lead, programme, term
from tests.test_api import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(client, password):
    return lambda username: token_for(client, username, password)


def post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


def put(client, url, data, headers):
    return client.put(url, data, content_type="application/json", **headers)


def _apply(client, world, auth, **kw):
    data = {
        "student_id": world.pupil.id,
        "term_id": term(world).id,
        "wants_homework_tutoring": True,
        "note": "父母下班晚",
        **kw,
    }
    return post(client, "/api/v1/afterschool/applications", data, auth("parent"))


def _approved(client, world, auth) -> int:
    app_id = _apply(client, world, auth).json()["id"]
    url = f"/api/v1/afterschool/applications/{app_id}"
    assert post(client, f"{url}/review", {"approve": True}, auth("head_teacher")).status_code == 200
    assert post(client, f"{url}/decide", {"approve": True}, auth("principal")).status_code == 200
    return app_id


# -- Applications -------------------------------------------------------------------------------


def test_apply_review_decide_sign(client, world, auth):
    response = _apply(client, world, auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    url = f"/api/v1/afterschool/applications/{body['id']}"

    response = post(client, f"{url}/review", {"approve": True, "reason": ""}, auth("head_teacher"))
    assert response.status_code == 200, response.content
    assert response.json() == {"id": body["id"], "status": "class_reviewed"}

    response = post(client, f"{url}/decide", {"approve": True}, auth("academic"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"

    agreement = services.publish_agreement(
        acc=operator_access(world.school), term=term(world), text="安全、紧急情况、提前离校"
    )
    response = post(client, f"{url}/sign", {"agreement_id": agreement.id}, auth("parent"))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "agreement_signed"
    assert response.json()["version"] == 1
    assert Application.objects.get(id=body["id"]).status == "agreement_signed"


def test_apply_bad_input_names_the_field(client, world, auth):
    response = _apply(client, world, auth, note="长" * 501)
    assert response.status_code == 422
    assert response.json()["field"] == "note"
    response = _apply(client, world, auth, student_id="x")
    assert (response.status_code, response.json()["field"]) == (422, "student_id")
    assert _apply(client, world, auth).status_code == 201
    response = _apply(client, world, auth)  # a second application for the same term
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["rule"]) == ("already_applied", "AS-03")
    assert response.json()["field"] == "student"


def test_apply_denied_for_another_child_or_term(client, world, auth):
    response = _apply(client, world, auth, student_id=world.pupil2.id)
    assert response.status_code == 404
    response = _apply(client, world, auth, student_id=world.other_pupil.id)
    assert response.status_code == 404
    response = _apply(client, world, auth, term_id=term(world, world.other_school).id)
    assert response.status_code == 404
    response = post(
        client, "/api/v1/afterschool/applications", {"student_id": world.pupil.id, "term_id": 1}, {}
    )
    assert response.status_code == 401


def test_review_and_decide_need_a_reason_to_refuse(client, world, auth):
    app_id = _apply(client, world, auth).json()["id"]
    url = f"/api/v1/afterschool/applications/{app_id}"
    response = post(
        client, f"{url}/review", {"approve": False, "reason": " "}, auth("head_teacher")
    )
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    response = post(client, f"{url}/review", {"approve": "maybe"}, auth("head_teacher"))
    assert (response.status_code, response.json()["field"]) == (422, "approve")
    # The school cannot decide before the class review.
    response = post(client, f"{url}/decide", {"approve": True}, auth("principal"))
    assert (response.status_code, response.json()["code"]) == (422, "wrong_step")
    assert response.json()["status"] == "submitted"
    assert response.json()["field"] == "application"
    post(client, f"{url}/review", {"approve": True}, auth("head_teacher"))
    response = post(client, f"{url}/decide", {"approve": False}, auth("principal"))
    assert (response.status_code, response.json()["field"]) == (422, "reason")
    response = post(
        client, f"{url}/decide", {"approve": False, "reason": "已转学"}, auth("principal")
    )
    assert response.status_code == 200
    assert Application.objects.get(id=app_id).reason == "已转学"


def test_review_and_decide_denied_by_role_and_school(client, world, auth):
    app_id = _apply(client, world, auth).json()["id"]
    url = f"/api/v1/afterschool/applications/{app_id}"
    for who in ("subject_teacher", "principal", "afterschool"):  # not the pupil's head teacher
        response = post(client, f"{url}/review", {"approve": True}, auth(who))
        assert response.status_code == 403, who
    for who in ("outsider", "other_officer", "parent"):
        assert post(client, f"{url}/review", {"approve": True}, auth(who)).status_code == 404
    post(client, f"{url}/review", {"approve": True}, auth("head_teacher"))
    for who in ("head_teacher", "afterschool", "subject_teacher"):
        response = post(client, f"{url}/decide", {"approve": True}, auth(who))
        assert response.status_code == 403, who
    assert post(client, f"{url}/decide", {"approve": True}, auth("outsider")).status_code == 404
    missing = "/api/v1/afterschool/applications/999999/decide"
    assert post(client, missing, {"approve": True}, auth("principal")).status_code == 404


def test_sign_bad_input_and_denial(client, world, auth):
    app_id = _approved(client, world, auth)
    url = f"/api/v1/afterschool/applications/{app_id}/sign"
    acc = operator_access(world.school)
    old = services.publish_agreement(acc=acc, term=term(world), text="第一版")
    new = services.publish_agreement(acc=acc, term=term(world), text="第二版")
    response = post(client, url, {"agreement_id": old.id}, auth("parent"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "outdated_agreement",
        "agreement",
    )
    response = post(client, url, {}, auth("parent"))
    assert (response.status_code, response.json()["field"]) == (422, "agreement_id")
    # Someone else's child, or an agreement of another school: not found.
    assert post(client, url, {"agreement_id": new.id}, auth("outsider")).status_code == 404
    assert post(client, url, {"agreement_id": new.id}, auth("principal")).status_code == 404
    other = services.publish_agreement(
        acc=operator_access(world.other_school), term=term(world, world.other_school), text="x"
    )
    assert post(client, url, {"agreement_id": other.id}, auth("parent")).status_code == 404
    assert post(client, url, {"agreement_id": new.id}, auth("parent")).status_code == 201


# -- Preferences --------------------------------------------------------------------------------


def test_preferences(client, world, auth):
    a = programme(world, "足球")
    b = programme(world, "篮球", lead=lead(world, world.principal))
    data = {"student_id": world.pupil.id, "term_id": term(world).id, "programme_ids": [b.id, a.id]}
    response = put(client, "/api/v1/afterschool/preferences", data, auth("parent"))
    assert response.status_code == 200, response.content
    assert response.json()["programme_ids"] == [b.id, a.id]
    # Changing one's mind replaces the choices.
    data["programme_ids"] = [a.id]
    response = put(client, "/api/v1/afterschool/preferences", data, auth("parent"))
    assert response.json()["programme_ids"] == [a.id]


def test_preferences_bad_input_names_the_field(client, world, auth):
    junior = programme(world, "初中数学拓展", category="subject_extension", grade_from=7)
    data = {"student_id": world.pupil.id, "term_id": term(world).id, "programme_ids": []}
    response = put(client, "/api/v1/afterschool/preferences", data, auth("parent"))
    assert (response.status_code, response.json()["field"]) == (422, "choices")
    data["programme_ids"] = [junior.id]  # grade 7–9 only; the pupil is in grade 3
    response = put(client, "/api/v1/afterschool/preferences", data, auth("parent"))
    assert (response.status_code, response.json()["field"]) == (422, "choices")
    data["programme_ids"] = "足球"
    response = put(client, "/api/v1/afterschool/preferences", data, auth("parent"))
    assert (response.status_code, response.json()["field"]) == (422, "programme_ids")


def test_preferences_denied_for_another_child(client, world, auth):
    p = programme(world)
    data = {"student_id": world.pupil2.id, "term_id": term(world).id, "programme_ids": [p.id]}
    assert put(client, "/api/v1/afterschool/preferences", data, auth("parent")).status_code == 404
    data["student_id"] = world.pupil.id
    assert (
        put(client, "/api/v1/afterschool/preferences", data, auth("principal")).status_code == 404
    )


# -- Allocation runs ----------------------------------------------------------------------------


def _prefs(world, p, *pupils):
    for pupil in pupils:
        services.save_preference(
            user=world.parent, student=pupil, term=term(world), programme_ids=[p.id]
        )


def test_allocation_run_preview_and_publish(client, world, auth):
    p = programme(world, "机器人", capacity=1)
    _prefs(world, p, world.pupil, world.pupil2)
    url = f"/api/v1/schools/{world.school.id}/afterschool/allocation-runs"
    response = post(client, url, {"term_id": term(world).id, "seed": "2026秋"}, auth("afterschool"))
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["assigned"], run["unassigned"], run["published"]) == (1, 1, False)
    assert run["welfare"] > 0

    # The pupil with a care flag (left behind) is served first; only those who may see care
    # flags learn why.
    detail = client.get(f"/api/v1/afterschool/allocation-runs/{run['id']}", **auth("principal"))
    assert detail.status_code == 200
    rows = {r["student_id"]: r for r in detail.json()["results"]}
    mine, other = rows[world.pupil.id], rows[world.pupil2.id]
    assert (mine["programme"], mine["priority"], mine["care_flags"]) == (
        "机器人",
        True,
        ["left_behind"],
    )
    assert other["programme_id"] is None and other["explanation"]
    detail = client.get(f"/api/v1/afterschool/allocation-runs/{run['id']}", **auth("afterschool"))
    assert detail.status_code == 200
    for row in detail.json()["results"]:
        assert row["priority"] is None and row["care_flags"] is None
        assert "served first" not in row["explanation"]

    publish = f"/api/v1/afterschool/allocation-runs/{run['id']}/publish"
    response = post(client, publish, {}, auth("principal"))
    assert response.status_code == 200, response.content
    assert response.json()["published"] is True
    assert Enrolment.objects.get(programme=p, status="allocated").student == world.pupil
    response = post(client, publish, {}, auth("principal"))
    assert (response.status_code, response.json()["code"]) == (422, "already_published")


def test_allocation_run_bad_input_names_the_field(client, world, auth):
    url = f"/api/v1/schools/{world.school.id}/afterschool/allocation-runs"
    response = post(client, url, {"term_id": term(world).id, "seed": ""}, auth("afterschool"))
    assert (response.status_code, response.json()["field"]) == (422, "seed")
    response = post(client, url, {"term_id": term(world).id, "seed": " "}, auth("afterschool"))
    assert (response.status_code, response.json()["field"]) == (422, "seed")
    response = post(client, url, {"seed": "1"}, auth("afterschool"))
    assert (response.status_code, response.json()["field"]) == (422, "term_id")


def test_allocation_run_denied(client, world, auth):
    url = f"/api/v1/schools/{world.school.id}/afterschool/allocation-runs"
    data = {"term_id": term(world).id, "seed": "1"}
    assert post(client, url, data, auth("head_teacher")).status_code == 403
    assert post(client, url, data, auth("parent")).status_code == 404
    other = f"/api/v1/schools/{world.other_school.id}/afterschool/allocation-runs"
    assert post(client, other, data, auth("afterschool")).status_code == 404
    # Another school's term is not found either.
    data["term_id"] = term(world, world.other_school).id
    assert post(client, url, data, auth("afterschool")).status_code == 404
    data["term_id"] = term(world).id
    run_id = post(client, url, data, auth("afterschool")).json()["id"]
    detail = f"/api/v1/afterschool/allocation-runs/{run_id}"
    assert client.get(detail, **auth("subject_teacher")).status_code == 403
    assert client.get(detail, **auth("outsider")).status_code == 404
    assert post(client, f"{detail}/publish", {}, auth("head_teacher")).status_code == 403
    assert (
        client.get("/api/v1/afterschool/allocation-runs/999999", **auth("principal")).status_code
        == 404
    )


# -- The "5+2" check ----------------------------------------------------------------------------


def test_check_week(client, world, auth):
    programme(world, "足球")  # Monday–Friday 16:00–18:00
    url = f"/api/v1/schools/{world.school.id}/afterschool/check?week=2026-11-18"
    response = client.get(url, **auth("afterschool"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week"] == "2026-11-16"
    assert (body["ok"], body["required_days"], body["days_ok"]) == (True, 5, 5)
    assert [d["required"] for d in body["days"]] == [True] * 5 + [False] * 2


def test_check_week_names_failed_rules(client, world, auth):
    from datetime import time

    from shuangjian.afterschool.services import SlotIn

    short = [SlotIn(d, time(16, 0), time(17, 0)) for d in range(4)]
    programme(world, "围棋", slots=short)
    url = f"/api/v1/schools/{world.school.id}/afterschool/check?week=2026-11-16"
    body = client.get(url, **auth("principal")).json()
    assert body["ok"] is False
    codes = [sorted(f["code"] for f in d["failures"]) for d in body["days"]]
    assert codes[:4] == [["ends_before_work", "under_two_hours"]] * 4
    assert codes[4] == ["no_service"]
    assert body["days"][0]["failures"][0]["rule"] == "AS-01"


def test_check_week_bad_input_and_denial(client, world, auth):
    base = f"/api/v1/schools/{world.school.id}/afterschool/check"
    response = client.get(f"{base}?week=2026-13-01", **auth("afterschool"))
    assert (response.status_code, response.json()["field"]) == (422, "week")
    response = client.get(base, **auth("afterschool"))
    assert (response.status_code, response.json()["field"]) == (422, "week")
    assert client.get(f"{base}?week=2026-11-16", **auth("head_teacher")).status_code == 403
    other = f"/api/v1/schools/{world.other_school.id}/afterschool/check?week=2026-11-16"
    assert client.get(other, **auth("principal")).status_code == 404
