"""Anonymous parent questionnaires (SV-05): building, opening, inviting, answering, results."""

import pytest

from shuangjian.errors import RuleViolation
from shuangjian.org.models import Guardianship, School, SchoolClass, Student, hash_secret
from shuangjian.surveys import selectors, services
from shuangjian.surveys.models import (
    Answer,
    Choice,
    Invitation,
    Invitee,
    Question,
    Response,
    Survey,
)
from shuangjian.surveys.selectors import Group, Node, suppress
from tests.world import make_student

Kind = Question.Kind


def add_pupils(klass: SchoolClass, count: int, prefix: str) -> list[Student]:
    return [make_student(klass, f"{prefix}{n:03d}") for n in range(count)]


def bureau_survey(world, **kwargs) -> Survey:
    return services.create_standard_survey(actor=world.officer, region=world.county, **kwargs)


def codes_of(slips, klass) -> list[str]:
    return [s.code for s in slips if s.class_id == klass.id]


def standard_answers(survey: Survey, *, yes: bool = True, text: str = "") -> dict:
    """An answer to every question of the standard survey: the first choice (yes: the first
    affirming one, else the first denying one)."""
    answers = {}
    for q in survey.questions.prefetch_related("choices"):
        if q.kind == Kind.TEXT:
            if text:
                answers[q.id] = text
            continue
        wanted = [c for c in q.choices.all() if c.affirms is yes]
        answers[q.id] = wanted[0].id
    return answers


def question(survey: Survey, indicator: str) -> Question:
    return survey.questions.get(indicator=indicator)


# -- Building ----------------------------------------------------------------------------------


def test_the_standard_questionnaire_carries_the_national_questions_and_indicators(world):
    survey = bureau_survey(world)
    assert survey.status == Survey.Status.DRAFT and survey.standard
    assert survey.min_group_size == 10
    qs = list(survey.questions.order_by("position"))
    assert [q.indicator for q in qs] == [
        "homework_for_parents",
        "homework_within_time",
        "afterschool_satisfaction",
        "burden_eased",
        "anxiety_eased",
        "satisfaction",
        "",
    ]
    assert "家长" in qs[0].text and "批改" in qs[0].text
    assert "规定时间" in qs[1].text
    assert "课后服务" in qs[2].text
    assert qs[-1].kind == Kind.TEXT and not qs[-1].required
    # Each indicator question says what counts as yes, what as no, and what is left out.
    homework = list(qs[0].choices.values_list("text", "affirms"))
    assert homework == [("没有", False), ("有", True)]
    assert Choice.objects.filter(question=qs[2], affirms=None).count() == 1


def test_a_custom_survey_is_built_then_opened(world):
    survey = services.create_survey(
        actor=world.principal, school=world.school, title=" 课后服务问卷 ", intro="请填写"
    )
    assert survey.title == "课后服务问卷" and survey.school == world.school
    services.add_question(survey=survey, kind=Kind.SINGLE, text="满意吗？", choices=["是", "否"])
    services.add_question(
        survey=survey, kind=Kind.MULTIPLE, text="想要哪些活动？", choices=["体育", "艺术", "科普"]
    )
    services.add_question(
        survey=survey, kind=Kind.SCALE, text="打分", indicator="afterschool_satisfaction"
    )
    services.add_question(survey=survey, kind=Kind.TEXT, text="建议", required=False)
    assert list(survey.questions.values_list("position", flat=True)) == [1, 2, 3, 4]
    services.open_survey(survey=survey)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN and survey.opened_at is not None


def test_a_survey_without_questions_cannot_open(world):
    survey = services.create_survey(actor=world.officer, region=world.county, title="空问卷")
    with pytest.raises(RuleViolation) as exc:
        services.open_survey(survey=survey)
    assert exc.value.code == "no_questions"
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT


