"""AS-04 / AS-06 as plain rules: the optimal allocation against brute force, its properties,
explanations, determinism by seed, the baselines and the waiting list."""

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangjian.rules.allocation import (
    Activity,
    Outcome,
    Pupil,
    Reason,
    allocate,
    first_come_first_served,
    has_priority,
    is_optimal,
    random_serial_dictatorship,
    score,
    waitlist_order,
    welfare,
)

# -- Brute force --------------------------------------------------------------------------------


def brute_force(pupils, activities, max_choices=5, forced=None):
    """Every feasible allocation; the best (priority welfare, welfare), optionally with one pupil
    forced into one activity.  Pupils' choices here are all valid (distinct, open, ≤ max)."""
    caps = {a.id: a.capacity for a in activities}
    best = None
    for combo in itertools.product(*[[None, *p.choices] for p in pupils]):
        if forced and combo[forced[0]] != forced[1]:
            continue
        used = Counter(a for a in combo if a is not None)
        if any(used[a] > caps[a] for a in used):
            continue
        scores = [
            0 if a is None else score(p.choices.index(a) + 1, max_choices)
            for p, a in zip(pupils, combo, strict=True)
        ]
        value = (sum(s for p, s in zip(pupils, scores, strict=True) if p.priority), sum(scores))
        best = value if best is None or value > best else best
    return best


@st.composite
def instances(draw, max_pupils=6, max_activities=3, max_capacity=3):
    m = draw(st.integers(1, max_activities))
    activities = [Activity(f"a{j}", draw(st.integers(0, max_capacity))) for j in range(m)]
    pupils = []
    for i in range(draw(st.integers(0, max_pupils))):
        order = draw(st.permutations([a.id for a in activities]))
        k = draw(st.integers(0, min(m, 5)))  # every choice valid (max_choices = 5)
        pupils.append(Pupil(f"p{i}", order[:k], draw(st.booleans())))
    return pupils, activities


def lexicographic(allocation):
    return allocation.priority_welfare, allocation.welfare


# -- Exactness ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(instances(), st.integers(0, 2**32))
def test_optimum_equals_brute_force(instance, seed):
    pupils, activities = instance
    result = allocate(pupils, activities, seed)
    assert lexicographic(result) == brute_force(pupils, activities)
    assert is_optimal(result, pupils, activities)


@settings(max_examples=100, deadline=None)
@given(instances(), st.integers(0, 2**32))
def test_priority_pupils_get_what_they_would_get_alone(instance, seed):
    pupils, activities = instance
    result = allocate(pupils, activities, seed)
    alone = allocate([p for p in pupils if p.priority], activities, seed)
    assert result.priority_welfare == alone.priority_welfare


@settings(max_examples=100, deadline=None)
@given(instances(max_pupils=5), st.integers(0, 2**32))
def test_explanations_match_brute_force(instance, seed):
    """For every better choice a pupil missed: forcing them into it costs exactly what the
    reason says (priority welfare, welfare, or nothing but the draw)."""
    pupils, activities = instance
    result = allocate(pupils, activities, seed)
    best = lexicographic(result)
    for i, p in enumerate(pupils):
        for missed in result[p.id].missed:
            forced = brute_force(pupils, activities, forced=(i, missed.activity))
            if missed.reason is Reason.NO_PLACES:
                assert forced is None
            elif missed.reason is Reason.DRAW:
                assert forced == best
            elif missed.reason is Reason.PRIORITY:
                assert not p.priority and forced[0] < best[0]
            else:
                assert missed.reason in (Reason.RANKED_HIGHER, Reason.SATISFACTION)
                assert forced < best and (p.priority or forced[0] == best[0])


