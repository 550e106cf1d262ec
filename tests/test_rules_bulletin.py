"""Bulletin ranking rules (SV-02) and reporting periods (SV-01): pure Python, no database."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shuangjian.rules.bulletin import (
    changes,
    composite,
    ended_periods,
    period_at,
    period_starting,
    rank,
)


def by_key(rows):
    return {r.key: r for r in rows}


def test_ties_share_the_better_rank_and_the_next_rank_skips():
    rows = by_key(rank({"a": 90, "b": 80, "c": 80, "d": 70}, higher_is_better=True))
    assert [rows[k].rank for k in "abcd"] == [1, 2, 2, 4]


def test_direction_lower_is_better():
    rows = rank({"a": 3, "b": 1, "c": 2}, higher_is_better=False)
    assert [r.key for r in rows] == ["b", "c", "a"]
    assert [r.rank for r in rows] == [1, 2, 3]


def test_no_data_units_are_listed_unranked_after_the_ranked_ones():
    rows = rank({"a": None, "b": 50, "c": None, "d": 60}, higher_is_better=True)
    assert [r.key for r in rows] == ["d", "b", "a", "c"]
    assert [r.rank for r in rows] == [1, 2, None, None]
    assert not any(r.bottom for r in rows if r.rank is None)


def test_zero_is_data_not_no_data():
    rows = by_key(rank({"a": 0, "b": None}, higher_is_better=True))
    assert rows["a"].rank == 1 and rows["b"].rank is None


def test_bottom_ten_of_twelve_and_ties_at_the_boundary():
    values = {f"u{i:02d}": float(i) for i in range(12)}  # u00 worst … u11 best
    rows = by_key(rank(values, higher_is_better=True))
    assert sorted(k for k, r in rows.items() if r.bottom) == [f"u{i:02d}" for i in range(10)]
    values["u10"] = 9.0  # tied with u09, the 10th worst: both are named
    rows = by_key(rank(values, higher_is_better=True))
    assert rows["u10"].bottom and rows["u09"].bottom and not rows["u11"].bottom
    assert sum(r.bottom for r in rows.values()) == 11


def test_bottom_ten_with_fewer_than_ten_units_names_every_ranked_unit():
    rows = rank({"a": 1, "b": 2, "c": None}, higher_is_better=True)
    assert [(r.key, r.bottom) for r in rows] == [("b", True), ("a", True), ("c", False)]


def test_bottom_n_is_configurable():
    rows = by_key(rank({"a": 1, "b": 2, "c": 3}, higher_is_better=False, bottom_n=1))
    assert [k for k, r in rows.items() if r.bottom] == ["c"]


def test_composite_is_the_mean_rank_over_complete_units():
    values = {
        "a": {"x": 90, "y": 5},  # x rank 1, y rank 3 (lower is better) → 2.0
        "b": {"x": 80, "y": 1},  # x 2, y 1 → 1.5
        "c": {"x": 70, "y": 2},  # x 3, y 2 → 2.5
        "d": {"x": 60, "y": None},  # missing y: unranked
    }
    rows = composite(values, {"x": True, "y": False})
    assert [(r.key, r.rank, r.value) for r in rows[:3]] == [
        ("b", 1, 1.5),
        ("a", 2, 2.0),
        ("c", 3, 2.5),
    ]
    assert rows[3].key == "d" and rows[3].rank is None and rows[3].missing == ("y",)


def test_composite_ties_are_exact_with_three_indicators():
    values = {"a": {"x": 1, "y": 3, "z": 2}, "b": {"x": 3, "y": 2, "z": 1}}
    values["c"] = {"x": 2, "y": 1, "z": 3}
    rows = composite(values, {"x": True, "y": True, "z": True})
    assert [r.rank for r in rows] == [1, 1, 1]


def test_changes_since_the_previous_bulletin():
    before = rank({"a": 50, "b": 60, "c": 70}, higher_is_better=True, bottom_n=1)
    after = rank({"a": 80, "b": 55, "c": 70, "d": 10}, higher_is_better=True, bottom_n=1)
    ch = changes(after, before)
    assert ch["a"].rank_change == 3 - 1 and ch["a"].value_change == 30
    assert ch["a"].left_bottom and not ch["a"].entered_bottom
    assert ch["b"].rank_change == 2 - 3 and ch["b"].value_change == -5
    assert ch["d"].rank_change is None and ch["d"].entered_bottom  # new unit, new in bottom
    assert not ch["c"].entered_bottom and ch["c"].rank_change == 1 - 2


def test_no_previous_bulletin_means_no_changes():
    ch = changes(rank({"a": 1}, higher_is_better=True), None)
    assert ch["a"].rank_change is None and not ch["a"].entered_bottom


def test_changes_with_no_data_on_either_side():
    before = rank({"a": None, "b": 2}, higher_is_better=True)
    after = rank({"a": 5, "b": None}, higher_is_better=True)
    ch = changes(after, before)
    assert ch["a"].rank_change is None and ch["a"].value_change is None
    assert ch["b"].rank_change is None and ch["b"].value_change is None


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdefghij", min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(-5, 5)),
        max_size=15,
    ),
    st.booleans(),
    st.integers(1, 12),
)
def test_ranking_properties(values, higher, n):
    rows = rank(values, higher_is_better=higher, bottom_n=n)
    assert sorted(r.key for r in rows) == sorted(values)  # nobody dropped
    ranked = [r for r in rows if r.rank is not None]
    for r in ranked:  # rank = 1 + number of strictly better units
        better = [
            v for v in values.values() if v is not None and (v > r.value if higher else v < r.value)
        ]
        assert r.rank == 1 + len(better)
    bottom = [r for r in ranked if r.bottom]
    assert len(bottom) >= min(n, len(ranked))
    if len(ranked) > n:  # only ties at the boundary can push the list past n
        worst = sorted(ranked, key=lambda r: r.rank)[-n].rank
        assert all(r.bottom == (r.rank >= worst) for r in ranked)


def test_periods():
    first = date(2026, 9, 7)
    p = period_at(first, 14, 3, 1)
    assert (p.start, p.end, p.due) == (date(2026, 9, 21), date(2026, 10, 4), date(2026, 10, 7))
    assert period_starting(first, 14, 3, date(2026, 9, 21)) == p
    assert period_starting(first, 14, 3, date(2026, 9, 22)) is None
    assert period_starting(first, 14, 3, date(2026, 8, 24)) is None
    assert ended_periods(first, 14, 3, date(2026, 10, 4)) == [period_at(first, 14, 3, 0)]
    assert ended_periods(first, 14, 3, date(2026, 10, 5))[0] == p
    assert ended_periods(first, 14, 3, date(2026, 9, 1)) == []
    # A period that would run past the last date there is does not exist (no OverflowError).
    last = first + timedelta(days=14 * ((date.max - first).days // 14))
    assert period_starting(first, 14, 3, last) is None
