"""After-school teachers and inspection, services and selectors (AS-11, AS-12)."""

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from openpyxl import load_workbook

from shuangjian.afterschool.models import Enrolment, OutsideStaff
from shuangjian.afterschool.selectors import work_end_times
from shuangjian.asreview import export, selectors, services
from shuangjian.asreview.models import FlexibleHours, Patrol, Rating
from shuangjian.errors import RuleViolation
from shuangjian.org.access import access_school, operator_access
from shuangjian.org.models import Staff
from shuangjian.org.selectors import school_calendar
from tests.afterschool_world import lead, parent_of, term
from tests.test_asreview_world import MONDAY, appoint, chess, football, session, week_of_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _acc(world, user=None):
    return access_school(user or world.principal, world.school.id)


def _staff(world, user):
    return Staff.objects.get(school=world.school, user=user)


# -- Load and participation (AS-11) -------------------------------------------------------------


def test_load_counts_lead_and_assistants_per_week_and_the_spread(world):
    p = football(world)
    p.assistants.add(_staff(world, world.subject_teacher))
    q = chess(world)
    week_of_sessions(p)
    week_of_sessions(p, MONDAY + timedelta(weeks=1))
    session(q, MONDAY)
    session(q, MONDAY + timedelta(days=1), status="cancelled")  # not held: not counted
    load = selectors.teacher_load(world.school, MONDAY, MONDAY + timedelta(days=11))
    assert load.weeks == [MONDAY, MONDAY + timedelta(weeks=1)]
    rows = {r.staff.user_id: r for r in load.rows}
    assert rows[world.afterschool.id].per_week == [5, 5]
    assert rows[world.subject_teacher.id].total == 10
    assert rows[world.head_teacher.id].per_week == [1, 0]
    assert rows[world.principal.id].total == 0
    staff = Staff.objects.filter(school=world.school, active=True).count()
    assert load.spread.count == staff == len(load.rows)
    totals = [r.total for r in load.rows]
    assert load.spread.maximum == max(totals) == 10 and load.spread.minimum == 0
    assert load.spread.mean == round(sum(totals) / staff, 1)
    assert rows[world.afterschool.id].above and not rows[world.principal.id].above


def test_participation_rate_over_active_staff(world):
    p = football(world)
    week_of_sessions(p)
    session(chess(world), MONDAY, status="cancelled")
    ev = selectors.teacher_evaluation(world.school, term(world), MONDAY + timedelta(days=6))
    staff = Staff.objects.filter(school=world.school, active=True).count()
    assert (ev.taking_part, ev.staff_count) == (1, staff)
    assert ev.rate == round(100 / staff, 1)
    mine = next(r for r in ev.rows if r.staff.user_id == world.afterschool.id)
    assert mine.sessions == 5 and [s.programme.name for s in mine.programmes] == ["足球"]
    head = next(r for r in ev.rows if r.staff.user_id == world.head_teacher.id)
    assert head.sessions == 0 and [s.programme.name for s in head.programmes] == ["象棋"]


# -- Subsidy (AS-11) ----------------------------------------------------------------------------


def test_subsidy_month_sheet_and_excel(world):
    outside = OutsideStaff.objects.create(
        school=world.school,
        name="=王师傅",  # a name that looks like a formula stays text
        kind="coach",
        mobile="13904210001",
        qualification="教练",
        valid_until=date(2027, 6, 30),
        status="approved",
    )
    p = football(world, outside_staff=outside)
    week_of_sessions(p)
    session(p, MONDAY + timedelta(weeks=1), status="cancelled")
    session(p, date(2026, 10, 30))  # another month
    services.set_subsidy_rate(acc=_acc(world), term=term(world), rate="30", outside_rate="50.5")
    sheet = selectors.subsidy_sheet(world.school, date(2026, 11, 17))
    assert sheet.month == date(2026, 11, 1)
    rows = {r.name: r for r in sheet.rows}
    assert rows["afterschool"].sessions == 5 and rows["afterschool"].amount == Decimal("150.00")
    assert rows["=王师傅"].outside and rows["=王师傅"].amount == Decimal("252.50")
    assert sheet.total_amount == Decimal("402.50") and sheet.without_rate == 0

    ws = load_workbook(io.BytesIO(export.subsidy_xlsx(sheet))).active
    values = list(ws.iter_rows(values_only=True))
    assert "2026-11" in values[0][0] and "30.00" in values[0][0] and "50.50" in values[0][0]
    assert values[1] == (
        "Staff number",
        "Name",
        "Outside staff",
        "Sessions held",
        "Sessions without a rate",
        "Subsidy (yuan)",
    )
    assert values[2][1:] == ("afterschool", "no", 5, 0, 150.0)
    assert values[3][1] == "=王师傅" and ws.cell(row=4, column=2).data_type == "s"
    assert values[-1] == ("Total", None, None, 10, 0, 402.5)
    assert isinstance(values[-1][5], float)


