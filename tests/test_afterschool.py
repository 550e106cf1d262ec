"""After-school services: programmes and clashes, the 5+2 check, preferences, allocation,
free places and the waiting list (AS-01 … AS-07, AS-13, AS-14)."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from shuangjian.afterschool import selectors, services
from shuangjian.afterschool.models import (
    AllocationRun,
    Enrolment,
    Programme,
    ProgrammeSlot,
)
from shuangjian.afterschool.services import SlotIn
from shuangjian.errors import RuleViolation
from shuangjian.notify.models import Notification
from shuangjian.org.access import access_school, operator_access
from shuangjian.org.models import StudentCareFlag
from tests.afterschool_world import WEEK, lead, parent_of, programme, published, term, venue
from tests.world import make_student

pytestmark = pytest.mark.django_db


# -- Programmes ---------------------------------------------------------------------------------


def test_create_and_approve_programme(world):
    acc = access_school(world.afterschool, world.school.id)
    p = services.create_programme(
        acc=acc,
        term=term(world),
        name="书法社团",
        category="club",
        grade_from=3,
        grade_to=6,
        capacity=30,
        venue=venue(world, "书法室", 30),
        lead=lead(world),
        fee=Decimal("120.00"),
        slots=WEEK,
    )
    assert p.status == "proposed" and p.slots.count() == 5
    with pytest.raises(PermissionDenied):
        services.approve_programme(acc=acc, programme=p)  # after-school staff only propose
    p = services.approve_programme(acc=access_school(world.academic, world.school.id), programme=p)
    assert p.status == "approved"


def test_duty_leader_may_not_propose(world):
    with pytest.raises(PermissionDenied):
        services.create_programme(
            acc=access_school(world.duty_leader, world.school.id),
            term=term(world),
            name="x",
            category="sports",
            grade_from=1,
            grade_to=2,
            capacity=1,
            venue=venue(world),
            lead=lead(world),
            fee=0,
            slots=WEEK,
        )


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"capacity": 41}, "capacity", "over_venue_capacity"),
        ({"category": "evening_study", "grade_from": 5}, "category", "junior_only"),
        ({"grade_from": 5, "grade_to": 3}, "grade_from", "invalid"),
        ({"grade_to": 12}, "grade_from", "invalid"),
        ({"capacity": 0}, "capacity", "invalid"),
        ({"fee": Decimal("-1")}, "fee", "invalid"),
        ({"slots": []}, "slots", "required"),
        ({"slots": [SlotIn(0, time(17), time(16))]}, "slots", "invalid"),
        ({"name": " "}, "name", "required"),
    ],
)
def test_bad_programme_names_the_field(world, change, field, code):
    place = venue(world, "教室", 40)
    with pytest.raises(ValidationError) as exc:
        programme(world, approve=False, place=place, **change)
    err = exc.value
    named = err.field if isinstance(err, RuleViolation) else next(iter(err.error_dict))
    assert named == field
    assert Programme.objects.count() == 0


def test_junior_categories_allowed_for_junior_grades(world):
    p = programme(world, "晚自习", category="evening_study", grade_from=7, grade_to=9)
    assert p.category == "evening_study"


def test_database_refuses_bad_rows(world):
    p = programme(world)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Programme.objects.filter(id=p.id).update(capacity=0)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ProgrammeSlot.objects.create(programme=p, weekday=7, start=time(16), end=time(17))
    Enrolment.objects.create(programme=p, student=world.pupil, status="allocated", source="join")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Enrolment.objects.create(
            programme=p, student=world.pupil, status="waitlisted", source="join", position=1
        )


def test_venue_clash_names_the_other_programme(world):
    place = venue(world, "体育馆", 40)
    programme(world, "篮球", place=place)
    other_lead = lead(world, world.head_teacher)
    with pytest.raises(RuleViolation) as exc:
        programme(
            world,
            "排球",
            place=place,
            lead=other_lead,
            slots=[SlotIn(2, time(17), time(19))],
        )
    assert exc.value.code == "venue_clash" and exc.value.numbers["other"] == "篮球"
    # Not overlapping: fine.
    programme(world, "排球", place=place, lead=other_lead, slots=[SlotIn(2, time(18), time(19))])


def test_staff_clash_names_the_other_programme(world):
    programme(world, "篮球")
    with pytest.raises(RuleViolation) as exc:
        programme(world, "排球", slots=[SlotIn(0, time(15), time(16, 30))])
    assert exc.value.code == "staff_clash" and exc.value.field == "lead"
    assert "篮球" in exc.value.messages[0]


# -- The 5+2 check (AS-01) ----------------------------------------------------------------------


def test_full_week_meets_five_plus_two(world):
    programme(world)
    check = services.check_timetable(world.school, date(2026, 11, 25))
    assert check.days[0].day == date(2026, 11, 23)
    assert check.required_days == 5 and check.ok


def test_gaps_are_shown_per_day(world):
    programme(world, "阅读", slots=[SlotIn(d, time(16), time(18)) for d in range(4)])
    programme(
        world,
        "proposed only",
        approve=False,
        lead=lead(world, world.head_teacher),
        slots=[SlotIn(4, time(16), time(18))],
    )
    check = services.check_timetable(world.school, date(2026, 11, 23))
    gaps = [(d.isoformat(), f.code) for d, f in check.gaps]
    assert gaps == [("2026-11-27", "no_service")]


def test_short_and_early_days_are_gaps(world):
    programme(world, slots=[SlotIn(d, time(15), time(16, 30)) for d in range(5)])
    check = services.check_timetable(world.school, date(2026, 11, 23))
    codes = {f.code for _, f in check.gaps}
    assert codes == {"under_two_hours", "ends_before_work"}
    assert check.days_ok == 0


def test_vacation_week_needs_nothing(world):
    check = services.check_timetable(world.school, date(2027, 2, 1))
    assert check.required_days == 0 and check.ok


# -- Preferences and allocation (AS-04, AS-06) --------------------------------------------------


def _pupils(world, n, klass=None):
    return [make_student(klass or world.class_3_1, f"X{i:04d}", f"学生{i}") for i in range(n)]


def test_preference_validation_names_choices(world):
    p = programme(world)
    junior = programme(
        world, "晚自习", category="evening_study", grade_from=7, grade_to=9,
        lead=lead(world, world.head_teacher),
    )  # fmt: skip
    t = term(world)
    for ids in ([], [p.id, p.id], [999999], [junior.id], [p.id] * 6):
        with pytest.raises(ValidationError) as exc:
            services.save_preference(
                user=world.parent, student=world.pupil, term=t, programme_ids=ids
            )
        assert "choices" in exc.value.error_dict
    pref = services.save_preference(
        user=world.parent, student=world.pupil, term=t, programme_ids=[p.id]
    )
    assert pref.choices == [p.id]


def test_allocation_priority_preview_then_publish(world):
    t = term(world)
    small = programme(world, "机器人", capacity=1)
    big = programme(world, "合唱", capacity=5, lead=lead(world, world.head_teacher))
    others = _pupils(world, 3)
    # world.pupil is left-behind: priority (AS-04).
    for s in [world.pupil, *others]:
        services.save_preference(
            user=world.parent, student=s, term=t, programme_ids=[small.id, big.id]
        )
    run = services.run_allocation(school=world.school, term=t, seed="s1", actor=world.principal)
    assert not run.published and Enrolment.objects.count() == 0
    rows = {r["student_id"]: r for r in run.results}
    assert rows[world.pupil.id]["programme_id"] == small.id
    assert rows[world.pupil.id]["priority"] is True
    for s in others:
        assert rows[s.id]["programme_id"] == big.id
        assert rows[s.id]["missed"][0][2] == "priority"
        assert "机器人" in rows[s.id]["explanation"]
    # Same input, same seed: same result.
    again = services.run_allocation(school=world.school, term=t, seed="s1", actor=world.principal)
    assert again.results == run.results

    services.publish_allocation(run=run, actor=world.principal)
    assert Enrolment.objects.filter(programme=small, status="allocated").count() == 1
    assert Enrolment.objects.filter(programme=big, status="allocated").count() == 3
    waiting = list(
        Enrolment.objects.filter(programme=small, status="waitlisted").order_by("position")
    )
    assert [e.position for e in waiting] == [1, 2, 3]
    assert Notification.objects.filter(user=world.parent, kind="afterschool").exists()
    with pytest.raises(RuleViolation) as exc:
        services.publish_allocation(run=again, actor=world.principal)
    assert exc.value.code == "already_published"


def test_run_allocation_bad_seed(world):
    with pytest.raises(ValidationError) as exc:
        services.run_allocation(school=world.school, term=term(world), seed="", actor=None)
    assert "seed" in exc.value.error_dict
    assert AllocationRun.objects.count() == 0


# -- Free places and the waiting list -----------------------------------------------------------


def test_join_until_full(world):
    p = programme(world, capacity=2)
    a, b, c = _pupils(world, 3)
    with pytest.raises(RuleViolation) as exc:
        services.join_free_place(student=a, programme=p)
    assert exc.value.code == "not_yet_allocated"  # no click race before the allocation
    published(world)
    services.join_free_place(student=a, programme=p)
    services.join_free_place(student=b, programme=p)
    with pytest.raises(RuleViolation) as exc:
        services.join_free_place(student=c, programme=p)
    assert exc.value.code == "programme_full" and exc.value.numbers["capacity"] == 2
    with pytest.raises(RuleViolation) as exc:
        services.join_free_place(student=a, programme=p)
    assert exc.value.code == "already_enrolled"


def test_join_refuses_wrong_grade(world):
    published(world)
    p = programme(world, grade_from=1, grade_to=2)
    with pytest.raises(RuleViolation) as exc:
        services.join_free_place(student=world.pupil, programme=p)
    assert exc.value.code == "not_for_grade" and exc.value.field == "student_id"


def test_withdraw_promotes_the_first_waiting_pupil_and_tells_the_parent(world):
    published(world)
    p = programme(world, capacity=1)
    holder = _pupils(world, 1)[0]
    held = services.join_free_place(student=holder, programme=p)
    second = make_student(world.class_3_2, "W2")
    Enrolment.objects.create(
        programme=p, student=second, status="waitlisted", source="allocation", position=2
    )
    Enrolment.objects.create(
        programme=p, student=world.pupil, status="waitlisted", source="allocation", position=1
    )
    promoted = services.withdraw(enrolment=held)
    assert promoted.student == world.pupil and promoted.status == "allocated"
    assert promoted.source == "promotion"
    assert Notification.objects.filter(user=world.parent, kind="afterschool").count() == 1
    assert Enrolment.objects.filter(programme=p, status="allocated").count() == 1
    # Leaving a waiting list frees nothing.
    assert services.withdraw(enrolment=Enrolment.objects.get(student=second)) is None


def test_waitlisted_pupil_can_take_a_free_place(world):
    published(world)
    p = programme(world, capacity=1)
    e = Enrolment.objects.create(
        programme=p, student=world.pupil, status="waitlisted", source="allocation", position=1
    )
    joined = services.join_free_place(student=world.pupil, programme=p)
    assert joined.id == e.id and joined.status == "allocated" and joined.position is None


def test_settings_and_schedule(world):
    programme(world)
    with pytest.raises(ValidationError):
        services.save_settings(acc=operator_access(world.school), hotline="", mailbox="")
    with pytest.raises(PermissionDenied):
        services.save_settings(
            acc=access_school(world.afterschool, world.school.id), hotline="1", mailbox=""
        )
    services.save_settings(acc=operator_access(world.school), hotline="0421-1234567", mailbox="")
    sched = selectors.schedule(world.school, term(world))
    assert sched.hotline == "0421-1234567"
    assert [d for d, _ in sched.days] == [0, 1, 2, 3, 4]


def test_priority_uses_care_flags(world):
    StudentCareFlag.objects.filter(student=world.pupil).delete()
    t = term(world)
    p = programme(world, capacity=1)
    services.save_preference(user=world.parent, student=world.pupil, term=t, programme_ids=[p.id])
    run = services.run_allocation(school=world.school, term=t, seed="x", actor=None)
    assert run.results[0]["priority"] is False
    assert parent_of(world.pupil2)  # helper works for other children too


def test_programme_list_query_count(world, django_assert_max_num_queries):
    for n in range(4):
        programme(world, f"社团{n}", slots=[SlotIn(n, time(16), time(18))])
    t = term(world)
    with django_assert_max_num_queries(3):  # programmes, slots, assistants
        rows = selectors.programmes(world.school, t)
        assert [len(r.slots) for r in rows] == [1, 1, 1, 1]
        assert {r.programme.venue.name for r in rows}


def test_assistant_staff_are_held_to_the_same_clash_rule(world):
    from datetime import time

    from shuangjian.afterschool import services as svc
    from shuangjian.afterschool.models import Programme
    from shuangjian.org.access import access_school
    from shuangjian.org.models import Staff, Venue

    acc = access_school(world.principal, world.school.id)
    term = world.school.terms.first()
    hall, field = (
        Venue.objects.create(school=world.school, name=n, kind="hall", capacity=80)
        for n in ("礼堂", "球场")
    )
    lead, helper = Staff.objects.filter(school=world.school)[:2]
    slot = [svc.SlotIn(0, time(16, 0), time(17, 30))]
    base = {
        "acc": acc,
        "term": term,
        "category": "sports",
        "grade_from": 3,
        "grade_to": 6,
        "capacity": 30,
        "fee": 0,
        "slots": slot,
    }
    first = svc.create_programme(name="篮球", venue=hall, lead=lead, assistants=[helper], **base)
    assert list(first.assistants.all()) == [helper]
    other = Staff.objects.filter(school=world.school).exclude(id__in=[lead.id, helper.id]).first()
    try:
        svc.create_programme(name="足球", venue=field, lead=other, assistants=[helper], **base)
    except Exception as exc:  # the assistant is busy with 篮球 at that time
        assert getattr(exc, "code", "") == "staff_clash"
    else:
        raise AssertionError("an assistant was double-booked")
    assert not Programme.objects.filter(name="足球").exists()
