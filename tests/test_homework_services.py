"""Publishing homework against the limits, with head-teacher coordination (HW-01 … HW-08)."""

from datetime import date, timedelta

import pytest

from shuangjian.errors import RuleViolation
from shuangjian.homework import selectors, services
from shuangjian.homework.models import Alert, Feedback, Homework, HomeworkPolicy
from shuangjian.notify.models import Notification
from shuangjian.org.models import Role, StaffRole
from tests.world import make_student

MONDAY = date(2026, 11, 23)  # a school day of the world's term
SATURDAY = date(2026, 11, 28)
NATIONAL_DAY = date(2026, 10, 1)


def publish(world, minutes, *, day=MONDAY, subject=None, teacher=None, klass=None, **kw):
    return services.publish_homework(
        teacher=teacher or world.subject_teacher,
        klass=klass or world.class_3_1,
        subject=subject or world.maths,
        day=day,
        content=kw.pop("content", f"课本练习 {minutes} 分钟 {kw.get('tag', '')}"),
        kind=kw.pop("kind", "basic"),
        minutes=minutes,
        confirm_not_punitive=kw.pop("confirm", True),
        today=kw.pop("today", day),
        **{k: v for k, v in kw.items() if k != "tag"},
    )


def refuse_over_limit(world):
    HomeworkPolicy.objects.create(school=world.school, over_limit="refuse")


@pytest.mark.parametrize("second,ok", [(29, True), (30, True), (31, False)])
def test_grade_3_limit_boundary_59_60_61(world, second, ok):
    refuse_over_limit(world)
    publish(world, 30, subject=world.chinese, teacher=world.head_teacher)
    if ok:
        result = publish(world, second)
        assert result.homework.status == "published" and result.total == 30 + second
        assert result.limit == 60
    else:
        with pytest.raises(RuleViolation) as exc:
            publish(world, second)
        err = exc.value
        assert err.code == "daily_limit_exceeded" and err.rule == "HW-02"
        assert err.numbers == {"limit": 60, "used": 30, "minutes": 31, "total": 61}
        assert Homework.objects.count() == 1


def test_over_limit_is_held_for_the_head_teacher_by_default(world):
    publish(world, 40, subject=world.chinese, teacher=world.head_teacher)
    held = publish(world, 30).homework
    assert held.status == "pending"
    assert selectors.notice(world.class_3_1, MONDAY).total == 40  # held items are not on the notice
    assert Notification.objects.filter(user=world.head_teacher, kind="homework_held").exists()
    # Approving as is would break the limit: refused with the numbers.
    with pytest.raises(RuleViolation) as exc:
        services.approve_homework(homework=held, actor=world.head_teacher)
    assert exc.value.code == "daily_limit_exceeded"
    # Trimmed to fit: published, with the trim on record.
    result = services.approve_homework(
        homework=held, actor=world.head_teacher, minutes=20, note="压缩到20分钟"
    )
    assert result.homework.status == "published" and result.total == 60
    assert held.events.filter(action="trimmed").get().detail["minutes_before"] == 30
    assert Notification.objects.filter(
        user=world.subject_teacher, kind="homework_approved"
    ).exists()


def test_returned_item_needs_a_note_and_is_not_published(world):
    publish(world, 50, subject=world.chinese, teacher=world.head_teacher)
    held = publish(world, 30).homework
    with pytest.raises(RuleViolation):
        services.return_homework(homework=held, actor=world.head_teacher, note=" ")
    services.return_homework(homework=held, actor=world.head_teacher, note="数学今天少留一些")
    held.refresh_from_db()
    assert held.status == "returned" and held.note == "数学今天少留一些"
    with pytest.raises(RuleViolation) as exc:
        services.approve_homework(homework=held, actor=world.head_teacher)
    assert exc.value.code == "not_pending"


def test_no_written_homework_in_grade_2(world):
    klass = world.school.classes.create(grade=2, number=1)
    StaffRole.objects.create(
        staff=world.subject_teacher.staff_posts.get(),
        role=Role.SUBJECT_TEACHER,
        school_class=klass,
        subject=world.maths,
    )
    with pytest.raises(RuleViolation) as exc:
        publish(world, 10, klass=klass)
    assert exc.value.code == "written_homework_not_allowed" and exc.value.rule == "HW-02"
    # Reading and practical work are fine.
    assert publish(world, 20, klass=klass, kind="reading").homework.status == "published"
    assert (
        publish(world, 20, klass=klass, kind="practical", content="观察一种植物").homework.status
        == "published"
    )


