"""After-school pages and API: success, bad input naming the field, denial."""

import json

import pytest
from django.urls import reverse

from shuangjian.afterschool import services
from shuangjian.afterschool.models import (
    AllocationRun,
    Enrolment,
    Preference,
    Programme,
    SchoolAfterschoolSettings,
)
from shuangjian.org.access import operator_access
from tests.afterschool_world import lead, parent_of, programme, published, term
from tests.world import make_student

pytestmark = pytest.mark.django_db

TERM_Q = "?term={}"


def _url(name, world, *args, term_q=True):
    url = reverse(name, args=[world.school.id, *args])
    return url + (TERM_Q.format(term(world).id) if term_q else "")


# -- Programme list and schedule ----------------------------------------------------------------


def test_programme_list_shows_and_approves(world, login):
    p = programme(world, "书法", approve=False)
    c = login(world.principal)
    r = c.get(_url("afterschool", world))
    assert r.status_code == 200 and "书法" in r.content.decode()
    r = c.post(_url("afterschool", world), {"action": "approve", "programme": p.id})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "approved"


def test_programme_list_denials(world, login):
    p = programme(world, approve=False)
    assert login(world.outsider).get(_url("afterschool", world)).status_code == 404
    assert login(world.parent).get(_url("afterschool", world)).status_code == 404
    c = login(world.afterschool)
    assert c.get(_url("afterschool", world)).status_code == 200
    r = c.post(_url("afterschool", world), {"action": "approve", "programme": p.id})
    assert r.status_code == 403
    p.refresh_from_db()
    assert p.status == "proposed"


def test_supervision_contact_saved_and_published(world, login):
    programme(world, "足球")
    c = login(world.principal)
    r = c.post(_url("afterschool", world), {"action": "settings", "hotline": "", "mailbox": ""})
    assert r.status_code == 302  # refused with a message, nothing saved
    assert not SchoolAfterschoolSettings.objects.exists()
    assert c.get(_url("afterschool", world)).context["messages"]
    c.post(
        _url("afterschool", world), {"action": "settings", "hotline": "0421-8888", "mailbox": ""}
    )
    r = login(world.parent).get(_url("afterschool_schedule", world))
    body = r.content.decode()
    assert r.status_code == 200 and "0421-8888" in body and "足球" in body


def test_schedule_denials(world, login):
    assert login(world.outsider).get(_url("afterschool_schedule", world)).status_code == 404
    assert login(world.officer).get(_url("afterschool_schedule", world)).status_code == 200
    stranger = parent_of(world.other_pupil, "stranger")
    assert login(stranger).get(_url("afterschool_schedule", world)).status_code == 404


# -- 5+2 check ----------------------------------------------------------------------------------


def test_check_page_shows_gaps(world, login):
    from datetime import time

    from shuangjian.afterschool.services import SlotIn

    programme(world, slots=[SlotIn(d, time(16), time(18)) for d in range(4)])
    c = login(world.academic)
    r = c.get(_url("afterschool_check", world, term_q=False) + "?week=2026-11-23")
    body = r.content.decode()
    assert r.status_code == 200 and 'data-gap="no_service"' in body
    assert body.count('data-gap="') == 1


def test_check_page_bad_week_and_denials(world, login):
    r = login(world.principal).get(_url("afterschool_check", world, term_q=False) + "?week=nope")
    assert r.status_code == 400 and 'data-field="week"' in r.content.decode()
    url = _url("afterschool_check", world, term_q=False)
    assert login(world.subject_teacher).get(url).status_code == 403
    assert login(world.outsider).get(url).status_code == 404


# -- Allocation ---------------------------------------------------------------------------------


def _prefs(world):
    p = programme(world, "机器人", capacity=1)
    other = make_student(world.class_3_2, "P2", "王二")
    services.save_preference(
        user=world.parent, student=world.pupil, term=term(world), programme_ids=[p.id]
    )
    services.save_preference(
        user=world.parent, student=other, term=term(world), programme_ids=[p.id]
    )
    return p, other


def test_allocation_preview_and_publish(world, login):
    p, other = _prefs(world)
    c = login(world.afterschool)
    assert c.get(_url("afterschool_allocation", world)).status_code == 200
    r = c.post(_url("afterschool_allocation", world), {"seed": "2026"})
    run = AllocationRun.objects.get()
    assert r.status_code == 302 and r.url.endswith(f"/allocation/{run.id}/")
    r = c.get(reverse("afterschool_run", args=[world.school.id, run.id]))
    body = r.content.decode()
    assert "王二" in body and "机器人" in body
    assert "Priority" not in body and "优先" not in body  # care flags: not for after-school staff
    r = c.post(reverse("afterschool_run", args=[world.school.id, run.id]))
    assert r.status_code == 302
    assert Enrolment.objects.filter(programme=p, status="allocated").count() == 1
    assert Enrolment.objects.filter(programme=p, status="waitlisted").count() == 1
    r = login(world.principal).get(reverse("afterschool_run", args=[world.school.id, run.id]))
    assert r.status_code == 200