def test_questions_are_frozen_once_open(world):
    survey = bureau_survey(world)
    services.open_survey(survey=survey)
    before = list(Question.objects.values_list("id", "position", "text"))
    with pytest.raises(RuleViolation) as exc:
        services.add_question(survey=survey, kind=Kind.TEXT, text="新问题")
    assert exc.value.code == "questions_frozen" and exc.value.rule == "SV-05"
    with pytest.raises(RuleViolation):
        services.remove_question(question=survey.questions.first())
    with pytest.raises(RuleViolation):
        services.update_survey(survey=survey, title="改名", intro="", min_group_size=5)
    assert list(Question.objects.values_list("id", "position", "text")) == before
    services.close_survey(survey=survey)
    with pytest.raises(RuleViolation) as exc:
        services.open_survey(survey=survey)
    assert exc.value.code == "bad_state"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": Kind.SINGLE, "text": "只有一个选项", "choices": ["是"]}, "choices"),
        ({"kind": Kind.SINGLE, "text": "重复", "choices": ["是", "是"]}, "choices"),
        ({"kind": Kind.TEXT, "text": "文本", "choices": ["是", "否"]}, "choices"),
        ({"kind": Kind.SINGLE, "text": "", "choices": ["是", "否"]}, "text"),
        ({"kind": "essay", "text": "作文"}, "kind"),
        ({"kind": Kind.TEXT, "text": "文本", "indicator": "satisfaction"}, "indicator"),
        ({"kind": Kind.SCALE, "text": "打分", "indicator": "no_such_key"}, "indicator"),
        (
            {
                "kind": Kind.SINGLE,
                "text": "满意吗",
                "choices": ["是", "否"],
                "indicator": "satisfaction",
            },
            "affirms",
        ),
        (
            {
                "kind": Kind.SINGLE,
                "text": "满意吗",
                "choices": ["是", "否"],
                "indicator": "satisfaction",
                "affirms": [True, True],
            },
            "affirms",
        ),
    ],
)
def test_bad_questions_are_refused_naming_the_field(world, kwargs, field):
    survey = services.create_survey(actor=world.officer, region=world.county, title="问卷")
    with pytest.raises(RuleViolation) as exc:
        services.add_question(survey=survey, **kwargs)
    assert exc.value.field == field
    assert not Question.objects.exists()


def test_an_indicator_feeds_one_question_per_survey(world):
    survey = bureau_survey(world)
    with pytest.raises(RuleViolation) as exc:
        services.add_question(survey=survey, kind=Kind.SCALE, text="再问", indicator="satisfaction")
    assert exc.value.field == "indicator"


@pytest.mark.parametrize("size", [0, 4])
def test_the_smallest_group_shown_is_never_below_five(world, size):
    with pytest.raises(RuleViolation) as exc:
        services.create_survey(
            actor=world.officer, region=world.county, title="问卷", min_group_size=size
        )
    assert exc.value.field == "min_group_size"
    assert not Survey.objects.exists()


# -- Inviting ----------------------------------------------------------------------------------


def test_each_pupil_gets_one_code_and_only_its_hash_is_kept(world):
    add_pupils(world.class_3_1, 3, "X")
    Guardianship.objects.create(user=world.parent, student=world.pupil2, relation="父亲")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1, world.class_3_2])
    # 4 pupils in 3-1 and 1 in 3-2; the parent with a child in each gets two codes.
    assert len(slips) == 5 and len({s.code for s in slips}) == 5
    assert [s.class_id for s in slips] == [world.class_3_1.id] * 4 + [world.class_3_2.id]
    assert all(len(s.code) == 14 and s.code.count("-") == 2 for s in slips)  # ABCD-EFGH-JKLM
    stored = set(Invitation.objects.values_list("code_hash", flat=True))
    assert stored == {hash_secret(services.normalise_code(s.code)) for s in slips}
    assert Invitee.objects.filter(survey=survey).count() == 5
    assert set(Invitation.objects.values_list("grade", "school_class_id")) == {
        (3, world.class_3_1.id),
        (3, world.class_3_2.id),
    }
    # Inviting the same classes again gives nobody a second code.
    assert services.invite_parents(survey=survey, classes=[world.class_3_1]) == []
    assert Invitation.objects.count() == 5
    # A pupil who joins later gets one.
    make_student(world.class_3_1, "LATE001")
    assert len(services.invite_parents(survey=survey, classes=[world.class_3_1])) == 1


