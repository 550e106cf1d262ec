"""SV-01 formulas on hand-built records: each indicator's numerator and denominator, empty periods
and zero denominators, and the daily roll-up giving the same figures as the raw records."""

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment, OutsideStaff, Programme
from shuangjian.afterschool.services import SlotIn
from shuangjian.complaints.models import Complaint
from shuangjian.homework.models import (
    Feedback,
    Homework,
    HomeworkTarget,
    HomeworkTier,
    LimitOverride,
    RulesDocument,
)
from shuangjian.indicators import selectors, services
from shuangjian.indicators.catalogue import INDICATORS
from shuangjian.indicators.selectors import Figure
from shuangjian.org.models import Staff
from shuangjian.surveys.models import Answer, Choice, Question, Response, Survey
from tests.afterschool_world import programme

pytestmark = pytest.mark.django_db

MON = date(2026, 11, 2)  # a plain week of the world's term: Monday 2 to Sunday 8 November 2026
SAT, SUN = MON + timedelta(5), MON + timedelta(6)
WEEK = (MON, SUN)
VACATION = (date(2027, 1, 25), date(2027, 1, 31))  # inside the world's winter vacation


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def homework(world, klass, day, minutes=30, *, kind="basic", status="published", **kw):
    return Homework.objects.create(
        school=klass.school,
        school_class=klass,
        subject=kw.pop("subject", world.chinese),
        teacher=world.head_teacher,
        date=day,
        day_kind="school_day",
        content="练习",
        kind=kind,
        minutes=minutes,
        status=status,
        **kw,
    )


def feedback(pupil, day, minutes):
    return Feedback.objects.create(
        student=pupil,
        school_class=pupil.school_class,
        date=day,
        minutes=minutes,
        mostly_at_school=False,
    )


def created_on(obj, day: date) -> None:
    """Backdate a row's creation (the snapshot indicators count rows existing on the day)."""
    type(obj).objects.filter(id=obj.id).update(created_at=at(day))


def complaint(world, *, filed, deadline, closed=None):
    return Complaint.objects.create(
        code_hash=uuid.uuid4().hex,
        category="homework_overload",
        school=world.school,
        county=world.county,
        description="作业太多",
        filed_on=filed,
        limit_days=15,
        deadline=deadline,
        status="closed" if closed else "received",
        closed_on=closed,
        closed_at=at(closed) if closed else None,
    )


def both(world, start, end, school=None):
    """The figures from the raw records and, after a refresh, from the roll-up: they must agree."""
    school = school or world.school
    raw = selectors.recompute_figures([school.id], start, end)[school.id]
    services.refresh(school_ids=[school.id], start=start, end=end)
    assert selectors.school_figures([school.id], start, end)[school.id] == raw
    return raw


def fig(figures, indicator):
    f = figures[indicator]
    return f.numerator, f.denominator, f.value


# -- Figure --------------------------------------------------------------------------------------


def test_figure_value_percent_count_and_zero_denominator():
    assert Figure("HW-NOTICE", 3, 4).value == 75
    assert Figure("HW-NOTICE", 0, 0).value is None
    assert Figure("HW-OVER-LIMIT", 2, None).value == 2
    assert Figure("HW-NOTICE", 3, 4).meets_target is False
    assert Figure("HW-OVER-LIMIT", 0, None).meets_target is True


def test_catalogue_entries_are_complete():
    for ind in INDICATORS.values():
        assert ind.unit in ("percent", "count") and ind.rollup in ("sum", "last")
        assert all(str(x) for x in (ind.name, ind.definition, ind.formula, ind.sources))
        assert str(ind.period) and str(ind.document)


# -- Homework ------------------------------------------------------------------------------------


def test_rules_on_file_is_a_snapshot_of_the_last_day(world):
    doc = RulesDocument.objects.create(
        school=world.school, title="作业管理办法", text="……", adopted_on=MON + timedelta(3)
    )
    assert fig(both(world, *WEEK), "HW-RULES") == (1, 1, 100)
    assert fig(both(world, MON, MON + timedelta(2)), "HW-RULES") == (0, 1, 0)
    assert doc.school_id == world.school.id