def test_weekend_and_holiday_limits(world):
    refuse_over_limit(world)
    services.add_limit_override(
        school=world.school, grade_from=3, grade_to=6, day_kind="weekend", minutes=40
    )
    assert selectors.day_kind(world.school, SATURDAY).value == "weekend"
    publish(world, 40, day=SATURDAY)
    with pytest.raises(RuleViolation) as exc:
        publish(world, 1, day=SATURDAY, subject=world.chinese, teacher=world.head_teacher)
    assert exc.value.numbers["limit"] == 40
    # National Day is a statutory holiday: the (unchanged) daily limit applies there.
    assert selectors.day_kind(world.school, NATIONAL_DAY).value == "holiday"
    assert publish(world, 60, day=NATIONAL_DAY).limit == 60
    assert selectors.day_kind(world.school, date(2027, 2, 1)).value == "vacation"


def test_local_limits_can_only_be_stricter(world):
    with pytest.raises(RuleViolation) as exc:
        services.add_limit_override(
            region=world.county, grade_from=3, grade_to=9, day_kind="school_day", minutes=70
        )
    assert exc.value.code == "looser_than_national" and exc.value.numbers["grade"] == 3
    services.add_limit_override(
        region=world.county, grade_from=3, grade_to=6, day_kind="school_day", minutes=50
    )
    assert (
        selectors.class_limit(world.class_3_1, selectors.day_kind(world.school, MONDAY)).minutes
        == 50
    )
    # The other county's schools keep the national limit.
    other = world.other_class
    assert selectors.class_limit(other, selectors.day_kind(other.school, MONDAY)).minutes == 60


def test_tiers_count_at_each_pupils_tier(world):
    refuse_over_limit(world)
    a, b = world.pupil, make_student(world.class_3_1, "2026030102", "赵小雨", "F")
    tiers = [services.TierSpec("A层", 15, (a.id,)), services.TierSpec("B层", 25, (b.id,))]
    result = publish(world, 20, tiers=tiers)
    assert result.total == 25
    publish(world, 35, subject=world.chinese, teacher=world.head_teacher)  # b: 60, a: 50
    with pytest.raises(RuleViolation) as exc:
        publish(world, 1, content="口算一页")
    assert exc.value.numbers["total"] == 61


def test_unassigned_pupil_counts_at_the_longest_tier(world):
    refuse_over_limit(world)
    extra = make_student(world.class_3_1, "2026030103", "孙小北")
    tiers = [services.TierSpec("A层", 15, (world.pupil.id,)), services.TierSpec("B层", 40, ())]
    assert publish(world, 15, tiers=tiers).total == 40  # `extra` sits in no tier: 40 counts
    assert extra.id not in {
        p.id for t in Homework.objects.get().tiers.all() for p in t.pupils.all()
    }


def test_elastic_items_are_shown_but_not_counted(world):
    refuse_over_limit(world)
    publish(world, 60, subject=world.chinese, teacher=world.head_teacher)
    result = publish(world, 30, elastic=True, content="选做：数学小游戏")
    assert result.homework.status == "published" and result.total == 60
    assert len(selectors.notice(world.class_3_1, MONDAY).items) == 2


@pytest.mark.parametrize(
    "content,practice",
    [
        ("完成后请家长批改签字", "parent_homework"),
        ("用手机拍照上传", "phone_required"),
        ("口算打卡21天", "check_in"),
        ("做完自批自改", "self_grading"),
    ],
)
def test_forbidden_practices_are_refused_with_the_rule(world, content, practice):
    with pytest.raises(RuleViolation) as exc:
        publish(world, 10, content=content)
    assert exc.value.code == "forbidden_practice" and exc.value.rule == "HW-05"
    assert exc.value.numbers["practice"] == practice
    assert not Homework.objects.exists()


def test_teacher_must_state_it_is_not_punitive(world):
    with pytest.raises(RuleViolation) as exc:
        publish(world, 10, confirm=False)
    assert exc.value.field == "confirm_not_punitive"


