"""200 parents take the last 5 places of a programme at the same moment (AS-06).

Real threads with their own database connections: needs a server database, so skipped on SQLite
(which serialises writers anyway) and run on PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections

from shuangjian.afterschool import services
from shuangjian.afterschool.models import Enrolment
from shuangjian.errors import RuleViolation
from tests.afterschool_world import programme, published
from tests.world import build_world, make_student

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections"),
]

CAPACITY = 30
FREE = 5
PARENTS = 200
# The 200 requests are released together; at most this many hold a database connection at once,
# as behind a web server's connection pool (the test server allows 100 connections in all).
CONNECTIONS = 40


def test_simultaneous_joins_never_exceed_capacity():
    world = build_world()
    p = programme(world, capacity=CAPACITY)
    published(world)
    holders = [make_student(world.class_3_1, f"H{i:03d}") for i in range(CAPACITY - FREE)]
    Enrolment.objects.bulk_create(
        Enrolment(programme=p, student=s, status="allocated", source="allocation") for s in holders
    )
    pupils = [make_student(world.class_3_2, f"J{i:03d}") for i in range(PARENTS)]

    barrier = threading.Barrier(PARENTS)
    outcomes: list[str] = []
    lock = threading.Lock()
    pool = threading.BoundedSemaphore(CONNECTIONS)

    def join(student):
        barrier.wait()
        with pool:
            try:
                services.join_free_place(student=student, programme=p)
                result = "joined"
            except RuleViolation as exc:
                result = exc.code
            except Exception as exc:  # noqa: BLE001 - any other failure must show in the counts
                result = repr(exc)
            finally:
                connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=join, args=(s,)) for s in pupils]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("joined") == FREE
    assert outcomes.count("programme_full") == PARENTS - FREE
    assert len(outcomes) == PARENTS
    assert Enrolment.objects.filter(programme=p, status="allocated").count() == CAPACITY
    joined = Enrolment.objects.filter(programme=p, source="join").count()
    assert joined == FREE