def test_notice_posted_counts_class_school_days_with_published_items(world):
    # Classes with pupils: 3-1 and 3-2 (7-1 has none) × five school days = 10 class-days.
    homework(world, world.class_3_1, MON)
    homework(world, world.class_3_1, MON, subject=world.maths)  # same day: still one class-day
    homework(world, world.class_3_1, MON + timedelta(1))
    homework(world, world.class_3_2, MON, status="pending")  # not on the notice
    homework(world, world.class_3_2, SAT)  # a weekend: not a school day
    homework(world, world.class_7_1, MON)  # a class without pupils
    assert fig(both(world, *WEEK), "HW-NOTICE") == (2, 10, 20)


def test_notice_in_a_vacation_has_no_school_day(world):
    assert fig(both(world, *VACATION), "HW-NOTICE") == (0, 0, None)


def test_within_limit_uses_the_binding_limit_of_each_day(world):
    LimitOverride.objects.create(
        school=world.school, grade_from=3, grade_to=3, day_kind="weekend", minutes=30
    )
    feedback(world.pupil, MON, 60)  # grade 3, school day: limit 60 → within
    feedback(world.pupil, MON + timedelta(1), 61)  # over
    feedback(world.pupil, SAT, 40)  # weekend, stricter school limit 30 → over
    feedback(world.pupil2, MON, 10)  # within
    feedback(world.other_pupil, MON, 10)  # another school
    assert fig(both(world, *WEEK), "HW-WITHIN-LIMIT") == (2, 4, 50)


def test_within_limit_without_reports_is_no_data(world):
    assert fig(both(world, *WEEK), "HW-WITHIN-LIMIT") == (0, 0, None)


def test_class_days_over_the_limit_follow_the_per_pupil_load(world):
    c31, c32 = world.class_3_1, world.class_3_2
    # Monday, 3-1: 40 + 30 written minutes > 60.
    homework(world, c31, MON, 40)
    homework(world, c31, MON, 30, subject=world.maths)
    # Tuesday, 3-1: 40 written + 30 reading (not written) + 30 elastic (not counted) = 40.
    homework(world, c31, MON + timedelta(1), 40)
    homework(world, c31, MON + timedelta(1), 30, kind="reading")
    homework(world, c31, MON + timedelta(1), 30, elastic=True)
    # Wednesday, 3-1: tiers of 50 and 70 minutes, the only pupil in the 50 tier → 50.
    tiered = homework(world, c31, MON + timedelta(2), 70)
    low = HomeworkTier.objects.create(homework=tiered, name="A", minutes=50)
    HomeworkTier.objects.create(homework=tiered, name="B", minutes=70)
    low.pupils.add(world.pupil)
    # Thursday, 3-2: a personal item of 80 minutes for its pupil → over.
    personal = homework(world, c32, MON + timedelta(3), 80, personal=True)
    HomeworkTarget.objects.create(homework=personal, student=world.pupil2)
    # Friday, 3-2: a withdrawn item over the limit does not count.
    homework(world, c32, MON + timedelta(4), 120, status="withdrawn")
    figures = both(world, *WEEK)
    assert fig(figures, "HW-OVER-LIMIT") == (2, None, 2)
    d = selectors.drill(world.school, "HW-OVER-LIMIT", *WEEK, class_id=c31.id)
    assert [row[0] for row in d.records.rows] == [MON]
    assert d.records.rows[0][1:3] == [70, 60]


def test_unplaced_pupil_counts_at_the_longest_tier(world):
    tiered = homework(world, world.class_3_1, MON, 70)
    HomeworkTier.objects.create(homework=tiered, name="A", minutes=50)
    HomeworkTier.objects.create(homework=tiered, name="B", minutes=70)  # nobody placed
    assert fig(both(world, *WEEK), "HW-OVER-LIMIT") == (1, None, 1)