def test_against_a_known_large_optimum():
    """A bigger instance checked by the negative-cycle condition (brute force is out of reach)."""
    rnd = random.Random(5)
    activities = [Activity(f"a{j}", rnd.randint(0, 12)) for j in range(12)]
    pupils = [
        Pupil(i, rnd.sample([a.id for a in activities], rnd.randint(0, 5)), rnd.random() < 0.2)
        for i in range(150)
    ]
    result = allocate(pupils, activities, seed="x")
    assert is_optimal(result, pupils, activities)
    rsd = random_serial_dictatorship(pupils, activities, seed=1)
    assert lexicographic(result) >= lexicographic(rsd)
    # A changed allocation is caught: move a pupil from their choice to nothing.
    moved = next(r for r in result.results.values() if r.activity is not None)
    broken = dict(result.results)
    broken[moved.pupil] = type(moved)(moved.pupil, moved.priority, None, None, 0, Outcome.ALL_FULL)
    assert not is_optimal(
        type(result)(result.method, result.seed, result.max_choices, broken, result.capacities),
        pupils,
        activities,
    )


# -- Properties ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(instances(max_pupils=40, max_activities=7, max_capacity=8), st.integers(0, 2**32))
def test_properties(instance, seed):
    pupils, activities = instance
    caps = {a.id: a.capacity for a in activities}
    result = allocate(pupils, activities, seed)
    filled = result.filled()
    assert all(filled[a] <= caps[a] for a in caps)  # never over capacity
    for p in pupils:
        r = result[p.id]
        if r.activity is not None:  # one of their valid choices, with the right rank and score
            assert r.outcome is Outcome.ASSIGNED
            assert p.choices[r.rank - 1] == r.activity and r.score == score(r.rank)
            better = p.choices[: r.rank - 1]
        else:
            assert r.score == 0
            assert r.outcome is (Outcome.ALL_FULL if p.choices else Outcome.NO_VALID_CHOICE)
            better = p.choices
        # every better choice is explained, and was full
        assert [c.activity for c in r.missed] == list(better)
        assert all(filled[c.activity] == caps[c.activity] for c in r.missed)
    # no priority pupil is left out of, or ranked below, a place a non-priority pupil holds
    for p in pupils:
        if not p.priority:
            continue
        mine = result[p.id]
        better = p.choices if mine.activity is None else p.choices[: mine.rank - 1]
        for a in better:
            assert all(result[q].priority for q in result.members(a))
    # better than or equal to the baselines, priority first (FCFS and RSD ignore priority, so
    # their total welfare alone may be higher when priority pupils are present)
    fcfs = first_come_first_served(pupils, activities)
    rsd = random_serial_dictatorship(pupils, activities, seed)
    assert lexicographic(result) >= lexicographic(fcfs)
    assert lexicographic(result) >= lexicographic(rsd)
    if not any(p.priority for p in pupils):
        assert welfare(result) >= max(welfare(fcfs), welfare(rsd))
    assert is_optimal(result, pupils, activities)


def test_priority_can_cost_total_welfare():
    """The price of priority: one place; the priority pupil ranked it third."""
    activities = [Activity("A", 1), Activity("X", 0), Activity("Y", 0)]
    pupils = [Pupil("prio", ["X", "Y", "A"], priority=True), Pupil("other", ["A"])]
    result = allocate(pupils, activities, seed=1)
    assert result["prio"].activity == "A" and result["prio"].score == 3
    assert result["other"].missed[0].reason is Reason.PRIORITY
    fcfs = first_come_first_served(list(reversed(pupils)), activities)
    assert welfare(fcfs) == 5 > welfare(result)


# -- Determinism --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(instances(max_pupils=25, max_activities=5), st.integers(0, 2**32), st.randoms())
def test_same_seed_same_result_whatever_the_input_order(instance, seed, rnd):
    pupils, activities = instance
    first = allocate(pupils, activities, seed)
    shuffled = list(pupils)
    rnd.shuffle(shuffled)
    again = allocate(shuffled, list(reversed(activities)), seed)
    assert {k: v.activity for k, v in first.results.items()} == {
        k: v.activity for k, v in again.results.items()
    }
    assert first.results == {p.id: again[p.id] for p in pupils}
    other = allocate(pupils, activities, seed + 1)
    assert lexicographic(other) == lexicographic(first)  # a seed changes only ties


