"""After-school teachers and inspection API: record a patrol, read scores and load."""

import pytest

from shuangjian.asreview.models import Patrol
from tests.afterschool_world import term
from tests.test_api import token_for
from tests.test_asreview_world import MONDAY, appoint, football, session, week_of_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(client, password):
    return lambda username: token_for(client, username, password)


def _url(world, what):
    return f"/api/v1/schools/{world.school.id}/afterschool/{what}"


def post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


PATROL = {"staff_present": True, "activity_held": True, "rules_kept": False}


def test_record_patrol_and_read_the_score(client, world, auth):
    s = session(football(world), MONDAY)
    data = {**PATROL, "session_id": s.id, "bad_influence": 1, "note": "家长围堵校门"}
    r = post(client, _url(world, "patrols"), data, auth("duty_leader"))
    assert r.status_code == 201, r.content
    assert r.json()["deduction"] == 3 and r.json()["by"] == "duty_leader"
    r = client.get(_url(world, "scores"), {"term_id": term(world).id}, **auth("principal"))
    assert r.status_code == 200
    (score,) = r.json()["scores"]
    patrol = next(p for p in score["parts"] if p["key"] == "patrol")
    assert patrol["points"] == 47 and patrol["evidence"]["bad_influence"] == 1
    assert score["total"] is None and "effectiveness" in score["missing"]
    assert "篇七" in r.json()["rule"]


def test_patrol_bad_input(client, world, auth):
    s = session(football(world), MONDAY)
    h = auth("duty_leader")
    r = post(client, _url(world, "patrols"), {**PATROL, "session_id": s.id, "breaches": -1}, h)
    assert r.status_code == 422 and r.json()["field"] == "breaches"
    r = post(client, _url(world, "patrols"), {**PATROL, "session_id": s.id, "breaches": 2}, h)
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["rule"], r.json()["field"]) == (
        "deduction_needs_note",
        "AS-12",
        "note",
    )
    assert r.json()["deduction"] == 2
    assert not Patrol.objects.exists()


def test_patrol_denials(client, world, auth):
    s = session(football(world), MONDAY)
    data = {**PATROL, "rules_kept": True, "session_id": s.id}
    assert post(client, _url(world, "patrols"), data, auth("principal")).status_code == 403
    assert post(client, _url(world, "patrols"), data, auth("parent")).status_code == 404
    assert post(client, _url(world, "patrols"), data, auth("outsider")).status_code == 404
    other = f"/api/v1/schools/{world.other_school.id}/afterschool/patrols"
    assert post(client, other, data, auth("duty_leader")).status_code == 404
    missing = {**data, "session_id": 999999}
    assert post(client, _url(world, "patrols"), missing, auth("duty_leader")).status_code == 404
    assert not Patrol.objects.exists()
    appoint(world)
    assert post(client, _url(world, "patrols"), data, auth("parent")).status_code == 201


def test_load(client, world, auth):
    week_of_sessions(football(world))
    h = auth("afterschool")
    r = client.get(_url(world, "load"), {"start": "2026-11-02", "end": "2026-11-08"}, **h)
    assert r.status_code == 200
    body = r.json()
    row = next(x for x in body["rows"] if x["name"] == "afterschool")
    assert row["per_week"] == [5] and body["spread"]["maximum"] == 5
    r = client.get(_url(world, "load"), {"start": "2026-11-08", "end": "2026-11-02"}, **h)
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = client.get(_url(world, "load"), {"start": "not-a-date"}, **h)
    assert r.status_code == 422 and r.json()["field"] == "start"


def test_scores_and_load_denials(client, world, auth):
    for what in ("scores", "load"):
        assert client.get(_url(world, what), **auth("head_teacher")).status_code == 403
        assert client.get(_url(world, what), **auth("outsider")).status_code == 404
        assert client.get(_url(world, what), **auth("parent")).status_code == 404
    r = client.get(_url(world, "scores"), {"term_id": 999999}, **auth("principal"))
    assert r.status_code == 404
