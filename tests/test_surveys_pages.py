"""Questionnaire pages and API (SV-05): who reaches what, the builder, invitations, results and
the public answer pages."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from shuangjian.org.models import RegionRole, School, SchoolClass
from shuangjian.surveys import services
from shuangjian.surveys.models import Answer, Invitation, Question, Response, Survey
from tests.test_access import ALL, STAFF
from tests.test_surveys import add_pupils, bureau_survey, standard_answers
from tests.world import make_user

MANAGERS = {"principal", "academic"}
OTHER_STAFF = STAFF - MANAGERS
OFFICIALS = {"officer", "inspector"}


def zh(msgid: str) -> str:
    """A message as the (Chinese by default) pages show it."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(msgid))


def expected(allowed: set[str], forbidden: set[str]) -> dict[str, int]:
    return {r: 200 if r in allowed else 403 if r in forbidden else 404 for r in ALL}


@pytest.fixture
def surveys(world):
    """A county survey that invited school A's class 3-1, and a survey of school A."""
    county = bureau_survey(world)
    services.invite_parents(survey=county, classes=[world.class_3_1])
    own = services.create_standard_survey(actor=world.principal, school=world.school)
    return {"county": county, "school": own}


PAGES = {
    "region_list": (
        lambda w, s: reverse("surveys_region", args=[w.county.id]),
        expected(OFFICIALS, set()),
    ),
    "school_list": (
        lambda w, s: reverse("surveys_school", args=[w.school.id]),
        expected(MANAGERS | OFFICIALS, OTHER_STAFF),
    ),
    "county_survey": (
        lambda w, s: reverse("survey", args=[s["county"].id]),
        expected(MANAGERS | OFFICIALS, OTHER_STAFF),
    ),
    "county_results": (
        lambda w, s: reverse("survey_results", args=[s["county"].id]),
        expected(MANAGERS | OFFICIALS, OTHER_STAFF),
    ),
    "county_invite": (
        lambda w, s: reverse("survey_invite", args=[s["county"].id]),
        expected({"officer"}, STAFF | {"inspector"}),
    ),
    "school_survey": (
        lambda w, s: reverse("survey", args=[s["school"].id]),
        expected(MANAGERS | OFFICIALS, OTHER_STAFF),
    ),
    "school_results": (
        lambda w, s: reverse("survey_results", args=[s["school"].id]),
        expected(MANAGERS | OFFICIALS, OTHER_STAFF),
    ),
    "school_invite": (
        lambda w, s: reverse("survey_invite", args=[s["school"].id]),
        expected(MANAGERS, OTHER_STAFF | OFFICIALS),
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_matrix(world, surveys, client, page):
    url_of, statuses = PAGES[page]
    url = url_of(world, surveys)
    got = {}
    for role in ALL:
        client.force_login(getattr(world, role))
        got[role] = client.get(url).status_code
    assert got == statuses


def test_anonymous_visitors_are_sent_to_log_in(world, surveys, client):
    response = client.get(reverse("survey_results", args=[surveys["county"].id]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_unknown_survey_is_a_404(world, login):
    assert login(world.officer).get(reverse("survey", args=[999999])).status_code == 404


# -- Building on the pages ---------------------------------------------------------------------


def test_an_officer_creates_the_standard_questionnaire_in_one_click(world, login):
    client = login(world.officer)
    url = reverse("surveys_region", args=[world.county.id])
    response = client.post(url, {"action": "standard"})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.id}/"
    assert survey.region == world.county and survey.questions.count() == 7
    page = client.get(url).content.decode()
    assert survey.title in page


def test_an_inspector_reads_but_does_not_build(world, login):
    client = login(world.inspector)
    url = reverse("surveys_region", args=[world.county.id])
    assert client.post(url, {"action": "standard"}).status_code == 403
    survey = bureau_survey(world)
    detail = reverse("survey", args=[survey.id])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"action": "open"}).status_code == 403
    survey.refresh_from_db()
    assert (
        survey.status == Survey.Status.DRAFT and not Survey.objects.exclude(id=survey.id).exists()
    )


def test_a_principal_builds_a_questionnaire_on_the_pages(world, login):
    client = login(world.principal)
    response = client.post(
        reverse("surveys_school", args=[world.school.id]),
        {"action": "create", "title": "课后服务问卷", "intro": "", "min_group_size": "4"},
    )
    assert response.status_code == 200 and not Survey.objects.exists()  # below five
    assert "min_group_size" in response.content.decode()
    response = client.post(
        reverse("surveys_school", args=[world.school.id]),
        {"action": "create", "title": "课后服务问卷", "intro": "", "min_group_size": "10"},
    )
    survey = Survey.objects.get()
    detail = reverse("survey", args=[survey.id])
    # A choice question with one choice is refused on the form, naming the field.
    response = client.post(
        detail, {"action": "question", "text": "满意吗？", "kind": "single", "choices": "是"}
    )
    assert response.status_code == 200 and not Question.objects.exists()
    assert "errorlist" in response.content.decode()
    response = client.post(
        detail,
        {
            "action": "question",
            "text": "满意吗？",
            "kind": "single",
            "choices": "满意\n一般\n不满意\n没参加",
            "required": "on",
            "indicator": "afterschool_satisfaction",
            "affirms": "1",
            "left_out": "4",
        },
    )
    assert response.status_code == 302
    q = Question.objects.get()
    assert list(q.choices.values_list("affirms", flat=True)) == [True, False, False, None]
    assert client.post(detail, {"action": "open"}).status_code == 302
    response = client.post(detail, {"action": "question", "text": "再问", "kind": "text"})
    assert response.status_code == 200 and Question.objects.count() == 1  # frozen
    assert client.post(detail, {"action": "nonsense"}).status_code == 400


# -- Inviting on the pages ---------------------------------------------------------------------


def test_a_school_invites_its_classes_and_prints_the_slips_once(world, login):
    add_pupils(world.class_3_1, 2, "S")
    survey = services.create_standard_survey(actor=world.principal, school=world.school)
    client = login(world.principal)
    url = reverse("survey_invite", args=[survey.id])
    response = client.post(url, {"classes": [str(world.class_3_1.id)], "output": "print"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="slip"') == 3 and Invitation.objects.count() == 3
    assert "no-store" in response["Cache-Control"]
    # The pupils' names are not on the slips.
    assert world.pupil.name not in page
    # Again: nobody is given a second code.
    response = client.post(url, {"classes": [str(world.class_3_1.id)], "output": "print"})
    assert response.status_code == 200 and Invitation.objects.count() == 3
    # As an Excel file, for a whole grade.
    response = client.post(url, {"grades": ["7"], "classes": [], "output": "xlsx"})
    assert response.status_code == 200 and Invitation.objects.count() == 3  # no pupil in 7-1
    add_pupils(world.class_7_1, 2, "G7")
    response = client.post(url, {"grades": ["7"], "output": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Invitation.objects.count() == 5


def test_a_school_cannot_invite_another_schools_class(world, login):
    survey = services.create_standard_survey(actor=world.principal, school=world.school)
    client = login(world.principal)
    url = reverse("survey_invite", args=[survey.id])
    response = client.post(url, {"classes": [str(world.other_class.id)], "output": "print"})
    assert response.status_code == 404
    response = client.post(url, {"classes": ["abc"], "output": "print"})
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_a_bureau_invites_its_own_schools_only(world, login):
    survey = bureau_survey(world)
    client = login(world.officer)
    url = reverse("survey_invite", args=[survey.id])
    response = client.post(url, {"schools": [str(world.other_school.id)], "output": "print"})
    assert response.status_code == 404 and not Invitation.objects.exists()
    response = client.post(url, {"output": "print"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(
        url, {"schools": [str(world.school.id)], "grades": ["3"], "output": "print"}
    )
    assert response.status_code == 200
    assert set(Invitation.objects.values_list("school_class_id", flat=True)) == {
        world.class_3_1.id,
        world.class_3_2.id,
    }


# -- Results on the pages ----------------------------------------------------------------------


@pytest.fixture
def answered(world):
    """County survey over school A (3-1: 12 responses, 3-2: 4) and a second school (11)."""
    second = School.objects.create(
        name="北票市第三小学", code="A003", county=world.county, stage="primary"
    )
    klass = SchoolClass.objects.create(school=second, grade=4, number=1)
    add_pupils(world.class_3_1, 11, "R31")
    add_pupils(world.class_3_2, 3, "R32")
    add_pupils(klass, 11, "R2")
    survey = bureau_survey(world)
    slips = services.invite_parents(
        survey=survey, classes=[world.class_3_1, world.class_3_2, klass]
    )
    services.open_survey(survey=survey)
    for slip in slips:
        services.submit_response(
            code=slip.code, answers=standard_answers(survey, text=f"建议-{slip.class_id}")
        )
    return survey, second, klass


def test_the_owner_sees_results_with_small_groups_held_back(world, answered, login):
    survey, second, klass = answered
    client = login(world.officer)
    url = reverse("survey_results", args=[survey.id])
    page = client.get(url).content.decode()
    assert "北票市第三小学" in page and "建议-" in page
    small = client.get(f"{url}?group=k{world.class_3_2.id}").content.decode()
    assert zh("too few responses to show") in small
    assert f"建议-{world.class_3_2.id}" not in small
    assert "%" not in small.split("<h2>")[-1]  # no share of the hidden group
    assert client.get(f"{url}?group=zzz").status_code == 404
    assert client.get(f"{url}?group=k999999").status_code == 404


def test_a_school_sees_only_its_own_part_above_the_threshold(world, answered, login):
    survey, second, klass = answered
    client = login(world.principal)
    url = reverse("survey_results", args=[survey.id])
    page = client.get(url).content.decode()
    assert world.school.name in page and "北票市第三小学" not in page
    assert f"建议-{klass.id}" not in page
    assert client.get(f"{url}?group=s{second.id}").status_code == 404
    assert client.get(f"{url}?group=k{klass.id}").status_code == 404
    assert client.get(f"{url}?group=").status_code == 404  # not the county total
    assert client.get(f"{url}?group=k{world.class_3_1.id}").status_code == 200
    # The other school's principal is in another county: the survey does not exist for them.
    assert login(world.outsider).get(url).status_code == 404


def test_a_parent_sees_nothing_but_the_answer_form(world, answered, login):
    survey, _second, _klass = answered
    client = login(world.parent)
    for name in ("survey", "survey_results", "survey_invite"):
        assert client.get(reverse(name, args=[survey.id])).status_code == 404
    assert client.get(reverse("surveys_school", args=[world.school.id])).status_code == 404


# -- Answering on the public pages -------------------------------------------------------------


@pytest.fixture
def one_code(world):
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    return survey, slip.code


def test_a_parent_answers_without_logging_in(world, one_code, client):
    survey, code = one_code
    start = client.get(reverse("survey_answer_start"))
    assert start.status_code == 200
    typed = client.get(reverse("survey_answer_start"), {"code": code.lower().replace("-", " ")})
    assert typed.status_code == 302
    assert typed["Location"] == f"/surveys/answer/{code.replace('-', '')}/"
    url = typed["Location"]
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert survey.title in text and "规定时间" in text and str(world.class_3_1) in text
    data = {f"q{qid}": str(v) for qid, v in standard_answers(survey).items()}
    missing = dict(data)
    missing.pop(f"q{survey.questions.get(position=6).id}")
    response = client.post(url, missing)
    assert response.status_code == 200 and not Response.objects.exists()
    assert "errorlist" in response.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("survey_answer_done")
    assert Response.objects.count() == 1
    assert client.get(response["Location"]).status_code == 200
    again = client.get(url)
    assert again.status_code == 404
    assert client.post(url, data).status_code == 404 and Response.objects.count() == 1


def test_an_unknown_code_reads_like_a_used_one(world, one_code, client):
    _survey, code = one_code
    unknown = client.get("/surveys/answer/ABCDEFGHJKLM/")
    assert unknown.status_code == 404
    assert zh("This code is not valid: it may have been typed wrongly or already used.") in (
        unknown.content.decode()
    )


# -- API ---------------------------------------------------------------------------------------


def test_api_questions_and_answers(world, one_code, client):
    survey, code = one_code
    got = client.get(f"/api/v1/surveys/answer/{code}")
    assert got.status_code == 200
    body = got.json()
    assert body["school"] == world.school.name and len(body["questions"]) == 7
    q1 = body["questions"][0]
    assert q1["kind"] == "single" and [c["text"] for c in q1["choices"]] == ["没有", "有"]
    answers = [
        {"question": q["id"], "choice": q["choices"][0]["id"]}
        for q in body["questions"]
        if q["kind"] == "single"
    ]
    # A choice of another question is refused, naming the question.
    wrong = [dict(a) for a in answers]
    wrong[0]["choice"] = body["questions"][1]["choices"][0]["id"]
    response = client.post(f"/api/v1/surveys/answer/{code}", {"answers": wrong}, "application/json")
    assert response.status_code == 422
    assert response.json()["field"] == f"q{q1['id']}" and response.json()["question"] == q1["id"]
    assert response.json()["rule"] == "SV-05"
    # Missing a required answer, and a text that is too long.
    response = client.post(
        f"/api/v1/surveys/answer/{code}", {"answers": answers[:-1]}, "application/json"
    )
    assert response.status_code == 422 and response.json()["code"] == "answer_required"
    text_q = body["questions"][-1]["id"]
    response = client.post(
        f"/api/v1/surveys/answer/{code}",
        {"answers": [*answers, {"question": text_q, "text": "长" * 501}]},
        "application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == f"q{text_q}"
    response = client.post(
        f"/api/v1/surveys/answer/{code}",
        {"answers": [*answers, {"question": text_q, "text": "很好"}]},
        "application/json",
    )
    assert response.status_code == 201 and Response.objects.count() == 1
    assert Answer.objects.filter(text="很好").count() == 1
    used_get = client.get(f"/api/v1/surveys/answer/{code}")
    unknown_get = client.get("/api/v1/surveys/answer/ABCDEFGHJKLM")
    assert used_get.status_code == unknown_get.status_code == 404
    assert used_get.json() == unknown_get.json()
    used_post = client.post(
        f"/api/v1/surveys/answer/{code}", {"answers": answers}, "application/json"
    )
    assert used_post.status_code == 404 and used_post.json() == unknown_get.json()
    assert Response.objects.count() == 1


def test_api_refuses_two_answers_to_one_question(world, one_code, client):
    survey, code = one_code
    q = survey.questions.get(position=1)
    c = q.choices.first()
    response = client.post(
        f"/api/v1/surveys/answer/{code}",
        {"answers": [{"question": q.id, "choice": c.id}, {"question": q.id, "choice": c.id}]},
        "application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == f"q{q.id}"
    assert not Response.objects.exists() and Invitation.objects.count() == 1


def test_a_city_survey_reaches_a_county_for_its_own_part(world, login):
    city_officer = make_user("city_officer")
    RegionRole.objects.create(user=city_officer, region=world.city, kind="officer")
    add_pupils(world.class_3_1, 10, "C")
    survey = services.create_standard_survey(actor=city_officer, region=world.city)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    for slip in slips:
        services.submit_response(code=slip.code, answers=standard_answers(survey))
    url = reverse("survey_results", args=[survey.id])
    # The city sees its counties; the county officer sees the county's part and manages nothing.
    page = login(city_officer).get(url).content.decode()
    assert world.county.name in page
    assert login(city_officer).get(reverse("survey_invite", args=[survey.id])).status_code == 200
    client = login(world.officer)
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?group=").status_code == 404  # not the city total
    assert client.get(f"{url}?group=r{world.county.id}").status_code == 200
    assert client.get(reverse("survey_invite", args=[survey.id])).status_code == 403
    listed = client.get(reverse("surveys_region", args=[world.county.id])).content.decode()
    assert survey.title in listed
    # The other county was not invited: the survey does not exist for it.
    assert login(world.other_officer).get(url).status_code == 404
    # A county officer manages their county's survey; the city officer above does too.
    county_survey = bureau_survey(world)
    detail = reverse("survey", args=[county_survey.id])
    assert login(city_officer).post(detail, {"action": "open"}).status_code == 302