# -- After-school --------------------------------------------------------------------------------


SATURDAY = [SlotIn(5, time(9, 0), time(11, 0))]


def _slots(friday_end=time(18, 0)):
    return [SlotIn(d, time(16, 0), time(18, 0)) for d in range(4)] + [
        SlotIn(4, time(16, 0), friday_end)
    ]


def test_five_plus_two_counts_working_school_days_meeting_the_rule(world):
    programme(world, "足球", slots=_slots(friday_end=time(17, 0)))  # Friday: one hour
    programme(world, "书法", approve=False, slots=SATURDAY)  # proposed: not on the timetable
    assert fig(both(world, *WEEK), "AS-5PLUS2") == (4, 5, 80)
    assert fig(both(world, *VACATION), "AS-5PLUS2") == (0, 0, None)


def test_pupil_participation_is_the_last_days_snapshot(world):
    p = programme(world, "足球")
    created_on(p, MON - timedelta(30))
    place = Enrolment.objects.create(
        programme=p, student=world.pupil, status="allocated", source="allocation"
    )
    created_on(place, MON + timedelta(2))
    Enrolment.objects.create(  # waiting: not a place
        programme=p, student=world.pupil2, status="waitlisted", source="allocation", position=1
    )
    assert fig(both(world, *WEEK), "AS-PUPILS") == (1, 2, 50)  # pupils of 3-1, 3-2
    assert fig(both(world, MON, MON + timedelta(1)), "AS-PUPILS") == (0, 2, 0)
    d = selectors.drill(world.school, "AS-PUPILS", *WEEK)
    assert [(r.label, r.figure.numerator, r.figure.denominator) for r in d.rows] == [
        ("三年级", 1, 2)
    ]


def test_teacher_participation_and_categories(world):
    head = Staff.objects.get(school=world.school, user=world.head_teacher)
    p = programme(world, "足球", lead=head)  # category sports
    created_on(p, MON - timedelta(30))
    figures = both(world, *WEEK)
    # Teaching staff: the head teacher and the subject teacher; one leads a programme.
    assert fig(figures, "AS-TEACHERS") == (1, 2, 50)
    assert fig(figures, "AS-SPORTS-ARTS") == (1, 1, 100)
    assert fig(figures, "AS-READING") == (0, 1, 0)
    assert fig(figures, "AS-SCIENCE-CLUBS") == (0, 1, 0)
    # Before the programme existed, nothing was offered.
    early = both(world, MON - timedelta(40), MON - timedelta(35))
    assert fig(early, "AS-SPORTS-ARTS") == (0, 1, 0)
    assert fig(early, "AS-TEACHERS") == (0, 2, 0)


def _outside(world, name, valid_until):
    person = OutsideStaff.objects.create(
        school=world.school,
        name=name,
        kind="coach",
        mobile="13900000001",
        qualification="教练证",
        background_check_confirmed=True,
        valid_until=valid_until,
        status="approved",
    )
    created_on(person, MON - timedelta(30))
    return person


def test_outside_staff_engaged_on_the_last_day(world):
    valid = _outside(world, "王教练", date(2027, 1, 1))
    expired = _outside(world, "李教练", MON + timedelta(3))
    idle = _outside(world, "赵教练", date(2027, 1, 1))  # approved, teaches nothing
    for name, person, slots in (("足球", valid, _slots()), ("篮球", expired, SATURDAY)):
        p = programme(world, name, slots=slots)
        Programme.objects.filter(id=p.id).update(outside_staff=person)
        created_on(p, MON - timedelta(30))
    assert fig(both(world, *WEEK), "AS-OUTSIDE-STAFF") == (1, None, 1)
    assert fig(both(world, MON, MON + timedelta(2)), "AS-OUTSIDE-STAFF") == (2, None, 2)
    assert idle.programmes.count() == 0


# -- Attendance, questionnaires, complaints -------------------------------------------------------


