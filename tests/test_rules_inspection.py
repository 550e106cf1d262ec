"""AS-12 scoring (seed 001 篇七) and the AS-11 spread, at their edges."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangjian.rules import inspection as r

P = r.PatrolCounts


def test_the_document_numbers():
    assert (r.BREACH, r.BAD_INFLUENCE, r.SERIOUS_ACCIDENT) == (1, 3, 10)
    assert (r.PATROL_POINTS, r.PLAN_POINTS, r.EFFECTIVENESS_POINTS, r.SATISFACTION_POINTS) == (
        50,
        20,
        20,
        10,
    )
    assert r.TOTAL_POINTS == 100
    assert "篇七" in str(r.SOURCE) and "seed 004" in str(r.TEACHER_SOURCE)


def test_no_deduction_keeps_fifty():
    part = r.patrol_part([P(), P()])
    assert part.points == 50 and part.evidence["patrols"] == 2 and part.evidence["deducted"] == 0


def test_no_patrol_is_no_data_not_fifty():
    part = r.patrol_part([])
    assert part.points is None and not part.has_data and part.evidence["patrols"] == 0


def test_deductions_per_kind():
    assert P(breaches=1).deduction == 1
    assert P(bad_influence=1).deduction == 3
    assert P(serious_accidents=1).deduction == 10
    assert P(2, 1, 1).deduction == 2 + 3 + 10


def test_mixed_deductions_over_several_patrols():
    part = r.patrol_part([P(breaches=2), P(bad_influence=1), P(breaches=1, serious_accidents=1)])
    assert part.points == 50 - 3 - 3 - 10
    assert part.evidence == {
        "patrols": 3,
        "breaches": 3,
        "bad_influence": 1,
        "serious_accidents": 1,
        "deducted": 16,
    }


def test_exactly_fifty_deducted_is_zero():
    assert r.patrol_part([P(serious_accidents=5)]).points == 0
    assert r.patrol_part([P(breaches=1, bad_influence=3, serious_accidents=4)]).points == 0


def test_below_zero_floors_at_zero_and_keeps_the_evidence():
    part = r.patrol_part([P(serious_accidents=5), P(breaches=1)])
    assert part.points == 0
    assert part.evidence["deducted"] == 51


def test_one_short_of_fifty():
    assert r.patrol_part([P(breaches=49)]).points == 1


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        P(breaches=-1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)), max_size=15))
def test_patrol_part_is_fifty_minus_deductions_floored(rows):
    part = r.patrol_part([P(*row) for row in rows])
    expected = 50 - sum(b + 3 * bad + 10 * s for b, bad, s in rows)
    if rows:
        assert part.points == max(0, expected)
        assert 0 <= part.points <= 50
    else:
        assert part.points is None


def test_plan_completion():
    assert r.plan_part(10, 10).points == 20
    assert r.plan_part(0, 10).points == 0
    assert r.plan_part(9, 10).points == 18
    assert r.plan_part(1, 3).points == 6.7
    assert r.plan_part(12, 10).points == 20  # extra sessions do not earn more than the plan


def test_plan_with_nothing_scheduled_is_no_data_not_division_by_zero():
    part = r.plan_part(0, 0)
    assert part.points is None and part.evidence == {"held": 0, "scheduled": 0}
    assert r.plan_part(3, 0).points is None


def test_effectiveness_bounds():
    assert r.effectiveness_part(None).points is None
    assert r.effectiveness_part(0, "x").points == 0
    assert r.effectiveness_part(20, "x").points == 20
    with pytest.raises(ValueError):
        r.effectiveness_part(20.5)
    with pytest.raises(ValueError):
        r.effectiveness_part(-1)


def test_satisfaction_share_of_four_and_five():
    assert r.satisfaction_part([]).points is None
    assert r.satisfaction_part([5, 4, 3, 1]).points == 5
    assert r.satisfaction_part([4]).points == 10
    assert r.satisfaction_part([3, 3]).points == 0
    part = r.satisfaction_part([5, 4, 3])
    assert part.evidence == {"ratings": 3, "satisfied": 2, "mean": 4.0}
    with pytest.raises(ValueError):
        r.satisfaction_part([6])
    with pytest.raises(ValueError):
        r.satisfaction_part([0])


def test_total_only_with_every_part():
    full = r.score(
        patrols=[P(breaches=2)],
        held=9,
        scheduled=10,
        effectiveness=17.5,
        effectiveness_evidence="期末展示",
        ratings=[5, 5, 4, 2],
    )
    assert full.total == 48 + 18 + 17.5 + 7.5
    assert full.missing == []
    partial = r.score(patrols=[], held=0, scheduled=0, effectiveness=None, ratings=[])
    assert partial.total is None
    assert partial.missing == ["patrol", "plan", "effectiveness", "satisfaction"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 5), st.integers(0, 3)), min_size=1),
    st.integers(0, 60),
    st.integers(1, 60),
    st.integers(0, 200).map(lambda x: x / 10),
    st.lists(st.integers(1, 5), min_size=1, max_size=30),
)
def test_total_is_within_0_and_100(rows, held, scheduled, eff, ratings):
    s = r.score(
        patrols=[P(*row) for row in rows],
        held=held,
        scheduled=scheduled,
        effectiveness=eff,
        ratings=ratings,
    )
    assert 0 <= s.total <= 100
    for part in s.parts:
        assert 0 <= part.points <= part.full


def test_spread_and_who_is_out_of_line():
    assert r.spread([]) is None
    s = r.spread([2, 4, 4, 4, 5, 5, 7, 9])
    assert (s.count, s.minimum, s.maximum, s.mean, s.stdev) == (8, 2, 9, 5.0, 2.0)
    assert s.above(8) and not s.above(7)
    assert s.below(2) and not s.below(3)
    even = r.spread([3, 3, 3])
    assert even.stdev == 0 and not even.above(3) and not even.below(3)


def test_participation_rate():
    assert r.participation_rate(0, 0) is None
    assert r.participation_rate(3, 4) == 75.0
    assert r.participation_rate(0, 7) == 0