def test_the_draw_decides_between_equals():
    activities = [Activity("chess", 1)]
    pupils = [Pupil("li", ["chess"]), Pupil("wang", ["chess"])]
    winners = set()
    for seed in range(30):
        result = allocate(pupils, activities, seed)
        (winner,) = result.members("chess")
        loser = "wang" if winner == "li" else "li"
        assert result[loser].missed[0].reason is Reason.DRAW
        assert result[loser].outcome is Outcome.ALL_FULL
        assert allocate(pupils, activities, seed).members("chess") == [winner]
        winners.add(winner)
    assert winners == {"li", "wang"}


# -- Explanations -------------------------------------------------------------------------------


def test_explanations():
    activities = [
        Activity("robotics", 1),
        Activity("chess", 1),
        Activity("choir", 1),
        Activity("art", 1),
        Activity("closed", 0),
        Activity("senior", 5, grades={5, 6}),
    ]
    pupils = [
        Pupil("zhao", ["robotics"], priority=True, grade=3),
        Pupil("qian", ["robotics", "chess"], grade=3),
        Pupil("sun", ["chess"], grade=3),
        Pupil("zhou", ["closed", "chess", "art"], grade=3),
        Pupil("wu", ["senior", "nope", "choir", "choir"], grade=3),
        Pupil("zheng", ["choir"], grade=4),
    ]
    r = allocate(pupils, activities, seed=3)
    assert r["zhao"].activity == "robotics" and r["zhao"].rank == 1 and r["zhao"].missed == ()
    # qian: robotics went to a priority pupil; chess to sun, who ranked it first (qian second).
    assert r["qian"].outcome is Outcome.ALL_FULL
    assert [c.reason for c in r["qian"].missed] == [Reason.PRIORITY, Reason.RANKED_HIGHER]
    assert r["sun"].activity == "chess"
    # zhou: "closed" has no places, chess went to sun; art is zhou's third choice.
    assert r["zhou"].activity == "art" and r["zhou"].rank == 3 and r["zhou"].score == score(3)
    assert [(c.activity, c.reason) for c in r["zhou"].missed] == [
        ("closed", Reason.NO_PLACES),
        ("chess", Reason.RANKED_HIGHER),
    ]
    # wu: three choices ignored; choir is wu's first valid choice, as it is zheng's: a draw.
    assert [(c.activity, c.rank, c.reason) for c in r["wu"].ignored] == [
        ("senior", 1, Reason.NOT_FOR_GRADE),
        ("nope", 2, Reason.UNKNOWN_ACTIVITY),
        ("choir", 4, Reason.DUPLICATE),
    ]
    (winner,) = r.members("choir")
    loser = "zheng" if winner == "wu" else "wu"
    assert r[winner].score == 5 and r[loser].missed[-1].reason is Reason.DRAW
    text = r["zhou"].explain()
    assert "Assigned to art (choice 3)" in text and "offers no places" in text
    assert "ignored: not offered to the pupil's grade" in r["wu"].explain()


def test_satisfaction_reason():
    """Giving X its first choice would leave Y, who has no other choice, with nothing."""
    activities = [Activity("A", 1), Activity("B", 1)]
    pupils = [Pupil("X", ["A", "B"]), Pupil("Y", ["A"])]
    r = allocate(pupils, activities, seed=0)
    assert r["X"].activity == "B" and r["Y"].activity == "A"
    assert r["X"].missed[0].reason is Reason.SATISFACTION


