"""SV-01 formulas for many schools at once: a batch of schools gives each school exactly the parts
it gives alone, on a world where the schools differ in every way a formula looks at (stricter
limits, tiered and personal items, overlapping after-school places, leave and unexplained
absences, questionnaires, complaints, outside staff); the recomputation and the roll-up of the
batch equal those of each school alone."""

from datetime import date, time, timedelta

import pytest

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment, Programme
from shuangjian.homework.models import (
    HomeworkTarget,
    HomeworkTier,
    LimitOverride,
    RulesDocument,
)
from shuangjian.indicators import formulas, selectors, services
from shuangjian.org.models import School, SchoolClass, Staff, Subject, Term
from tests.afterschool_world import programme, venue
from tests.test_indicators import _outside, _survey, complaint, created_on, feedback, homework
from tests.world import make_staff, make_student

pytestmark = pytest.mark.django_db

MON = date(2026, 11, 2)
START, END = MON - timedelta(3), MON + timedelta(10)  # a fortnight across two weekends


def _other_school_records(world) -> None:
    """Records of the second school: its own stricter limit, items over it, a place, absences."""
    other, oc = world.other_school, world.other_class
    LimitOverride.objects.create(
        school=other, grade_from=3, grade_to=3, day_kind="school_day", minutes=30
    )
    pupil2 = make_student(oc, "B2026030102", "赵小东")
    subject = Subject.objects.get(school=other)
    teacher = make_staff(
        other, "other_teacher", ("subject_teacher", {"school_class": oc, "subject": subject})
    )
    for n, minutes in enumerate((25, 35, 50)):
        homework(world, oc, MON + timedelta(n), minutes, subject=subject)
    feedback(world.other_pupil, MON, 25)
    feedback(pupil2, MON, 45)
    staff = Staff.objects.get(school=other, user=teacher)
    p = Programme.objects.create(
        school=other,
        term=Term.objects.get(school=other),
        name="合唱",
        category="arts",
        grade_from=1,
        grade_to=6,
        capacity=20,
        venue=venue(world, "音乐室", 40, school=other),
        lead=staff,
        status="approved",
    )
    created_on(p, START - timedelta(20))
    place = Enrolment.objects.create(
        programme=p, student=world.other_pupil, status="allocated", source="allocation"
    )
    created_on(place, MON + timedelta(1))
    session = Session.objects.create(
        school=other, programme=p, date=MON, start=time(16), end=time(17), status="closed"
    )
    Attendance.objects.create(session=session, student=pupil2, state="absent_unexplained")


def _school_records(world) -> None:
    """Records of the first school: tiers, personal items, overlapping places, leave."""
    c31, c32 = world.class_3_1, world.class_3_2
    LimitOverride.objects.create(
        school=world.school, grade_from=3, grade_to=3, day_kind="weekend", minutes=20
    )
    extra = make_student(c31, "2026030102", "赵小军")
    RulesDocument.objects.create(
        school=world.school, title="作业管理办法", text="……", adopted_on=MON + timedelta(2)
    )
    # Tiers: the only pupil placed is in the short tier, the other counts at the long one.
    tiered = homework(world, c31, MON, 70)
    short = HomeworkTier.objects.create(homework=tiered, name="A", minutes=40)
    HomeworkTier.objects.create(homework=tiered, name="B", minutes=70)
    short.pupils.add(world.pupil)
    homework(world, c31, MON, 10, subject=world.maths)
    # A personal item for one pupil beside a whole-class item; elastic and reading not counted.
    personal = homework(world, c32, MON + timedelta(1), 50, personal=True)
    HomeworkTarget.objects.create(homework=personal, student=world.pupil2)
    homework(world, c32, MON + timedelta(1), 20, subject=world.maths)
    homework(world, c31, MON + timedelta(2), 90, elastic=True)
    homework(world, c31, MON + timedelta(2), 90, kind="reading")
    homework(world, c31, MON - timedelta(2), 30)  # a weekend: the stricter limit of 20
    homework(world, c32, MON + timedelta(3), 70, status="pending")
    for pupil, day, minutes in (
        (world.pupil, MON, 55),
        (extra, MON, 75),
        (world.pupil2, MON + timedelta(1), 65),
        (world.pupil, MON - timedelta(2), 25),
    ):
        feedback(pupil, day, minutes)
    # Two overlapping places of one pupil (counted once), one later place of another.
    head = Staff.objects.get(school=world.school, user=world.head_teacher)
    football = programme(world, "足球")
    chess = programme(world, "象棋", category="club", lead=head)
    created_on(football, START - timedelta(30))
    created_on(chess, START - timedelta(30))
    for p, pupil, day in ((football, world.pupil, MON), (chess, world.pupil, MON + timedelta(2))):
        place = Enrolment.objects.create(
            programme=p, student=pupil, status="allocated", source="allocation"
        )
        created_on(place, day)
    place = Enrolment.objects.create(
        programme=chess, student=extra, status="allocated", source="allocation"
    )
    created_on(place, MON + timedelta(4))
    coach = _outside(world, "王教练", date(2027, 1, 1))
    Programme.objects.filter(id=football.id).update(outside_staff=coach)
    session = Session.objects.create(
        school=world.school, programme=football, date=MON, start=time(16), end=time(18)
    )
    Attendance.objects.create(session=session, student=world.pupil, state="absent_unexplained")
    Attendance.objects.create(session=session, student=extra, state="on_leave")
    _survey(world, ["yes"] * 4 + ["no", "n/a"], closed=MON + timedelta(1))
    complaint(world, filed=MON - timedelta(20), deadline=MON, closed=MON)


