"""HW-02 and HW-05 as plain rules: limits at their boundaries, tiers, forbidden practices."""

import pytest

from shuangjian.rules import homework as rules
from shuangjian.rules.homework import DayKind, Item, Kind, Override


@pytest.mark.parametrize(
    "grade,minutes", [(1, 0), (2, 0), (3, 60), (4, 60), (6, 60), (7, 90), (9, 90), (10, None)]
)
def test_national_limits(grade, minutes):
    assert rules.limit_for(grade, DayKind.SCHOOL_DAY).minutes == minutes


def test_overrides_only_make_it_stricter():
    weekend_45 = Override(45, "北票市", frozenset({3, 4}), frozenset({DayKind.WEEKEND}))
    assert rules.limit_for(4, DayKind.WEEKEND, [weekend_45]).minutes == 45
    assert rules.limit_for(4, DayKind.WEEKEND, [weekend_45]).origin == "北票市"
    assert rules.limit_for(4, DayKind.SCHOOL_DAY, [weekend_45]).minutes == 60
    assert rules.limit_for(5, DayKind.WEEKEND, [weekend_45]).minutes == 60
    looser = Override(80, "x", frozenset({4}), frozenset({DayKind.SCHOOL_DAY}))
    assert rules.limit_for(4, DayKind.SCHOOL_DAY, [looser]).minutes == 60  # ignored if it slips in
    assert rules.check_override(4, 61) == "looser_than_national"
    assert rules.check_override(4, 60) is None
    assert rules.check_override(2, 1) == "looser_than_national"
    assert rules.check_override(11, 200) is None  # senior grades have no national cap


def written(minutes, **kw):
    return Item(key=object(), kind=Kind.BASIC, minutes=minutes, **kw)


@pytest.mark.parametrize("total,within", [(59, True), (60, True), (61, False)])
def test_grade_4_boundary(total, within):
    items = [written(30), written(total - 30)]
    load = rules.heaviest_load(items, pupils=[1, 2])
    assert load == total
    assert (load <= rules.limit_for(4, DayKind.SCHOOL_DAY).minutes) is within


def test_non_written_and_elastic_items_do_not_count():
    items = [
        written(40),
        Item(key=1, kind=Kind.READING, minutes=30),
        Item(key=2, kind=Kind.PRACTICAL, minutes=30),
        written(30, elastic=True),
    ]
    assert rules.heaviest_load(items, pupils=[1]) == 40


def test_tiers_count_at_the_pupils_tier_and_unassigned_at_the_longest():
    tiered = written(0, tiers={"A": 15, "B": 25}, tier_of={1: "A", 2: "B"})
    assert tiered.minutes_for(1) == 15
    assert tiered.minutes_for(2) == 25
    assert tiered.minutes_for(3) == 25  # not placed in a tier: never under-count
    # Pupil 1 (tier A) with a 40-minute item: 55; pupil 2 (tier B): 65 — the class is over 60.
    assert rules.heaviest_load([tiered, written(40)], pupils=[1, 2]) == 65
    assert rules.heaviest_load([tiered, written(40)], pupils=[1]) == 55


def test_personal_items_count_only_for_their_pupils():
    personal = written(20, only_for=frozenset({2}))
    assert rules.heaviest_load([written(45), personal], pupils=[1]) == 45
    assert rules.heaviest_load([written(45), personal], pupils=[1, 2]) == 65


@pytest.mark.parametrize(
    "text,code",
    [
        ("完成练习册第3页，请家长批改并签字", "parent_homework"),
        ("家长检查背诵情况", "parent_homework"),
        ("亲子作业：和家长一起完成手抄报", "parent_homework"),
        ("用手机拍照上传到班级群", "phone_required"),
        ("在钉钉提交朗读视频", "phone_required"),
        ("下载APP完成口算练习", "phone_required"),
        ("每天朗读打卡", "check_in"),
        ("完成后自批自改", "self_grading"),
        ("对答案后订正", "self_grading"),
        ("错字罚抄20遍", "punitive"),
        ("生字抄写10遍", "punitive"),
    ],
)
def test_forbidden_practices_are_named(text, code):
    assert code in [v.code for v in rules.forbidden_practices(text)]
    assert all(v.rule == "HW-05" for v in rules.forbidden_practices(text))


@pytest.mark.parametrize(
    "text",
    [
        "课本第45页练习七第1—5题",
        "阅读《草房子》第三章，摘抄好词好句",
        "观察月亮的变化，画出观察记录",
        "完成练习册第12课基础练习",
        "复习Unit 3单词，准备听写",
    ],
)
def test_ordinary_homework_passes(text):
    assert rules.forbidden_practices(text) == []


def test_normalised_content_ignores_spacing_and_punctuation():
    assert rules.normalise_content("课本第45页 练习七，第1题。") == rules.normalise_content(
        "课本第45页练习七第1题"
    )
