"""The survey demo (SV-05): deterministic, the national story, and a class held back."""

import hashlib

import pytest

from shuangjian.org import demo
from shuangjian.org.models import School, SchoolClass, Student
from shuangjian.surveys import selectors
from shuangjian.surveys.demo import DEMO_TITLE, LOW_CLASS, load_surveys_demo
from shuangjian.surveys.models import Answer, Invitation, Invitee, Response, Survey
from shuangjian.surveys.selectors import Group


def digest() -> str:
    """The responses by group and answers (ids, codes and order differ between loads)."""
    rows = sorted(
        Answer.objects.values_list(
            "response__school_class__grade",
            "response__school_class__number",
            "response__week",
            "question__position",
            "choice__position",
            "value",
            "text",
        ).order_by()
    )
    per_class = sorted(
        Response.objects.values_list("school_class__grade", "school_class__number").order_by()
    )
    return hashlib.sha256(repr((rows, per_class)).encode()).hexdigest()


@pytest.fixture
def loaded(db):
    demo.load_demo()
    return load_surveys_demo()


def test_the_demo_survey_is_a_closed_standard_survey_of_the_county(loaded):
    survey = loaded
    assert survey.title == DEMO_TITLE and survey.standard
    assert survey.status == Survey.Status.CLOSED
    assert survey.region.code == "211381" and survey.created_by.username == "jiaoyuju"
    school = School.objects.get(code=demo.SCHOOL_1)
    pupils = Student.objects.filter(school=school, active=True).count()
    assert Invitee.objects.filter(survey=survey).count() == pupils
    assert not Invitation.objects.exists()  # used or deleted on closing
    share = Response.objects.filter(survey=survey).count() / pupils
    assert 0.62 <= share <= 0.75
    assert {w.weekday() for w in Response.objects.values_list("week", flat=True)} == {0}


def test_the_demo_tells_the_national_story(loaded):
    shares = selectors.indicator_shares(loaded)
    assert shares["satisfaction"] >= 0.95
    assert shares["homework_for_parents"] <= 0.02
    assert 0.8 <= shares["afterschool_satisfaction"] <= 0.95
    assert 0.6 <= shares["anxiety_eased"] <= 0.8
    assert 0.85 <= shares["homework_within_time"] <= 0.95
    school = School.objects.get(code=demo.SCHOOL_1)
    # The lower grades have no written homework to take home: that is left out, not counted.
    lower = selectors.indicator_shares(loaded, Group(school_id=school.id, grade=1))
    assert "homework_within_time" not in lower or lower["homework_within_time"] > 0.5
    tree = selectors.group_tree(loaded)
    grade, number = LOW_CLASS
    klass = SchoolClass.objects.get(school=school, grade=grade, number=number)
    low = tree.find(f"k{klass.id}")
    assert low.hidden and low.small
    siblings = tree.find(f"g{school.id}-{grade}").children
    assert sum(c.hidden for c in siblings) == 2  # and one neighbour, so it cannot be subtracted
    assert sum(n.hidden for n in tree.walk()) == 2


def test_the_same_seed_gives_the_same_responses(loaded):
    first = digest()
    again = load_surveys_demo()  # replaces the earlier demo survey
    assert Survey.objects.count() == 1 and again.id != loaded.id
    assert digest() == first
    load_surveys_demo(seed=7)
    assert digest() != first
