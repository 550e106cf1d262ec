"""The API: tokens, error bodies, and the same access rules as the pages."""

import pytest

from shuangjian.org import services


def token_for(client, username, password):
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_token_by_mobile_and_me(world, client, password):
    auth = token_for(client, "13912345678", password)
    body = client.get("/api/v1/me", **auth).json()
    assert body["username"] == "parent"
    assert [c["name"] for c in body["children"]] == [world.pupil.name]
    assert body["posts"] == []


def test_token_errors(world, client, password, settings):
    response = client.post(
        "/api/v1/auth/token", {"username": "parent"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["field"] == "password"
    settings.LOGIN_MAX_FAILURES = 2
    for expected in ("invalid_login", "invalid_login", "login_throttled"):
        response = client.post(
            "/api/v1/auth/token",
            {"username": "parent", "password": "wrong"},
            content_type="application/json",
        )
        assert response.status_code == 422 and response.json()["code"] == expected
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    assert client.get("/api/v1/me").json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "role,status,sees_flags",
    [
        ("principal", 200, True),
        ("head_teacher", 200, True),
        ("subject_teacher", 200, False),
        ("grade_leader", 403, None),
        ("afterschool", 403, None),
        ("officer", 403, None),
        ("outsider", 404, None),
        ("other_officer", 404, None),
        ("parent", 404, None),
    ],
)
def test_roster_endpoint_matrix(world, client, password, role, status, sees_flags):
    auth = token_for(client, getattr(world, role).username, password)
    url = f"/api/v1/schools/{world.school.id}/classes/{world.class_3_1.id}/students"
    response = client.get(url, **auth)
    assert response.status_code == status, response.content
    if status == 200:
        [pupil] = response.json()
        assert pupil["name"] == world.pupil.name
        assert ("care_flags" in pupil) is sees_flags
        assert ("guardian_mobile" in pupil) is sees_flags
        if sees_flags:
            assert pupil["care_flags"] == ["left_behind"]
    else:
        assert response.json()["code"] in {"forbidden", "not_found"}


def test_foreign_class_is_not_found(world, client, password):
    auth = token_for(client, "principal", password)
    url = f"/api/v1/schools/{world.school.id}/classes/{world.other_class.id}/students"
    assert client.get(url, **auth).status_code == 404


def test_class_list_is_scoped(world, client, password):
    auth = token_for(client, "subject_teacher", password)
    names = {
        c["id"] for c in client.get(f"/api/v1/schools/{world.school.id}/classes", **auth).json()
    }
    assert names == {world.class_3_1.id, world.class_3_2.id}
    auth = token_for(client, "outsider", password)
    assert client.get(f"/api/v1/schools/{world.school.id}/classes", **auth).status_code == 404


def test_calendar_endpoint(world, client, password):
    auth = token_for(client, "subject_teacher", password)
    url = f"/api/v1/schools/{world.school.id}/calendar"
    body = client.get(url, {"start": "2026-09-28", "end": "2026-10-11"}, **auth).json()
    kinds = {d["day"]: (d["kind"], d["is_school_day"]) for d in body["days"]}
    assert kinds["2026-10-01"] == ("holiday", False)
    assert kinds["2026-10-10"] == ("makeup_workday", True)  # a Saturday made a working day
    assert kinds["2026-09-28"] == ("workday", True)
    bad = client.get(url, {"start": "2026-10-11", "end": "2026-09-01"}, **auth)
    assert bad.status_code == 422 and bad.json()["field"] == "end"
    bad = client.get(url, {"start": "2026-13-01", "end": "2026-09-01"}, **auth)
    assert bad.status_code == 422 and bad.json()["field"] == "start"
    other = token_for(client, "outsider", password)
    assert client.get(url, {"start": "2026-09-28", "end": "2026-10-11"}, **other).status_code == 404


def test_parent_register_and_link_via_api(world, client, password):
    [(_, code)] = services.issue_parent_codes(students=[world.pupil2], actor=world.principal)
    payload = {"code": code, "name": "李妈妈", "mobile": "13700005555", "password": "Spring-2026!"}
    bad = client.post(
        "/api/v1/parents/register", {**payload, "mobile": "123"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "mobile"
    weak = client.post(
        "/api/v1/parents/register",
        {**payload, "password": "12345678"},
        content_type="application/json",
    )
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    ok = client.post("/api/v1/parents/register", payload, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["name"] == world.pupil2.name
    again = client.post(
        "/api/v1/parents/register",
        {**payload, "mobile": "13700006666"},
        content_type="application/json",
    )
    assert again.status_code == 422 and again.json() == {
        "code": "invalid_code",
        "message": again.json()["message"],
        "field": "code",
        "rule": "invalid_code",
    }

    [(_, code2)] = services.issue_parent_codes(students=[world.pupil2], actor=world.principal)
    auth = token_for(client, "parent", password)
    linked = client.post(
        "/api/v1/parents/children", {"code": code2}, content_type="application/json", **auth
    )
    assert linked.status_code == 201
    children = client.get("/api/v1/me", **auth).json()["children"]
    assert {c["id"] for c in children} == {world.pupil.id, world.pupil2.id}


def test_openapi_document_is_served(db, client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in doc["paths"]