def test_pupils_who_left_are_not_invited(world):
    Student.objects.filter(id=world.pupil.id).update(active=False)
    survey = bureau_survey(world)
    assert services.invite_parents(survey=survey, classes=[world.class_3_1]) == []


def test_invitations_stay_within_the_owner(world):
    school_survey = services.create_standard_survey(actor=world.principal, school=world.school)
    with pytest.raises(RuleViolation) as exc:
        services.invite_parents(survey=school_survey, classes=[world.other_class])
    assert exc.value.code == "out_of_scope"
    county_survey = bureau_survey(world)
    with pytest.raises(RuleViolation):
        services.invite_parents(survey=county_survey, classes=[world.other_class])
    assert not Invitation.objects.exists() and not Invitee.objects.exists()
    # A city survey reaches both counties.
    city_survey = services.create_standard_survey(actor=world.officer, region=world.city)
    slips = services.invite_parents(survey=city_survey, classes=[world.other_class])
    assert len(slips) == 1


def test_a_closed_survey_invites_nobody(world):
    survey = bureau_survey(world)
    services.open_survey(survey=survey)
    services.close_survey(survey=survey)
    with pytest.raises(RuleViolation):
        services.invite_parents(survey=survey, classes=[world.class_3_1])


# -- Answering ---------------------------------------------------------------------------------


def test_a_code_gives_one_response_and_a_second_use_reads_as_unknown(world):
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    answers = standard_answers(survey, text="很好")
    services.submit_response(code=slip.code.lower(), answers=answers)  # typed in lower case
    response = Response.objects.get()
    assert (response.school_id, response.grade, response.school_class_id) == (
        world.school.id,
        3,
        world.class_3_1.id,
    )
    assert Answer.objects.count() == 7
    assert not Invitation.objects.exists()
    with pytest.raises(RuleViolation) as used:
        services.submit_response(code=slip.code, answers=answers)
    with pytest.raises(RuleViolation) as unknown:
        services.submit_response(code="ABCD-EFGH-JKLM", answers=answers)
    assert used.value.code == unknown.value.code == "invalid_code"
    assert used.value.messages == unknown.value.messages
    assert Response.objects.count() == 1


def test_codes_work_only_while_the_survey_is_open(world):
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    answers = standard_answers(survey)
    with pytest.raises(RuleViolation) as exc:  # still a draft
        services.submit_response(code=slip.code, answers=answers)
    assert exc.value.code == "invalid_code"
    services.open_survey(survey=survey)
    services.close_survey(survey=survey)
    assert not Invitation.objects.exists()  # unused codes are deleted on closing
    with pytest.raises(RuleViolation):
        services.submit_response(code=slip.code, answers=answers)
    assert not Response.objects.exists()


def _bad(survey: Survey, position: int, value) -> dict:
    answers = standard_answers(survey)
    q = survey.questions.get(position=position)
    if value is None:
        answers.pop(q.id)
    else:
        answers[q.id] = value
    return answers


