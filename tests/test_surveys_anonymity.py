"""SV-05: given the whole database after parents answer, no response can be linked to a code,
a pupil or a person — not by a shared column, not by key order, not by a timestamp.

The attack is run as an administrator would: every table, every column.
"""

import itertools
import math
import uuid
from datetime import date

from django.apps import apps
from django.db import connection, models

from shuangjian.org.models import hash_secret
from shuangjian.surveys import services
from shuangjian.surveys.models import Answer, Invitation, Invitee, Question, Response
from tests.test_surveys import add_pupils, bureau_survey, standard_answers

GROUP_COLUMNS = {"survey_id", "school_id", "grade", "school_class_id"}


def columns(model) -> set[str]:
    with connection.cursor() as cursor:
        return {
            c.name
            for c in connection.introspection.get_table_description(cursor, model._meta.db_table)
        }


def dump_database() -> dict[str, list[tuple]]:
    """Every row of every table, as an administrator with database access sees it."""
    out = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out[table] = cursor.fetchall()
    return out


def answer_as_families(world, count: int, *, today=date(2026, 11, 18)):
    """A class of `count + 2` pupils; `count` families answer, each with a distinct text."""
    add_pupils(world.class_3_1, count + 1, "ANON")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    used = []
    for n, slip in enumerate(slips[:count]):
        services.submit_response(
            code=slip.code, answers=standard_answers(survey, text=f"意见{n:02d}"), today=today
        )
        used.append((slip.code, f"意见{n:02d}"))
    return survey, slips, used


def test_responses_share_no_column_with_invitations_but_the_group(db):
    invitation = columns(Invitation)
    # The live code knows its group, not its pupil; the list of invited pupils knows no code.
    assert "student_id" not in invitation
    assert not {"code_hash", "invitation_id", "used"} & columns(Invitee)
    assert (columns(Response) & invitation) - {"id"} <= GROUP_COLUMNS
    assert (columns(Answer) & invitation) - {"id"} == set()
    # Nothing in a response names a person, a code or a moment.
    for name in columns(Response) | columns(Answer):
        assert not any(
            word in name for word in ("student", "user", "parent", "code", "hash", "invit", "_at")
        ), name
    # And no table refers to a response except its answers.
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is Response:
                assert model is Answer
            if isinstance(field, models.ForeignKey) and field.related_model is Invitation:
                raise AssertionError(f"{model.__name__}.{field.name} refers to an invitation")


def test_keys_are_random_and_nothing_keeps_the_time_of_day(db):
    for model in (Response, Answer, Invitation):
        assert isinstance(model._meta.pk, models.UUIDField), model
        assert not model._meta.ordering, model  # no default order, least of all by insertion
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateTimeField | models.TimeField), field
    assert not any(isinstance(f, models.DateField) for f in Invitation._meta.concrete_fields)


def test_the_whole_database_does_not_link_a_response_to_its_code(world):
    survey, slips, used = answer_as_families(world, 8)
    db = dump_database()
    # 1. Used codes leave nothing behind: neither the code nor its hash is anywhere.
    for code, _text in used:
        secrets = {code, services.normalise_code(code), hash_secret(services.normalise_code(code))}
        for table, rows in db.items():
            for row in rows:
                assert not any(str(v) in secrets for v in row), (table, row)
    assert Invitation.objects.count() == len(slips) - len(used)
    # 2. What an attacker knows of a used code is the class on its slip; the database keeps
    #    nothing else about it.  Every assignment of the used codes to the responses fits.
    known = {code: (slip.class_id, slip.grade) for slip in slips for code in [slip.code]}
    responses = list(Response.objects.all())
    shapes = {(r.survey_id, r.school_id, r.grade, r.school_class_id, r.week) for r in responses}
    assert shapes == {(survey.id, world.school.id, 3, world.class_3_1.id, date(2026, 11, 16))}

    def fits(codes, assigned) -> bool:
        return all(
            known[c] == (r.school_class_id, r.grade) and r.survey_id == survey.id
            for c, r in zip(codes, assigned, strict=True)
        )

    codes = [code for code, _text in used]
    fitting = sum(fits(codes, p) for p in itertools.permutations(responses))
    assert fitting == math.factorial(len(used))  # 40,320: the data cannot tell them apart
    # 3. Key order is not answer order: ordering responses by id does not give the order in
    #    which families answered (8! orders: a coincidence would be one in 40,320).
    text_q = survey.questions.get(kind=Question.Kind.TEXT)
    by_id = [
        Answer.objects.get(response=r, question=text_q).text
        for r in sorted(responses, key=lambda r: r.id)
    ]
    assert by_id != [text for _code, text in used]
    assert all(isinstance(r.id, uuid.UUID) and r.id.version == 4 for r in responses)
    # 4. The week, not the day: a Monday for an answer given on a Wednesday.
    assert {r.week.weekday() for r in responses} == {0}


def test_answering_writes_nothing_but_the_response(world):
    add_pupils(world.class_3_1, 2, "W")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)

    def counts():
        return {m._meta.label: m.objects.count() for m in apps.get_models()}

    before = counts()
    services.submit_response(code=slips[0].code, answers=standard_answers(survey, text="好"))
    after = counts()
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed == {"surveys.Response": 1, "surveys.Answer": 7, "surveys.Invitation": -1}


def test_the_answer_page_keeps_no_session_or_cookie_about_the_parent(world, client):
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    page = client.get(f"/surveys/answer/{slip.code}/")
    assert page.status_code == 200
    data = {f"q{qid}": str(v) for qid, v in standard_answers(survey).items()}
    response = client.post(f"/surveys/answer/{slip.code}/", data)
    assert response.status_code == 302
    assert "sessionid" not in response.cookies
    assert apps.get_model("sessions", "Session").objects.count() == 0
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "no-referrer"
