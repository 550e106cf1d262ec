"""The homework API: 201/422 bodies with rule IDs and numbers, and the access rules."""

from datetime import date

import pytest
from django.utils import timezone

from shuangjian.homework.models import Homework, HomeworkPolicy
from tests.test_api import token_for


@pytest.fixture
def today():
    return timezone.localdate()


def body(world, today, **kw):
    return {
        "school_id": world.school.id,
        "class_id": world.class_3_1.id,
        "subject_id": world.maths.id,
        "date": today.isoformat(),
        "content": "口算练习一页",
        "kind": "basic",
        "minutes": 20,
        "confirm_not_punitive": True,
        **kw,
    }


def post(client, url, data, auth):
    return client.post(url, data, content_type="application/json", **auth)


def test_publish_and_read_the_notice(world, client, password, today):
    auth = token_for(client, "subject_teacher", password)
    response = post(client, "/api/v1/homework", body(world, today), auth)
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["status"], out["total"], out["limit"]) == ("published", 20, 60)

    parent = token_for(client, "parent", password)
    url = f"/api/v1/schools/{world.school.id}/classes/{world.class_3_1.id}/homework"
    notice = client.get(url, {"date": today.isoformat()}, **parent).json()
    assert notice["total"] == 20 and [i["content"] for i in notice["items"]] == ["口算练习一页"]
    # A parent of a child in another class, and the outsider, get nothing.
    other_class = f"/api/v1/schools/{world.school.id}/classes/{world.class_3_2.id}/homework"
    assert client.get(other_class, {"date": today.isoformat()}, **parent).status_code == 404
    outsider = token_for(client, "outsider", password)
    assert client.get(url, {"date": today.isoformat()}, **outsider).status_code == 404


def test_publish_refusals_carry_rule_and_numbers(world, client, password, today):
    HomeworkPolicy.objects.create(school=world.school, over_limit="refuse")
    head = token_for(client, "head_teacher", password)
    teacher = token_for(client, "subject_teacher", password)
    assert (
        post(
            client,
            "/api/v1/homework",
            body(world, today, subject_id=world.chinese.id, minutes=50),
            head,
        ).status_code
        == 201
    )
    over = post(client, "/api/v1/homework", body(world, today, minutes=11), teacher)
    assert over.status_code == 422
    err = over.json()
    assert err["code"] == "daily_limit_exceeded" and err["rule"] == "HW-02"
    assert (err["limit"], err["used"], err["minutes"], err["total"]) == (60, 50, 11, 61)

    bad = post(client, "/api/v1/homework", body(world, today, content="请家长批改"), teacher)
    assert bad.status_code == 422 and bad.json()["code"] == "forbidden_practice"
    assert bad.json()["rule"] == "HW-05" and bad.json()["field"] == "content"

    schema = post(client, "/api/v1/homework", body(world, today, minutes=0), teacher)
    assert schema.status_code == 422 and schema.json()["field"] == "minutes"
    assert Homework.objects.count() == 1


def test_publish_denials(world, client, password, today):
    # The maths teacher does not teach Chinese in 3-1: 403; the outsider: 404.
    teacher = token_for(client, "subject_teacher", password)
    assert (
        post(
            client, "/api/v1/homework", body(world, today, subject_id=world.chinese.id), teacher
        ).status_code
        == 403
    )
    outsider = token_for(client, "outsider", password)
    assert post(client, "/api/v1/homework", body(world, today), outsider).status_code == 404
    foreign = body(world, today, class_id=world.other_class.id)
    assert post(client, "/api/v1/homework", foreign, teacher).status_code == 404
    assert not Homework.objects.exists()


def test_approve_and_return_only_by_the_head_teacher(world, client, password, today):
    head = token_for(client, "head_teacher", password)
    teacher = token_for(client, "subject_teacher", password)
    post(
        client,
        "/api/v1/homework",
        body(world, today, subject_id=world.chinese.id, minutes=50),
        head,
    )
    held = post(client, "/api/v1/homework", body(world, today, minutes=30), teacher).json()
    assert held["status"] == "pending"
    url = f"/api/v1/homework/{held['id']}/approve"
    assert post(client, url, {}, teacher).status_code == 403
    assert post(client, url, {}, token_for(client, "outsider", password)).status_code == 404
    refused = post(client, url, {}, head)
    assert refused.status_code == 422 and refused.json()["code"] == "daily_limit_exceeded"
    ok = post(client, url, {"minutes": 10, "note": "减到10分钟"}, head)
    assert ok.status_code == 200 and ok.json()["status"] == "published" and ok.json()["total"] == 60

    held2 = post(
        client, "/api/v1/homework", body(world, today, minutes=5, content="另一项"), teacher
    ).json()
    back = f"/api/v1/homework/{held2['id']}/return"
    assert post(client, back, {"note": ""}, head).status_code == 422
    assert post(client, back, {"note": "明天再留"}, head).json()["status"] == "returned"


def test_feedback_endpoint(world, client, password, today):
    parent = token_for(client, "parent", password)
    ok = post(
        client,
        "/api/v1/feedback",
        {
            "student_id": world.pupil.id,
            "date": today.isoformat(),
            "minutes": 40,
            "mostly_at_school": True,
        },
        parent,
    )
    assert ok.status_code == 201 and ok.json()["minutes"] == 40
    not_mine = post(
        client,
        "/api/v1/feedback",
        {
            "student_id": world.pupil2.id,
            "date": today.isoformat(),
            "minutes": 40,
            "mostly_at_school": True,
        },
        parent,
    )
    assert not_mine.status_code == 404
    too_old = post(
        client,
        "/api/v1/feedback",
        {
            "student_id": world.pupil.id,
            "date": "2020-01-01",
            "minutes": 40,
            "mostly_at_school": True,
        },
        parent,
    )
    assert too_old.status_code == 422 and too_old.json()["field"] == "day"


def test_compliance_endpoint(world, client, password, today):
    parent = token_for(client, "parent", password)
    post(
        client,
        "/api/v1/feedback",
        {
            "student_id": world.pupil.id,
            "date": today.isoformat(),
            "minutes": 40,
            "mostly_at_school": True,
        },
        parent,
    )
    url = f"/api/v1/schools/{world.school.id}/homework/compliance"
    q = {"start": today.isoformat(), "end": today.isoformat(), "by": "school"}
    academic = token_for(client, "academic", password)
    [row] = client.get(url, q, **academic).json()
    assert row["pupil_days"] == 1 and row["within"] == 1 and row["share"] == 1.0
    inspector = token_for(client, "inspector", password)
    assert client.get(url, q, **inspector).status_code == 200
    assert client.get(url, q, **token_for(client, "subject_teacher", password)).status_code == 403
    assert client.get(url, q, **token_for(client, "other_officer", password)).status_code == 404
    assert client.get(url, {**q, "by": "pupil"}, **academic).status_code == 422
    assert (
        client.get(url, {**q, "start": date(2027, 1, 1).isoformat()}, **academic).status_code == 422
    )