@pytest.fixture
def county(world):
    _school_records(world)
    _other_school_records(world)
    empty = School.objects.create(name="空学校", code="E001", county=world.county, stage="primary")
    SchoolClass.objects.create(school=empty, grade=3, number=1)  # a class without pupils
    return [world.school, world.other_school, empty]


def _sorted(parts):
    return sorted(parts, key=lambda p: (p.indicator, p.day, p.class_id or 0))


def test_a_batch_gives_each_school_its_own_parts(county):
    together = formulas.batch_parts(formulas.Batch(county, START, END))
    assert set(together) == {s.id for s in county}
    for school in county:
        alone = formulas.parts(formulas.SchoolData(school, START, END))
        assert _sorted(together[school.id]) == _sorted(alone), school.code
    # The world's records do reach the figures (the comparison is not between empty lists).
    figures = selectors.recompute_figures([s.id for s in county], START, END)
    first, other = figures[county[0].id], figures[county[1].id]
    # Monday (the unplaced pupil: 70 + 10 > 60), Tuesday (the personal item's pupil: 50 + 20)
    # and Saturday (30 over the school's weekend limit of 20).
    assert first["HW-OVER-LIMIT"].numerator == 3
    assert other["HW-OVER-LIMIT"].numerator == 2  # 35 and 50 over the school's 30
    assert first["AS-PUPILS"].numerator == 2  # both places of one pupil count him once
    assert (first["HW-WITHIN-LIMIT"].numerator, first["HW-WITHIN-LIMIT"].denominator) == (1, 4)
    assert first["AT-UNEXPLAINED"].numerator == 1 and other["AT-UNEXPLAINED"].numerator == 1


def test_batch_recomputation_and_roll_up_equal_each_school_alone(county, monkeypatch):
    ids = [s.id for s in county]
    alone = {sid: selectors.recompute_figures([sid], START, END)[sid] for sid in ids}
    monkeypatch.setattr(formulas, "BATCH_SCHOOL_DAYS", 2 * (END - START).days + 2)  # 2 a batch
    assert selectors.recompute_figures(ids, START, END) == alone
    assert services.refresh(school_ids=ids, start=START, end=END) > 0
    assert selectors.school_figures(ids, START, END) == alone
    for day in (MON, END):  # any sub-period, too
        assert selectors.school_figures(ids, START, day) == selectors.recompute_figures(
            ids, START, day
        )


def test_refresh_of_schools_with_different_first_days(county):
    """Without a start, each school is refreshed from its own first term (grouped by it)."""
    Term.objects.create(
        school=county[1], name="2026春", start=date(2026, 3, 1), end=date(2026, 7, 10)
    )
    services.refresh(school_ids=[s.id for s in county], end=END)
    for school in county:
        first = Term.objects.filter(school=school).order_by("start").first()
        ids = [school.id]
        got = selectors.school_figures(ids, first.start if first else START, END)
        if first is None:
            assert got == selectors.school_figures(ids, START, END)
        else:
            assert got == selectors.recompute_figures(ids, first.start, END)
