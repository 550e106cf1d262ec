"""Helpers for the after-school teachers and inspection tests (no tests here): sessions written
directly as afternoon.Session rows, independent of the afternoon services."""

from datetime import date, time, timedelta

from shuangjian.afternoon.models import Session
from shuangjian.asreview.models import ParentInspector
from tests.afterschool_world import lead, programme, term

MONDAY = date(2026, 11, 2)  # two ordinary school weeks: 2–6 and 9–13 November 2026


def session(p, day: date, *, start=time(16, 0), end=time(18, 0), status="closed") -> Session:
    return Session.objects.create(
        school=p.school, programme=p, date=day, start=start, end=end, status=status
    )


def week_of_sessions(p, monday: date = MONDAY, *, status="closed") -> list[Session]:
    return [session(p, monday + timedelta(days=i), status=status) for i in range(5)]


def football(world, **kw):
    """A Monday–Friday 16:00–18:00 programme led by the after-school teacher."""
    return programme(world, "足球", **kw)


def chess(world, user=None, **kw):
    """A second programme, at the same times, led by another teacher."""
    return programme(world, "象棋", lead=lead(world, user or world.head_teacher), **kw)


def appoint(world, user=None):
    t = term(world)
    return ParentInspector.objects.create(school=t.school, term=t, user=user or world.parent)