def test_same_item_again_in_the_week_is_flagged_for_the_head_teacher(world):
    publish(world, 10, content="课本第45页练习七")
    again = publish(
        world, 10, day=MONDAY + timedelta(days=2), content="课本第45页 练习七。", today=MONDAY
    )
    assert again.homework.repeated
    assert Notification.objects.filter(user=world.head_teacher, kind="homework_repeated").exists()
    next_week = publish(
        world, 10, day=MONDAY + timedelta(days=7), content="课本第45页练习七", today=MONDAY
    )
    assert not next_week.homework.repeated


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 241}, "minutes"),
        ({"content": "  "}, "content"),
        ({"day": MONDAY - timedelta(days=1), "today": MONDAY}, "day"),
        ({"day": MONDAY + timedelta(days=15), "today": MONDAY}, "day"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(world, kw, field):
    minutes = kw.pop("minutes", 10)
    with pytest.raises(RuleViolation) as exc:
        publish(world, minutes, **kw)
    assert exc.value.field == field
    assert not Homework.objects.exists()


def test_pupil_of_another_class_cannot_be_put_in_a_tier(world):
    with pytest.raises(RuleViolation) as exc:
        publish(world, 10, tiers=[services.TierSpec("A", 10, (world.pupil2.id,))])
    assert exc.value.field == "tiers"


def test_feedback_and_compliance_figures(world):
    other = make_student(world.class_3_1, "2026030104", "钱小多")
    publish(world, 50)
    services.submit_feedback(
        reporter=world.parent,
        student=world.pupil,
        day=MONDAY,
        minutes=55,
        mostly_at_school=True,
        today=MONDAY,
    )
    services.submit_feedback(
        reporter=world.parent,
        student=other,
        day=MONDAY,
        minutes=75,
        mostly_at_school=False,
        today=MONDAY,
    )
    [row] = selectors.compliance(world.school, MONDAY, MONDAY, by="school")
    assert (row.pupil_days, row.within, row.share, row.mostly_at_school) == (2, 1, 0.5, 1)
    # One report per pupil-day: a second one replaces the first.
    services.submit_feedback(
        reporter=world.parent,
        student=world.pupil,
        day=MONDAY,
        minutes=65,
        mostly_at_school=False,
        today=MONDAY,
    )
    assert Feedback.objects.filter(student=world.pupil).count() == 1
    [row] = selectors.compliance(world.school, MONDAY, MONDAY, by="school")
    assert row.within == 0


def test_itemised_feedback_gives_the_gap_per_subject(world):
    hw = publish(world, 30).homework
    services.submit_feedback(
        reporter=world.parent,
        student=world.pupil,
        day=MONDAY,
        mostly_at_school=True,
        item_minutes={hw.id: 45},
        today=MONDAY,
    )
    assert Feedback.objects.get().minutes == 45
    [gap] = selectors.estimate_gaps(world.school, MONDAY, MONDAY)
    assert (gap.subject, gap.estimated, gap.actual, gap.gap) == ("数学", 30.0, 45.0, 15.0)
    with pytest.raises(RuleViolation):
        services.submit_feedback(
            reporter=world.parent,
            student=world.pupil,
            day=MONDAY,
            mostly_at_school=True,
            item_minutes={hw.id + 999: 5},
            today=MONDAY,
        )
    with pytest.raises(RuleViolation) as exc:
        services.submit_feedback(
            reporter=world.parent,
            student=world.pupil,
            day=MONDAY - timedelta(days=8),
            minutes=10,
            mostly_at_school=True,
            today=MONDAY,
        )
    assert exc.value.field == "day"


def test_three_school_days_over_the_limit_alert_once(world):
    academic = world.academic
    days = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]  # Wed–Fri
    for i, d in enumerate(days):
        services.submit_feedback(
            reporter=world.parent,
            student=world.pupil,
            day=d,
            minutes=75,
            mostly_at_school=False,
            today=days[-1],
        )
        assert Alert.objects.exists() is (i == 2)
    alert = Alert.objects.get()
    assert alert.last_day == days[-1] and len(alert.detail["days"]) == 3
    assert (
        Notification.objects.filter(user=world.head_teacher, kind="homework_over_limit").count()
        == 1
    )
    assert Notification.objects.filter(user=academic, kind="homework_over_limit").count() == 1
    services.submit_feedback(
        reporter=world.parent,
        student=world.pupil,
        day=days[-1],
        minutes=80,
        mostly_at_school=False,
        today=days[-1],
    )
    assert Alert.objects.count() == 1


def test_a_day_within_the_limit_breaks_the_streak(world):
    for d, m in [(date(2026, 11, 18), 75), (date(2026, 11, 19), 50), (date(2026, 11, 20), 75)]:
        services.submit_feedback(
            reporter=world.parent,
            student=world.pupil,
            day=d,
            minutes=m,
            mostly_at_school=False,
            today=date(2026, 11, 20),
        )
    assert not Alert.objects.exists()


def test_grading_and_audit(world):
    hw = publish(world, 20).homework
    g = services.record_grading(homework=hw, actor=world.subject_teacher, full=True, face_to_face=5)
    assert g.full and hw.events.filter(action="graded").exists()
    with pytest.raises(RuleViolation):
        services.record_grading(
            homework=hw, actor=world.subject_teacher, full=True, face_to_face=-1
        )
    with pytest.raises(RuleViolation) as exc:
        services.record_audit(
            klass=world.class_3_1,
            week_start=MONDAY,
            auditor=world.academic,
            verdict="correct",
            findings="周三超量",
            corrections="",
        )
    assert exc.value.field == "corrections"
    audit = services.record_audit(
        klass=world.class_3_1,
        week_start=MONDAY + timedelta(days=2),
        auditor=world.academic,
        verdict="correct",
        findings="周三超量",
        corrections="周三数学减量",
    )
    assert audit.week_start == MONDAY
    assert Notification.objects.filter(user=world.head_teacher, kind="homework_audit").exists()