def test_sessions_without_a_rate_are_counted_not_paid(world):
    week_of_sessions(football(world))
    sheet = selectors.subsidy_sheet(world.school, MONDAY)
    (row,) = sheet.rows
    assert (row.sessions, row.without_rate, row.amount) == (5, 5, Decimal("0.00"))


def test_subsidy_rate_validation_and_role(world):
    acc = _acc(world)
    for rate, outside, field in (
        ("-1", "0", "rate"),
        ("abc", "0", "rate"),
        ("1", "1e9", "outside_rate"),
        ("NaN", "0", "rate"),
        ("1", "Infinity", "outside_rate"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.set_subsidy_rate(acc=acc, term=term(world), rate=rate, outside_rate=outside)
        assert field in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.set_subsidy_rate(
            acc=_acc(world, world.afterschool), term=term(world), rate="1", outside_rate="1"
        )
    assert selectors.rate_of(term(world)) is None


# -- Flexible hours (AS-11) ---------------------------------------------------------------------


def test_late_duty_entitles_a_later_start_on_the_next_school_day(world):
    p = football(world)
    friday = MONDAY + timedelta(days=4)
    s = session(p, friday, end=time(18, 0))
    row = services.record_flexible_hours(
        acc=_acc(world, world.afterschool), session=s, staff=lead(world), start_at=time(9, 30)
    )
    next_day = next(
        d.day
        for d in school_calendar(world.school, friday + timedelta(1), friday + timedelta(10)).days
        if d.is_school_day
    )
    assert row.entitled_on == next_day == MONDAY + timedelta(weeks=1)
    assert row.recorded_by == world.afterschool and row.start_at == time(9, 30)
    assert [r.id for r in selectors.flexible_hours(world.school, lead(world))] == [row.id]
    with pytest.raises(ValidationError) as exc:  # once per teacher and session
        services.record_flexible_hours(
            acc=_acc(world), session=s, staff=lead(world), start_at=time(9, 0)
        )
    assert "session" in exc.value.error_dict


def test_a_session_ending_before_work_ends_is_no_late_duty(world):
    p = football(world)
    end_of_work = work_end_times(world.school).end_of_work(MONDAY)
    early = (timezone.datetime.combine(MONDAY, end_of_work) - timedelta(minutes=1)).time()
    s = session(p, MONDAY, start=time(15, 0), end=early)
    with pytest.raises(RuleViolation) as exc:
        services.record_flexible_hours(
            acc=_acc(world), session=s, staff=lead(world), start_at=time(9, 30)
        )
    assert (exc.value.code, exc.value.rule, exc.value.field) == (
        "not_a_late_duty",
        "AS-11",
        "session",
    )
    assert exc.value.numbers["end_of_work"] == f"{end_of_work:%H:%M}"
    exact = session(p, MONDAY + timedelta(days=1), start=time(15, 0), end=end_of_work)
    services.record_flexible_hours(
        acc=_acc(world), session=exact, staff=lead(world), start_at=time(9, 30)
    )
    assert FlexibleHours.objects.count() == 1


def test_flexible_hours_only_for_the_session_teachers_and_managers(world):
    s = session(football(world), MONDAY)
    with pytest.raises(ValidationError) as exc:
        services.record_flexible_hours(
            acc=_acc(world),
            session=s,
            staff=_staff(world, world.subject_teacher),
            start_at=time(9, 30),
        )
    assert "staff" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.record_flexible_hours(
            acc=_acc(world, world.duty_leader), session=s, staff=lead(world), start_at=time(9, 30)
        )
    assert not FlexibleHours.objects.exists()


# -- Patrols (AS-12) ----------------------------------------------------------------------------


def _patrol(patroller, s, **kw):
    data = {"staff_present": True, "activity_held": True, "rules_kept": True, **kw}
    return services.record_patrol(patroller=patroller, session=s, **data)


def test_duty_leader_and_appointed_parent_patrol(world):
    s = session(football(world), MONDAY)
    leader = services.patroller_for(world.duty_leader, world.school.id)
    p1 = _patrol(leader, s, rules_kept=False, breaches=2, note="两名学生在走廊追跑")
    assert (p1.by, p1.counts.deduction) == ("duty_leader", 2)
    appoint(world)
    parent = services.patroller_for(world.parent, world.school.id)
    p2 = _patrol(parent, s, bad_influence=1, note="放学时家长聚集堵路")
    assert p2.by == "parent" and p2.school == world.school
    with pytest.raises(ValidationError) as exc:
        _patrol(parent, s)
    assert "session" in exc.value.error_dict
    assert Patrol.objects.count() == 2


def test_patrol_denials(world):
    with pytest.raises(PermissionDenied):
        services.patroller_for(world.principal, world.school.id)
    from django.http import Http404

    with pytest.raises(Http404):
        services.patroller_for(world.parent, world.school.id)  # not appointed
    with pytest.raises(Http404):
        services.patroller_for(world.outsider, world.school.id)


def test_patrol_bad_input_names_the_field(world):
    p = football(world)
    s = session(p, MONDAY)
    leader = services.patroller_for(world.duty_leader, world.school.id)
    cases = [
        ({"breaches": -1}, "breaches"),
        ({"bad_influence": 51}, "bad_influence"),
        ({"serious_accidents": None}, "serious_accidents"),
        ({"rules_kept": True, "breaches": 1, "note": "x"}, "rules_kept"),
        ({"note": "x" * 501}, "note"),
    ]
    for kw, field in cases:
        with pytest.raises(ValidationError) as exc:
            _patrol(leader, s, **kw)
        assert field in exc.value.error_dict, kw
    with pytest.raises(RuleViolation) as exc:
        _patrol(leader, s, rules_kept=False, serious_accidents=1)
    assert (exc.value.code, exc.value.field, exc.value.numbers["deduction"]) == (
        "deduction_needs_note",
        "note",
        10,
    )
    cancelled = session(p, MONDAY + timedelta(days=1), status="cancelled")
    future = session(p, timezone.localdate() + timedelta(days=1))
    for s2 in (cancelled, future):
        with pytest.raises(ValidationError) as exc:
            _patrol(leader, s2)
        assert "session" in exc.value.error_dict
    assert not Patrol.objects.exists()


def test_parent_inspector_only_in_the_appointed_term(world):
    from shuangjian.org.models import Term

    appoint(world)
    p = football(world)
    s = session(p, MONDAY)
    other_term = Term.objects.create(
        school=world.school, name="2027春", start=date(2027, 3, 1), end=date(2027, 7, 10)
    )
    p.term = other_term
    p.save()
    parent = services.patroller_for(world.parent, world.school.id)
    s.refresh_from_db()
    with pytest.raises(PermissionDenied):
        _patrol(parent, s)


def test_appointing_needs_a_parent_of_the_school(world):
    acc = _acc(world)
    row = services.appoint_parent_inspector(acc=acc, term=term(world), mobile="13912345678")
    assert row.user == world.parent
    for mobile in ("", "13900000000"):
        with pytest.raises(ValidationError) as exc:
            services.appoint_parent_inspector(acc=acc, term=term(world), mobile=mobile)
        assert "mobile" in exc.value.error_dict
    stranger = parent_of(world.other_pupil, "stranger")
    stranger.mobile = "13700000001"
    stranger.save()
    with pytest.raises(ValidationError):
        services.appoint_parent_inspector(acc=acc, term=term(world), mobile="13700000001")
    with pytest.raises(PermissionDenied):
        services.appoint_parent_inspector(
            acc=_acc(world, world.afterschool), term=term(world), mobile="13912345678"
        )


# -- Scores (AS-12) -----------------------------------------------------------------------------


def _two_week_term(world):
    t = term(world)
    t.start = MONDAY
    t.save()
    return t


def test_semester_score_with_its_evidence(world):
    t = _two_week_term(world)
    p = football(world)
    sessions = week_of_sessions(p) + week_of_sessions(p, MONDAY + timedelta(weeks=1))
    sessions[-1].status = "cancelled"
    sessions[-1].save()
    leader = services.patroller_for(world.duty_leader, world.school.id)
    _patrol(leader, sessions[0], rules_kept=False, breaches=2, note="迟到")
    _patrol(leader, sessions[1], bad_influence=1, note="打闹")
    _patrol(leader, sessions[2])
    services.assess(acc=_acc(world), programme=p, points="16.5", evidence="期末足球联赛")
    Enrolment.objects.create(programme=p, student=world.pupil, status="allocated", source="join")
    services.rate_programme(user=world.parent, student=world.pupil, programme=p, value=5)
    other = parent_of(world.pupil)
    services.rate_programme(user=other, student=world.pupil, programme=p, value=3)

    (row,) = selectors.scores(world.school, t, MONDAY + timedelta(days=11))
    s = row.score
    assert s.patrol.points == 45 and s.patrol.evidence["patrols"] == 3
    assert (s.plan.evidence["held"], s.plan.evidence["scheduled"]) == (9, 10)
    assert s.plan.points == 18
    assert s.effectiveness.points == 16.5 and s.effectiveness.evidence["text"] == "期末足球联赛"
    assert s.satisfaction.points == 5 and s.satisfaction.evidence["ratings"] == 2
    assert s.total == 45 + 18 + 16.5 + 5

    ws = load_workbook(io.BytesIO(export.scores_xlsx(world.school, t, [row]))).active
    values = list(ws.iter_rows(values_only=True))
    assert values[2][0] == "足球" and values[2][1] == 45 and values[2][-1] == 84.5
    assert values[2][10] == "期末足球联赛"


def test_a_score_without_evidence_is_incomplete_not_invented(world):
    t = term(world)
    football(world)
    (row,) = selectors.scores(world.school, t, t.start - timedelta(days=1))
    assert row.score.total is None
    assert row.score.missing == ["patrol", "plan", "effectiveness", "satisfaction"]
    assert row.score.plan.evidence == {"held": 0, "scheduled": 0}
    ws = load_workbook(io.BytesIO(export.scores_xlsx(world.school, t, [row]))).active
    assert list(ws.iter_rows(values_only=True))[2][-1] == "incomplete"


def test_patrol_part_floors_at_zero_through_the_database(world):
    t = _two_week_term(world)
    p = football(world)
    sessions = week_of_sessions(p)
    leader = services.patroller_for(world.duty_leader, world.school.id)
    for s in sessions:
        _patrol(leader, s, rules_kept=False, serious_accidents=2, note="事故")
    (row,) = selectors.scores(world.school, t, MONDAY + timedelta(days=4))
    assert row.score.patrol.points == 0 and row.score.patrol.evidence["deducted"] == 100


def test_assessment_and_rating_validation(world):
    p = football(world)
    acc = _acc(world)
    for points, evidence, field in (
        ("21", "x", "points"),
        ("-0.5", "x", "points"),
        ("x", "x", "points"),
        ("NaN", "x", "points"),
        ("-Infinity", "x", "points"),
        ("10", " ", "evidence"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.assess(acc=acc, programme=p, points=points, evidence=evidence)
        assert field in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.assess(acc=_acc(world, world.afterschool), programme=p, points="10", evidence="x")
    with pytest.raises(ValidationError) as exc:  # no place in it
        services.rate_programme(user=world.parent, student=world.pupil, programme=p, value=5)
    assert "programme" in exc.value.error_dict
    Enrolment.objects.create(programme=p, student=world.pupil, status="allocated", source="join")
    for value in (0, 6, None):
        with pytest.raises(ValidationError) as exc:
            services.rate_programme(
                user=world.parent, student=world.pupil, programme=p, value=value
            )
        assert "value" in exc.value.error_dict
    services.rate_programme(user=world.parent, student=world.pupil, programme=p, value=2)
    services.rate_programme(user=world.parent, student=world.pupil, programme=p, value=4)
    assert list(Rating.objects.values_list("value", flat=True)) == [4]  # one per parent


def test_teacher_evaluation_excel(world):
    week_of_sessions(football(world))
    ev = selectors.teacher_evaluation(world.school, term(world), MONDAY + timedelta(days=6))
    ws = load_workbook(io.BytesIO(export.evaluation_xlsx(world.school, ev))).active
    values = list(ws.iter_rows(values_only=True))
    assert f"{ev.rate}%" in values[0][0]
    by_name = {v[1]: v for v in values[2:]}
    assert by_name["afterschool"][2] == 5 and "足球" in by_name["afterschool"][3]
    assert by_name["principal"][2] == 0


def test_operator_access_can_set_the_rate(world):
    row = services.set_subsidy_rate(
        acc=operator_access(world.school), term=term(world), rate="25", outside_rate="40"
    )
    assert row.set_by is None and row.rate == Decimal("25.00")
