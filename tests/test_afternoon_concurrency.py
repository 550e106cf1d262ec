"""Closing the same day from several connections at once alerts each unexplained pupil exactly
once (AS-08): the session rows are locked and only still-open sessions are closed.

Real threads with their own database connections: needs a server database, so skipped on SQLite
(which serialises writers anyway) and run on PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections

from shuangjian.afternoon import services
from shuangjian.afternoon.models import Attendance
from shuangjian.notify.models import Notification
from tests.afternoon_world import DAY, afternoon_programme, at, opened
from tests.world import build_world, make_student

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections"),
]

CLOSERS = 8


def test_concurrent_closes_alert_once():
    world = build_world()
    pupils = [make_student(world.class_3_1, f"K{i:02d}") for i in range(20)]
    afternoon_programme(world, pupils)
    opened(world)
    barrier = threading.Barrier(CLOSERS)
    results, lock = [], threading.Lock()

    def close():
        barrier.wait()
        try:
            r = services.close_day(school=world.school, day=DAY, now=at(20))
            outcome = (r.sessions, r.alerts)
        except Exception as exc:  # noqa: BLE001 - any failure must show in the results
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=close) for _ in range(CLOSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [(0, 0)] * (CLOSERS - 1) + [(1, 20)]
    assert set(Attendance.objects.values_list("state", flat=True)) == {"absent_unexplained"}
    alerts = Notification.objects.filter(kind=services.UNEXPLAINED_ALERT, user=world.duty_leader)
    assert alerts.count() == 20