@pytest.mark.parametrize(
    ("position", "value", "code"),
    [
        (1, "other-question-choice", "invalid_answer"),  # a choice of question 2
        (1, 999999, "invalid_answer"),
        (1, [1, 2], "invalid_answer"),
        (6, None, "answer_required"),
        (6, "", "answer_required"),
        (7, "字" * 501, "text_too_long"),
        (7, 12, "invalid_answer"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(world, position, value, code):
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    if value == "other-question-choice":
        value = survey.questions.get(position=2).choices.first().id
    answers = _bad(survey, position, value)
    q = survey.questions.get(position=position)
    with pytest.raises(RuleViolation) as exc:
        services.submit_response(code=slip.code, answers=answers)
    assert exc.value.code == code
    assert exc.value.field == f"q{q.id}"
    assert exc.value.numbers == {"question": q.id, "position": position}
    assert f"{position}" in exc.value.messages[0]
    # Nothing written, and the code still works.
    assert not Response.objects.exists() and not Answer.objects.exists()
    services.submit_response(code=slip.code, answers=standard_answers(survey))
    assert Response.objects.count() == 1


def test_every_kind_of_answer_is_stored(world):
    survey = services.create_survey(actor=world.principal, school=world.school, title="问卷")
    single = services.add_question(survey=survey, kind=Kind.SINGLE, text="单选", choices=["A", "B"])
    multi = services.add_question(
        survey=survey, kind=Kind.MULTIPLE, text="多选", choices=["A", "B", "C"]
    )
    scale = services.add_question(survey=survey, kind=Kind.SCALE, text="打分")
    text = services.add_question(survey=survey, kind=Kind.TEXT, text="建议", required=False)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    a, c = multi.choices.get(text="A"), multi.choices.get(text="C")
    with pytest.raises(RuleViolation) as exc:
        services.submit_response(
            code=slip.code,
            answers={single.id: single.choices.first().id, multi.id: [a.id], scale.id: 6},
        )
    assert exc.value.field == f"q{scale.id}"
    with pytest.raises(RuleViolation) as exc:
        services.submit_response(
            code=slip.code,
            answers={single.id: single.choices.first().id, multi.id: [a.id, a.id], scale.id: 3},
        )
    assert exc.value.field == f"q{multi.id}"
    with pytest.raises(RuleViolation) as exc:
        services.submit_response(code=slip.code, answers={987654: 1})
    assert exc.value.field == "q987654"
    services.submit_response(
        code=slip.code,
        answers={single.id: str(single.choices.first().id), multi.id: [a.id, c.id], scale.id: "4"},
    )
    rows = Answer.objects.order_by("question__position", "choice__position")
    assert [(r.question_id, r.choice_id, r.value, r.text) for r in rows] == [
        (single.id, single.choices.first().id, None, ""),
        (multi.id, a.id, None, ""),
        (multi.id, c.id, None, ""),
        (scale.id, None, 4, ""),
    ]
    assert not Answer.objects.filter(question=text).exists()  # optional, left blank


# -- Results: suppression ----------------------------------------------------------------------


def tree(spec) -> Node:
    """('name', n, [children]) → Node tree."""
    name, n, kids = spec
    node = Node(key=name, level="x", label=name, n=n)
    node.children = [tree(k) for k in kids]
    return node


def hidden(root: Node) -> set[str]:
    return {n.key for n in root.walk() if n.hidden}


def test_small_groups_are_hidden_with_a_second_one_to_block_subtraction():
    root = tree(("all", 30, [("a", 3, []), ("b", 12, []), ("c", 15, [])]))
    suppress(root, 10)
    assert hidden(root) == {"a", "b"}  # b: the smallest other child
    assert root.find("a").small and not root.find("b").small


def test_two_small_siblings_protect_each_other():
    root = tree(("all", 30, [("a", 3, []), ("b", 4, []), ("c", 23, [])]))
    suppress(root, 10)
    assert hidden(root) == {"a", "b"}


def test_groups_without_responses_hide_nothing():
    root = tree(("all", 25, [("a", 0, []), ("b", 12, []), ("c", 13, [])]))
    suppress(root, 10)
    assert hidden(root) == set()


def test_a_hidden_group_is_not_the_sum_of_shown_children():
    # s2 is the lone small school, so s1 (the smallest other) is hidden too; s1's grades are
    # each large enough, but showing them all would rebuild s1, so one is hidden, and then its
    # sibling, and so on down.
    root = tree(
        (
            "all",
            49,
            [
                ("s1", 40, [("g1", 20, [("k1", 10, []), ("k2", 10, [])]), ("g2", 20, [])]),
                ("s2", 4, []),
                ("s3", 5, []),
            ],
        )
    )
    suppress(root, 10)
    assert {"s2", "s3"} <= hidden(root)  # two small schools protect each other
    assert "s1" not in hidden(root)
    # s2 small → s1 hidden → one of its grades hidden → then the other too.
    root = tree(("all", 45, [("s1", 40, [("g1", 22, []), ("g2", 18, [])]), ("s2", 5, [])]))
    suppress(root, 10)
    assert hidden(root) == {"s1", "s2", "g1", "g2"}


def test_a_small_total_hides_everything():
    root = tree(("all", 8, [("a", 5, []), ("b", 3, [])]))
    suppress(root, 10)
    assert hidden(root) == {"all", "b", "a"}


# -- Results: groups and indicators ------------------------------------------------------------


@pytest.fixture
def answered(world):
    """A county survey over school A: 3-1 has 12 responses, 3-2 has 4, 7-1 has 11."""
    add_pupils(world.class_3_1, 13, "P31")
    add_pupils(world.class_3_2, 5, "P32")
    add_pupils(world.class_7_1, 12, "P71")
    survey = bureau_survey(world)
    slips = services.invite_parents(
        survey=survey, classes=[world.class_3_1, world.class_3_2, world.class_7_1]
    )
    services.open_survey(survey=survey)
    plan = {world.class_3_1: 12, world.class_3_2: 4, world.class_7_1: 11}
    for klass, count in plan.items():
        for n, code in enumerate(codes_of(slips, klass)[:count]):
            # In each class one family in four is not satisfied; every one writes a text.
            answers = standard_answers(survey, yes=n % 4 != 0, text=f"{klass.id}-{n}")
            services.submit_response(code=code, answers=answers)
    return survey


def test_results_count_by_school_grade_and_class_hiding_small_groups(world, answered):
    root = selectors.group_tree(answered)
    school = root.find(f"s{world.school.id}")
    grade3 = root.find(f"g{world.school.id}-3")
    c31, c32, c71 = (
        root.find(f"k{k.id}") for k in (world.class_3_1, world.class_3_2, world.class_7_1)
    )
    assert (root.n, school.n, grade3.n, c31.n, c32.n, c71.n) == (27, 27, 16, 12, 4, 11)
    assert (root.invited, c31.invited, c32.invited) == (32, 14, 6)
    assert c32.hidden and c32.small  # too few
    assert c31.hidden and not c31.small  # 3-1 = grade 3 − 3-2 otherwise
    assert not grade3.hidden and not c71.hidden and not school.hidden
    assert selectors.label(c32) != selectors.label(c31) != ""
    res = selectors.results(answered, group=Group(class_id=world.class_3_2.id))
    assert res.node.key == c32.key and res.node.hidden
    assert res.questions == []  # nothing of a hidden group, not even its texts


def test_shares_per_question_and_texts_in_random_order(world, answered):
    res = selectors.results(answered, group=Group(school_id=world.school.id, grade=3))
    by_indicator = {r.question.indicator: r for r in res.questions}
    sat = by_indicator["satisfaction"]
    assert sat.answered == 16
    # 3-1: n = 0,4,8 not satisfied (3 of 12); 3-2: n = 0 (1 of 4)
    assert [c.count for c in sat.choices] == [12, 0, 4, 0]
    assert sat.indicator_share == pytest.approx(12 / 16)
    texts = by_indicator[""].texts
    assert sorted(texts) == sorted(
        [f"{world.class_3_1.id}-{n}" for n in range(12)]
        + [f"{world.class_3_2.id}-{n}" for n in range(4)]
    )
    orders = {tuple(selectors.results(answered).questions[-1].texts) for _ in range(5)}
    assert len(orders) > 1  # shuffled each time (27! orders: the same five times never happens)


def test_indicator_shares_for_shown_groups_only(world, answered):
    total = selectors.indicator_shares(answered)
    assert set(total) == {
        "homework_for_parents",
        "homework_within_time",
        "afterschool_satisfaction",
        "burden_eased",
        "anxiety_eased",
        "satisfaction",
    }
    assert total["satisfaction"] == pytest.approx(20 / 27)  # 3 + 1 + 3 not satisfied
    assert total["homework_for_parents"] == pytest.approx(20 / 27)  # "yes" here is the bad one
    grade7 = selectors.indicator_shares(answered, Group(class_id=world.class_7_1.id))
    assert grade7["satisfaction"] == pytest.approx(8 / 11)
    assert selectors.indicator_shares(answered, Group(class_id=world.class_3_2.id)) == {}
    assert selectors.indicator_shares(answered, Group(class_id=world.class_3_1.id)) == {}
    assert selectors.indicator_shares(answered, Group(school_id=world.other_school.id)) == {}


def test_not_applicable_answers_are_left_out_of_an_indicator(world):
    add_pupils(world.class_3_1, 11, "NA")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    after = question(survey, "afterschool_satisfaction")
    na = after.choices.get(affirms=None)
    for n, slip in enumerate(slips[:10]):
        answers = standard_answers(survey)
        if n < 4:
            answers[after.id] = na.id  # does not attend
        elif n < 5:
            answers[after.id] = after.choices.filter(affirms=False).first().id
        services.submit_response(code=slip.code, answers=answers)
    shares = selectors.indicator_shares(survey, Group(class_id=world.class_3_1.id))
    assert shares["afterschool_satisfaction"] == pytest.approx(5 / 6)


def test_the_threshold_is_a_survey_setting(world):
    add_pupils(world.class_3_1, 5, "T")
    survey = bureau_survey(world, min_group_size=5)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    for slip in slips[:5]:
        services.submit_response(code=slip.code, answers=standard_answers(survey))
    node = selectors.group_tree(survey).find(f"k{world.class_3_1.id}")
    assert node.n == 5 and not node.hidden
    Survey.objects.filter(id=survey.id).update(min_group_size=6)
    survey.refresh_from_db()
    assert selectors.group_tree(survey).find(f"k{world.class_3_1.id}").hidden


def test_a_school_sees_its_own_part_of_a_bureau_survey(world, answered):
    second = School.objects.create(
        name="北票市第三小学", code="A003", county=world.county, stage="primary"
    )
    klass = SchoolClass.objects.create(school=second, grade=3, number=1)
    add_pupils(klass, 2, "S2")
    services.invite_parents(survey=answered, classes=[klass])
    scope = Group(school_id=world.school.id)
    res = selectors.results(answered, scope=scope)
    assert res.tree.key == f"s{world.school.id}" and res.node is res.tree
    assert {n.key for n in res.tree.walk()} >= {f"k{world.class_3_1.id}"}
    assert f"s{second.id}" not in {n.key for n in res.tree.walk()}
    with pytest.raises(LookupError):
        selectors.results(answered, scope=scope, group=Group(school_id=second.id))
    with pytest.raises(LookupError):
        selectors.results(answered, scope=scope, group=Group())


def test_groups_are_named_by_keys_that_read_back():
    for group in (
        Group(),
        Group(region_id=3),
        Group(school_id=4),
        Group(school_id=4, grade=7),
        Group(class_id=9),
    ):
        assert Group.from_key(group.key) == group
    assert Group.from_key("x1") is None and Group.from_key("g4") is None
    assert Group.from_key("kabc") is None


def test_guessing_codes_is_throttled_per_address(db, client):
    from shuangjian.surveys.services import CODE_GUESSES

    for n in range(CODE_GUESSES.limit):
        assert client.get(f"/api/v1/surveys/answer/WRONG{n:04d}").status_code == 404
    assert CODE_GUESSES.blocked("127.0.0.1")
    # Another address is not affected.
    assert not CODE_GUESSES.blocked("10.1.2.3")
