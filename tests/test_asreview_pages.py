"""After-school teachers and inspection pages: success, bad input naming the field, denial."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from shuangjian.afterschool.models import Enrolment, Programme
from shuangjian.asreview.models import (
    Assessment,
    FlexibleHours,
    ParentInspector,
    Patrol,
    Rating,
    SubsidyRate,
)
from shuangjian.org.models import Staff, Term, Venue
from tests.afterschool_world import lead, parent_of, programme, term
from tests.test_asreview_world import MONDAY, appoint, football, session, week_of_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def url(name, world, *args):
    return reverse(name, args=[world.school.id, *args])


def _field(response) -> str:
    return response.content.decode().split('data-field="')[1].split('"')[0]


# -- Load ---------------------------------------------------------------------------------------


def test_load_page(world, login):
    week_of_sessions(football(world))
    c = login(world.principal)
    r = c.get(url("asreview_load", world), {"start": "2026-11-02", "end": "2026-11-08"})
    assert r.status_code == 200
    rows = {row.staff: row for row in r.context["load"].rows}
    assert rows[lead(world)].per_week == [5] and rows[lead(world)].total == 5
    assert r.context["load"].spread.maximum == 5
    r = c.get(url("asreview_load", world), {"start": "2026-11-09", "end": "2026-11-02"})
    assert r.status_code == 400 and _field(r) == "end"
    r = c.get(url("asreview_load", world), {"start": "2026-13-01"})
    assert r.status_code == 400 and _field(r) == "start"
    r = c.get(url("asreview_load", world), {"start": "2026-11-02", "end": "9999-12-31"})
    assert r.status_code == 400 and _field(r) == "end"
    r = c.get(url("asreview_load", world), {"start": "2026-01-01", "end": "2026-12-31"})
    assert r.status_code == 400 and _field(r) == "end"


def test_load_denials(world, login):
    assert login(world.afterschool).get(url("asreview_load", world)).status_code == 200
    assert login(world.head_teacher).get(url("asreview_load", world)).status_code == 403
    assert login(world.outsider).get(url("asreview_load", world)).status_code == 404
    assert login(world.parent).get(url("asreview_load", world)).status_code == 404


# -- Subsidy ------------------------------------------------------------------------------------


def test_subsidy_page_rate_and_excel(world, login):
    week_of_sessions(football(world))
    c = login(world.principal)
    r = c.post(url("asreview_subsidy", world), {"rate": "30", "outside_rate": "45"})
    assert r.status_code == 302
    assert SubsidyRate.objects.get(term=term(world)).rate == 30
    r = c.get(url("asreview_subsidy", world), {"month": "2026-11"})
    assert r.status_code == 200 and "150.00" in r.content.decode()
    r = c.get(url("asreview_subsidy", world), {"month": "2026-11", "format": "xlsx"})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    values = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert values[-1][3] == 5 and values[-1][5] == 150.0


def test_subsidy_bad_input_and_denials(world, login):
    c = login(world.principal)
    r = c.post(url("asreview_subsidy", world), {"rate": "-3", "outside_rate": "45"})
    assert r.status_code == 400 and _field(r) == "rate"
    # A month the calendar cannot run past (9999-12) is refused too, rather than overflowing.
    for month in ("2026-13", "9999-12", "2026-1", "x"):
        r = c.get(url("asreview_subsidy", world), {"month": month})
        assert r.status_code == 400 and _field(r) == "month", month
    r = login(world.afterschool).post(
        url("asreview_subsidy", world), {"rate": "3", "outside_rate": "4"}
    )
    assert r.status_code == 403
    assert not SubsidyRate.objects.exists()
    assert login(world.duty_leader).get(url("asreview_subsidy", world)).status_code == 403
    assert login(world.outsider).get(url("asreview_subsidy", world)).status_code == 404


# -- Flexible hours ------------------------------------------------------------------------------


def test_flexible_hours_recorded_and_seen_by_the_teacher(world, login):
    p = programme(world, "围棋", lead=lead(world, world.head_teacher))
    s = session(p, MONDAY)
    c = login(world.afterschool)
    r = c.get(url("asreview_flexible", world), {"day": "2026-11-02"})
    assert r.status_code == 200 and "围棋" in r.content.decode()
    data = {"session": s.id, "staff": lead(world, world.head_teacher).id, "start_at": "09:30"}
    assert c.post(url("asreview_flexible", world), data).status_code == 302
    row = FlexibleHours.objects.get()
    assert row.recorded_by == world.afterschool
    mine = login(world.head_teacher).get(url("asreview_flexible", world)).content.decode()
    assert "09:30" in mine and "Record a late duty" not in mine
    other = login(world.subject_teacher).get(url("asreview_flexible", world)).content.decode()
    assert "09:30" not in other


def test_flexible_hours_bad_input_and_denials(world, login):
    s = session(football(world), MONDAY)
    c = login(world.afterschool)
    data = {"session": s.id, "staff": lead(world).id, "start_at": "half past nine"}
    r = c.post(url("asreview_flexible", world), data)
    assert r.status_code == 400 and _field(r) == "start_at"
    r = c.post(url("asreview_flexible", world), {**data, "start_at": "09:30", "session": "x"})
    assert r.status_code == 400 and _field(r) == "session"
    r = login(world.head_teacher).post(url("asreview_flexible", world), data)
    assert r.status_code == 403
    assert not FlexibleHours.objects.exists()
    assert login(world.outsider).get(url("asreview_flexible", world)).status_code == 404
    assert login(world.parent).get(url("asreview_flexible", world)).status_code == 404
    assert login(world.officer).get(url("asreview_flexible", world)).status_code == 403


def _their_programme(world):
    """A programme of the other school, written directly."""
    return Programme.objects.create(
        school=world.other_school,
        term=Term.objects.get(school=world.other_school),
        name="书法",
        category="arts",
        grade_from=1,
        grade_to=6,
        capacity=10,
        venue=Venue.objects.create(
            school=world.other_school, name="教室", kind="classroom", capacity=40
        ),
        lead=Staff.objects.get(user=world.outsider),
        status="approved",
    )


# -- Patrols ------------------------------------------------------------------------------------


PATROL = {"staff_present": "on", "activity_held": "on", "breaches": "1", "note": "未按时点名"}


def test_duty_leader_records_a_patrol(world, login):
    s = session(football(world), MONDAY)
    c = login(world.duty_leader)
    r = c.get(url("asreview_patrols", world), {"day": "2026-11-02"})
    assert r.status_code == 200 and "足球" in r.content.decode()
    assert c.post(url("asreview_patrols", world), {**PATROL, "session": s.id}).status_code == 302
    patrol = Patrol.objects.get()
    assert (patrol.by, patrol.breaches, patrol.rules_kept) == ("duty_leader", 1, False)
    body = login(world.principal).get(url("asreview_patrols", world)).content.decode()
    assert "未按时点名" in body


def test_patrol_bad_input_names_the_field(world, login):
    s = session(football(world), MONDAY)
    c = login(world.duty_leader)
    for data, field in (
        ({**PATROL, "breaches": "-1"}, "breaches"),
        ({**PATROL, "bad_influence": "many"}, "bad_influence"),
        ({**PATROL, "note": ""}, "note"),
        ({**PATROL, "rules_kept": "on"}, "rules_kept"),
    ):
        r = c.post(url("asreview_patrols", world), {**data, "session": s.id})
        assert r.status_code == 400 and _field(r) == field, data
    assert not Patrol.objects.exists()


def test_patrol_denials(world, login):
    s = session(football(world), MONDAY)
    theirs = session(_their_programme(world), MONDAY)
    c = login(world.duty_leader)
    assert (
        c.post(url("asreview_patrols", world), {**PATROL, "session": theirs.id}).status_code == 404
    )
    r = login(world.principal).post(url("asreview_patrols", world), {**PATROL, "session": s.id})
    assert r.status_code == 403
    assert login(world.head_teacher).get(url("asreview_patrols", world)).status_code == 403
    assert login(world.parent).get(url("asreview_patrols", world)).status_code == 404
    assert login(world.outsider).get(url("asreview_patrols", world)).status_code == 404
    assert not Patrol.objects.exists()


def test_appointed_parent_patrols_on_the_phone_page(world, login):
    s = session(football(world), MONDAY)
    session(programme(world, "篮球", lead=lead(world, world.head_teacher)), MONDAY)
    leader_row = Patrol.objects.create(
        school=world.school,
        session=s,
        inspector=world.duty_leader,
        by="duty_leader",
        staff_present=True,
        activity_held=True,
        rules_kept=True,
        note="带班领导的记录",
    )
    appoint(world)
    c = login(world.parent)
    r = c.get(url("asreview_patrols", world), {"day": "2026-11-02"})
    body = r.content.decode()
    assert r.status_code == 200 and "篮球" in body and leader_row.note not in body
    assert 'name="viewport"' in body
    data = {"staff_present": "on", "activity_held": "on", "rules_kept": "on"}
    assert c.post(url("asreview_patrols", world), {**data, "session": s.id}).status_code == 302
    assert Patrol.objects.filter(by="parent", inspector=world.parent).count() == 1


# -- Scores -------------------------------------------------------------------------------------


def test_scores_page_excel_and_appointment(world, login):
    p = football(world)
    c = login(world.principal)
    r = c.get(url("asreview_scores", world))
    assert (
        r.status_code == 200 and "足球" in r.content.decode() and "incomplete" in r.content.decode()
    )
    r = c.get(url("asreview_scores", world), {"format": "xlsx"})
    values = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert values[2][0] == p.name
    assert c.post(url("asreview_scores", world), {"mobile": "13912345678"}).status_code == 302
    assert ParentInspector.objects.get().user == world.parent
    r = c.post(url("asreview_scores", world), {"mobile": "12345"})
    assert r.status_code == 400 and _field(r) == "mobile"


def test_scores_denials(world, login):
    football(world)
    assert login(world.afterschool).get(url("asreview_scores", world)).status_code == 200
    r = login(world.afterschool).post(url("asreview_scores", world), {"mobile": "13912345678"})
    assert r.status_code == 403
    assert not ParentInspector.objects.exists()
    assert login(world.head_teacher).get(url("asreview_scores", world)).status_code == 403
    assert login(world.outsider).get(url("asreview_scores", world)).status_code == 404
    assert login(world.parent).get(url("asreview_scores", world)).status_code == 404
    r = login(world.principal).get(url("asreview_scores", world), {"term": "999999"})
    assert r.status_code == 404


def test_programme_score_page_shows_evidence_and_takes_the_assessment(world, login):
    p = football(world)
    s = session(p, MONDAY)
    Patrol.objects.create(
        school=world.school,
        session=s,
        inspector=world.duty_leader,
        by="duty_leader",
        staff_present=False,
        activity_held=True,
        rules_kept=False,
        breaches=2,
        note="教师迟到十分钟",
    )
    c = login(world.principal)
    r = c.get(url("asreview_score", world, p.id))
    body = r.content.decode()
    assert r.status_code == 200 and "教师迟到十分钟" in body and "48" in body
    assert "No assessment recorded." in body
    data = {"points": "18", "evidence": "学期展演获区一等奖"}
    assert c.post(url("asreview_score", world, p.id), data).status_code == 302
    assert Assessment.objects.get(programme=p).points == 18
    r = c.post(url("asreview_score", world, p.id), {"points": "25", "evidence": "x"})
    assert r.status_code == 400 and _field(r) == "points"
    assert Assessment.objects.get(programme=p).points == 18


def test_programme_score_denials(world, login):
    p = football(world)
    r = login(world.afterschool).post(
        url("asreview_score", world, p.id), {"points": "10", "evidence": "x"}
    )
    assert r.status_code == 403
    assert not Assessment.objects.exists()
    assert login(world.outsider).get(url("asreview_score", world, p.id)).status_code == 404
    theirs = reverse("asreview_score", args=[world.other_school.id, p.id])
    assert login(world.outsider).get(theirs).status_code == 404  # not their school's programme
    mine = _their_programme(world)
    assert login(world.principal).get(url("asreview_score", world, mine.id)).status_code == 404


# -- Teacher evaluation -------------------------------------------------------------------------


def test_teacher_evaluation_page_and_excel(world, login):
    week_of_sessions(football(world))
    c = login(world.academic)
    teacher = lead(world)
    r = c.get(url("asreview_teachers", world))
    assert r.status_code == 200
    evaluation = r.context["evaluation"]
    held = {row.staff: row.sessions for row in evaluation.rows}
    assert held[teacher] == 5 and evaluation.taking_part == 1
    r = c.get(url("asreview_teachers", world), {"format": "xlsx"})
    values = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert values[1][0] == "Staff number"
    row = next(v for v in values[2:] if v[0] == teacher.staff_no)
    assert row[2] == 5 and "足球" in row[3]
    assert login(world.afterschool).get(url("asreview_teachers", world)).status_code == 403
    assert login(world.outsider).get(url("asreview_teachers", world)).status_code == 404


# -- Parents' ratings ---------------------------------------------------------------------------


def test_parent_rates_the_childs_programme(world, login):
    p = football(world)
    Enrolment.objects.create(programme=p, student=world.pupil, status="allocated", source="join")
    u = reverse("asreview_ratings", args=[world.pupil.id])
    c = login(world.parent)
    r = c.get(u)
    assert r.status_code == 200 and "足球" in r.content.decode()
    assert c.post(u, {"programme": p.id, "value": "5", "comment": "孩子很喜欢"}).status_code == 302
    assert Rating.objects.get().value == 5
    r = c.post(u, {"programme": p.id, "value": "9"})
    assert r.status_code == 400 and _field(r) == "value"
    other = programme(world, "书法", lead=lead(world, world.head_teacher))
    r = c.post(u, {"programme": other.id, "value": "4"})
    assert r.status_code == 400 and _field(r) == "programme"
    assert list(Rating.objects.values_list("value", flat=True)) == [5]


def test_ratings_denials(world, login):
    u = reverse("asreview_ratings", args=[world.pupil.id])
    assert login(parent_of(world.pupil2, "p2")).get(u).status_code == 404
    assert login(world.principal).get(u).status_code == 404
