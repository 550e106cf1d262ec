"""The teachers-and-inspection demo: deterministic, within the rules, over existing sessions."""

import hashlib
from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO

from django.db import transaction

from shuangjian.afternoon.models import Session
from shuangjian.afterschool import demo as as_demo
from shuangjian.afterschool.models import Enrolment, Programme, ProgrammeSlot
from shuangjian.asreview import demo as ar_demo
from shuangjian.asreview import selectors
from shuangjian.asreview.models import (
    Assessment,
    FlexibleHours,
    ParentInspector,
    Patrol,
    Rating,
    SubsidyRate,
)
from shuangjian.org import demo
from shuangjian.org.models import Guardianship, School

TODAY = date(2026, 11, 23)
WEEK = date(2026, 11, 9)  # two ordinary school weeks: 9–20 November 2026


def _sessions() -> int:
    """Two weeks of sessions from the slots, written directly (as the afternoon app would)."""
    rows = []
    for slot in ProgrammeSlot.objects.select_related("programme").order_by("id"):
        for week in range(2):
            day = WEEK + timedelta(days=7 * week + slot.weekday)
            rows.append(
                Session(
                    school=slot.programme.school,
                    programme=slot.programme,
                    date=day,
                    start=slot.start,
                    end=slot.end,
                    status="closed",
                )
            )
    Session.objects.bulk_create(rows)
    return len(rows)


def digest() -> str:
    parts = (
        list(SubsidyRate.objects.values_list("term__name", "rate", "outside_rate")),
        list(
            Patrol.objects.order_by("session__date", "session__programme__name").values_list(
                "session__date",
                "session__programme__name",
                "breaches",
                "bad_influence",
                "note",
            )
        ),
        list(
            Assessment.objects.order_by("programme__name").values_list("programme__name", "points")
        ),
        list(
            Rating.objects.order_by("programme__name", "user__username").values_list(
                "programme__name", "user__username", "value"
            )
        ),
        list(FlexibleHours.objects.values_list("staff__staff_no", "entitled_on", "start_at")),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def test_demo_over_existing_sessions_or_none(db):
    demo.load_demo()
    as_demo.load_afterschool_demo(today=TODAY)

    # No sessions yet: the rate, the parent inspector, assessments and ratings only.
    with rolled_back():
        counts = ar_demo.load_asreview_demo(seed=1)
        assert counts["rates"] == 1 and counts["ratings"] > 0 and counts["assessments"] > 0
        assert counts["patrols"] == counts["flexible_hours"] == 0
        assert not Session.objects.exists() and not Patrol.objects.exists()

    _sessions()
    with rolled_back():  # the same seed over the same rows gives the same demo
        first_counts = ar_demo.load_asreview_demo(seed=7)
        first = digest()
    out = StringIO()
    counts = ar_demo.load_asreview_demo(seed=7, stdout=out)
    assert counts == first_counts and digest() == first
    assert "巡查" in out.getvalue()

    school = School.objects.get(code=demo.SCHOOL_1)
    programmes = Programme.objects.filter(school=school, status="approved")
    assert SubsidyRate.objects.count() == counts["rates"] == 1
    assert Assessment.objects.count() == counts["assessments"] == programmes.count()
    assert all(0 <= a.points <= 20 and a.evidence for a in Assessment.objects.all())

    held = Session.objects.filter(school=school).exclude(status="cancelled").count()
    patrols = Patrol.objects.all()
    assert 0 < patrols.count() == counts["patrols"] < held
    assert sum(p.bad_influence for p in patrols) == counts["bad_influence"] == 1
    assert sum(p.breaches for p in patrols) == counts["breaches"] > 0
    assert not patrols.exclude(breaches=0, bad_influence=0).filter(note="").exists()
    assert {p.by for p in patrols} == {"duty_leader"}

    ratings = list(Rating.objects.select_related("programme"))
    assert len(ratings) == counts["ratings"] > 0
    for r in ratings[:50]:
        assert Guardianship.objects.filter(
            user=r.user,
            student__afterschool_enrolments__programme=r.programme,
            student__afterschool_enrolments__status=Enrolment.Status.ALLOCATED,
        ).exists()
    assert ParentInspector.objects.filter(user__username="parent").count() == 1

    flex = FlexibleHours.objects.get()
    assert flex.session.programme.lead == flex.staff and flex.entitled_on > flex.session.date

    scores = selectors.scores(school, programmes.first().term, TODAY)
    assert all(s.score.plan.evidence["held"] > 0 for s in scores)
    assert all(0 <= s.score.patrol.points <= 50 for s in scores if s.score.patrol.has_data)