def test_unexplained_absences_count_attendance_rows(world):
    p = programme(world, "足球")
    session = Session.objects.create(
        school=world.school, programme=p, date=MON, start=time(16), end=time(18), status="closed"
    )
    Attendance.objects.create(session=session, student=world.pupil, state="absent_unexplained")
    Attendance.objects.create(session=session, student=world.pupil2, state="on_leave")
    figures = both(world, *WEEK)
    assert fig(figures, "AT-UNEXPLAINED") == (1, None, 1)
    d = selectors.drill(world.school, "AT-UNEXPLAINED", *WEEK, class_id=world.class_3_1.id)
    assert d.figure.numerator == 1 and len(d.records.rows) == 1
    assert fig(both(world, *VACATION), "AT-UNEXPLAINED") == (0, None, 0)


def _survey(world, answers: list[str], closed: date, k: int = 5) -> Survey:
    survey = Survey.objects.create(
        school=world.school,
        title=f"问卷{closed}",
        status="closed",
        min_group_size=k,
        closed_at=at(closed),
    )
    q = Question.objects.create(
        survey=survey, position=1, kind="single", text="满意吗？", indicator="satisfaction"
    )
    choices = {
        "yes": Choice.objects.create(question=q, position=1, text="满意", affirms=True),
        "no": Choice.objects.create(question=q, position=2, text="不满意", affirms=False),
        "n/a": Choice.objects.create(question=q, position=3, text="不了解", affirms=None),
    }
    for a in answers:
        r = Response.objects.create(
            survey=survey, school=world.school, grade=3, school_class=world.class_3_1, week=MON
        )
        Answer.objects.create(response=r, question=q, choice=choices[a])
    return survey


def test_satisfaction_counts_shown_groups_only(world):
    _survey(world, ["yes"] * 4 + ["no", "n/a"], closed=MON + timedelta(1))
    _survey(world, ["no"] * 4, closed=MON + timedelta(2))  # 4 < 5 answers: suppressed, left out
    figures = both(world, *WEEK)
    assert fig(figures, "SV-SATISFACTION") == (4, 5, 80)
    assert fig(figures, "SV-AS-SATISFACTION") == (0, 0, None)  # no such question asked
    assert fig(both(world, MON + timedelta(2), SUN), "SV-SATISFACTION") == (0, 0, None)


def test_complaints_closed_on_time(world):
    complaint(world, filed=MON - timedelta(20), deadline=MON, closed=MON)  # on the deadline day
    complaint(world, filed=MON - timedelta(30), deadline=MON - timedelta(5), closed=MON)  # late
    complaint(world, filed=MON, deadline=MON + timedelta(20))  # still open
    assert fig(both(world, *WEEK), "SV-COMPLAINTS-ON-TIME") == (1, 2, 50)
    assert fig(both(world, *VACATION), "SV-COMPLAINTS-ON-TIME") == (0, 0, None)


# -- Empty periods ---------------------------------------------------------------------------------


def test_an_empty_period_has_no_data_and_counts_of_zero(world):
    figures = both(world, *VACATION, school=world.other_school)
    for ind_id, f in figures.items():
        if INDICATORS[ind_id].unit == "count":
            assert f.value == 0
        elif INDICATORS[ind_id].rollup == "sum":
            assert f.value is None, ind_id
    # Snapshots exist every day: "no rules on file" is 0 of 1 school, not "no data".
    assert fig(figures, "HW-RULES") == (0, 1, 0)


def test_school_without_roll_ups_is_still_a_key(world):
    figures = selectors.school_figures([world.school.id, world.other_school.id], *WEEK)
    assert set(figures) == {world.school.id, world.other_school.id}
    assert all(f.value in (None, 0) for f in figures[world.school.id].values())


def test_period_longer_than_the_limit_is_refused(world):
    with pytest.raises(ValueError):
        selectors.school_figures([world.school.id], MON, MON + timedelta(selectors.MAX_DAYS))
    with pytest.raises(ValueError):
        selectors.school_figures([world.school.id], MON, MON - timedelta(1))