def test_allocation_bad_seed_and_denials(world, login):
    _prefs(world)
    r = login(world.principal).post(_url("afterschool_allocation", world), {"seed": ""})
    assert r.status_code == 400 and 'data-field="seed"' in r.content.decode()
    assert AllocationRun.objects.count() == 0
    assert login(world.head_teacher).get(_url("afterschool_allocation", world)).status_code == 403
    assert login(world.outsider).get(_url("afterschool_allocation", world)).status_code == 404
    run = services.run_allocation(school=world.school, term=term(world), seed="1", actor=None)
    url = reverse("afterschool_run", args=[world.school.id, run.id])
    assert login(world.head_teacher).post(url).status_code == 403
    assert login(world.outsider).post(url).status_code == 404
    run.refresh_from_db()
    assert not run.published


# -- Parent page --------------------------------------------------------------------------------


def test_parent_saves_choices_and_joins(world, login):
    p = programme(world, "足球", capacity=1)
    q = programme(world, "合唱", capacity=2, lead=lead(world, world.head_teacher))
    c = login(world.parent)
    assert c.get(reverse("afterschool_children")).status_code == 200
    url = reverse("afterschool_child", args=[world.pupil.id])
    r = c.post(url, {"action": "choices", "choice_1": q.id, "choice_2": p.id})
    assert r.status_code == 302
    assert Preference.objects.get(student=world.pupil).choices == [q.id, p.id]
    services.publish_allocation(
        run=services.run_allocation(school=world.school, term=term(world), seed="1", actor=None),
        actor=None,
    )
    r = c.get(url)
    assert r.status_code == 200 and "合唱" in r.content.decode()
    r = c.post(url, {"action": "join", "programme": p.id})
    assert r.status_code == 302
    assert Enrolment.objects.filter(student=world.pupil, status="allocated").count() == 2


def test_parent_bad_choice_names_the_field(world, login):
    p = programme(world, "晚自习", category="evening_study", grade_from=7, grade_to=9)
    url = reverse("afterschool_child", args=[world.pupil.id])
    r = login(world.parent).post(url, {"action": "choices", "choice_1": p.id})
    assert r.status_code == 400 and 'data-field="choices"' in r.content.decode()
    assert not Preference.objects.exists()


def test_parent_page_denials(world, login):
    url = reverse("afterschool_child", args=[world.pupil2.id])
    assert login(world.parent).get(url).status_code == 404  # another parent's child
    assert login(world.principal).get(url).status_code == 404


# -- API ----------------------------------------------------------------------------------------


def _join(client, programme_id, student_id):
    return client.post(
        f"/api/v1/afterschool/programmes/{programme_id}/join",
        data=json.dumps({"student_id": student_id}),
        content_type="application/json",
    )


def test_api_join_and_full(world, login):
    p = programme(world, capacity=1)
    published(world)
    c = login(world.parent)
    r = _join(c, p.id, world.pupil.id)
    assert r.status_code == 201 and r.json()["status"] == "allocated"
    other_parent = parent_of(world.pupil2)
    r = _join(login(other_parent), p.id, world.pupil2.id)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "programme_full" and body["rule"] == "AS-06" and body["capacity"] == 1


def test_api_join_bad_input_and_denials(world, login):
    p = programme(world, capacity=1)
    c = login(world.parent)
    r = c.post(
        f"/api/v1/afterschool/programmes/{p.id}/join",
        data=json.dumps({"student_id": "x"}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "student_id"
    assert _join(c, p.id, world.pupil2.id).status_code == 404  # another parent's child
    assert _join(c, 999999, world.pupil.id).status_code == 404
    assert _join(login(world.principal), p.id, world.pupil.id).status_code == 404
    assert not Enrolment.objects.exists()


def test_api_schedule(world, login):
    p = programme(world, "足球")
    programme(world, "未批准", approve=False, lead=lead(world, world.head_teacher))
    services.save_settings(acc=operator_access(world.school), hotline="12345", mailbox="a@b.cn")
    url = f"/api/v1/schools/{world.school.id}/afterschool/schedule"
    r = login(world.parent).get(url)
    assert r.status_code == 200
    body = r.json()
    assert body["supervision_hotline"] == "12345"
    assert [x["name"] for x in body["programmes"]] == ["足球"]
    assert body["programmes"][0]["free"] == p.capacity and len(body["programmes"][0]["slots"]) == 5
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.principal).get(url + "?term_id=999999").status_code == 404
    r = login(world.principal).get(url + "?term_id=x")
    assert r.status_code == 422 and r.json()["field"] == "term_id"
    assert Programme.objects.count() == 2
