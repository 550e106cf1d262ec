"""The same code submitted many times at once gives exactly one response (SV-05).

Runs real threads with their own database connections, so it needs a server database: it is
skipped on SQLite (which serialises writers anyway) and runs on PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections

from shuangjian.errors import RuleViolation
from shuangjian.surveys import services
from shuangjian.surveys.models import Answer, Invitation, Response
from tests.test_surveys import add_pupils, bureau_survey, standard_answers
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections"),
]

THREADS = 16


def run_at_once(jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job):
        try:
            barrier.wait()
            job()
            outcomes.append("recorded")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_one_code_submitted_at_once_many_times_gives_one_response():
    world = build_world()
    survey = bureau_survey(world)
    [slip] = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    answers = standard_answers(survey, text="只算一次")

    def submit():
        services.submit_response(code=slip.code, answers=answers)

    outcomes = run_at_once([submit] * THREADS)
    assert outcomes.count("recorded") == 1
    assert outcomes.count("invalid_code") == THREADS - 1
    assert Response.objects.count() == 1
    assert Answer.objects.filter(text="只算一次").count() == 1
    assert not Invitation.objects.exists()


def test_different_codes_of_one_class_all_count():
    world = build_world()
    add_pupils(world.class_3_1, THREADS - 1, "C")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    answers = standard_answers(survey)
    jobs = [
        (lambda code=s.code: services.submit_response(code=code, answers=answers)) for s in slips
    ]
    assert run_at_once(jobs) == ["recorded"] * THREADS
    assert Response.objects.count() == THREADS and not Invitation.objects.exists()


def test_no_live_row_shares_a_transaction_id_with_a_response():
    """PostgreSQL stamps each row with the transaction that wrote it (xmin).  Had the code been
    kept as a used row, that stamp would pair it with its response; it is deleted instead."""
    world = build_world()
    add_pupils(world.class_3_1, 3, "X")
    survey = bureau_survey(world)
    slips = services.invite_parents(survey=survey, classes=[world.class_3_1])
    services.open_survey(survey=survey)
    for slip in slips[:3]:
        services.submit_response(code=slip.code, answers=standard_answers(survey))
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM surveys_response")
        response_xids = {r[0] for r in cursor.fetchall()}
        tables = ["surveys_invitation", "surveys_invitee", "surveys_survey", "org_student"]
        for table in tables:
            cursor.execute(f"SELECT xmin::text FROM {table}")
            assert not response_xids & {r[0] for r in cursor.fetchall()}, table
    assert len(response_xids) == 3