def test_ignored_choices_do_not_cost_the_pupil():
    activities = [Activity("A", 2), Activity("B", 2)]
    pupils = [Pupil("p", ["gone", "A", "B", "A"]), Pupil("q", ["A", "B"])]
    r = allocate(pupils, activities, seed=0, max_choices=1)
    assert r["p"].activity == "A" and r["p"].rank == 2 and r["p"].score == 1
    assert [c.reason for c in r["p"].ignored] == [
        Reason.UNKNOWN_ACTIVITY,
        Reason.BEYOND_MAX_CHOICES,
        Reason.DUPLICATE,
    ]
    assert r["q"].score == 1 and [c.reason for c in r["q"].ignored] == [Reason.BEYOND_MAX_CHOICES]


def test_no_valid_choice():
    r = allocate([Pupil("p", ["x"]), Pupil("q")], [Activity("A", 1)], seed=0)
    assert r["p"].outcome is Outcome.NO_VALID_CHOICE and r["q"].outcome is Outcome.NO_VALID_CHOICE
    assert "no valid choice" in r["q"].explain()
    assert r.stats()["unassigned"] == 2


def test_empty_inputs():
    assert allocate([], [], seed=0).welfare == 0
    assert allocate([], [Activity("A", 3)], seed=0).filled() == {"A": 0}


# -- Baselines ----------------------------------------------------------------------------------


def test_first_come_first_served_follows_arrival():
    activities = [Activity("A", 1), Activity("B", 1)]
    pupils = [Pupil("late", ["A"]), Pupil("early", ["A", "B"])]
    fcfs = first_come_first_served(list(reversed(pupils)), activities)
    assert fcfs["early"].activity == "A" and fcfs["late"].activity is None
    assert fcfs["late"].missed[0].reason is Reason.TAKEN_EARLIER
    assert list(fcfs.results) == ["early", "late"]
    assert welfare(fcfs) == 5
    assert welfare(allocate(pupils, activities, seed=0)) == 9  # both served


def test_random_serial_dictatorship_is_seeded():
    activities = [Activity("A", 1)]
    pupils = [Pupil(f"p{i}", ["A"]) for i in range(6)]
    one = random_serial_dictatorship(pupils, activities, seed=4).members("A")
    again = random_serial_dictatorship(list(reversed(pupils)), activities, seed=4).members("A")
    assert again == one
    winners = {random_serial_dictatorship(pupils, activities, s).members("A")[0] for s in range(20)}
    assert len(winners) > 1


# -- Waiting list, priority flags, bad input ----------------------------------------------------


def test_waitlist_order():
    chess = Activity("chess", 1, grades={3, 4})
    pupils = [
        Pupil("a", ["chess"], grade=3),
        Pupil("b", ["x", "chess"], priority=True, grade=3),
        Pupil("c", ["x", "chess"], grade=4),
        Pupil("d", ["chess"], grade=5),  # not for grade 5
        Pupil("e", ["x"], grade=3),  # did not choose chess
        Pupil("f", ["chess"], grade=4),
    ]
    order = waitlist_order(chess, pupils, seed=1)
    assert order[0] == "b" and set(order[1:3]) == {"a", "f"} and order[3] == "c"
    assert len(order) == 4
    assert waitlist_order(chess, list(reversed(pupils)), seed=1) == order
    ties = {tuple(waitlist_order(chess, pupils, seed=s)[1:3]) for s in range(20)}
    assert ties == {("a", "f"), ("f", "a")}


def test_priority_flags():
    assert has_priority({"left_behind"}) and has_priority(["migrant", "disability"])
    assert has_priority({"in_difficulty"})
    assert not has_priority({"disability", "low_income", "returned"}) and not has_priority([])


@pytest.mark.parametrize(
    "pupils,activities,kw",
    [
        ([Pupil("p"), Pupil("p")], [], {}),
        ([], [Activity("A", 1), Activity("A", 2)], {}),
        ([], [], {"max_choices": 0}),
    ],
)
def test_bad_input(pupils, activities, kw):
    with pytest.raises(ValueError):
        allocate(pupils, activities, seed=0, **kw)


def test_capacity_must_be_a_non_negative_integer():
    with pytest.raises(ValueError):
        Activity("A", -1)
    with pytest.raises(ValueError):
        Activity("A", 1.5)
