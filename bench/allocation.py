"""Benchmark of the after-school allocation run (AS-06): `python -m bench.allocation`.

One realistic instance: 3,000 pupils of grades 1–6, 40 activities (some only for grades 1–3 or
4–6) whose places add up to 100–110 % of the pupils, popularity skewed (Zipf-like: the
favourite is chosen far more often than the median), 3–5 ranked choices each among the activities
open to the pupil's grade, ~15 % priority pupils (AS-04).

Figures: the time of allocate() (median of 5, explanations included); its welfare as a ratio to the
optimum, certified independently (a linear-programming dual bound computed here from activity
prices, plus scipy's linear_sum_assignment on the expanded seat matrix when scipy is installed);
first come first served and random serial dictatorship beside it.  "The optimum" is the optimum
of the problem allocate() solves: priority pupils first (AS-04), then welfare; the price of that
priority, in total welfare, is shown too.
"""

import random
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shuangjian.rules.allocation import (
    Activity,
    Allocation,
    Pupil,
    allocate,
    first_come_first_served,
    random_serial_dictatorship,
    score,
)

TARGET_SECONDS = 0.5


def make_instance(pupils=3000, activities=40, seed=2021):
    rnd = random.Random(seed)
    total = round(pupils * rnd.uniform(1.00, 1.10))
    raw = [rnd.randint(25, 110) for _ in range(activities)]
    caps = [round(r * total / sum(raw)) for r in raw]
    acts = []
    for j, cap in enumerate(caps):
        kind = rnd.random()
        grades = None if kind < 0.7 else ({1, 2, 3} if kind < 0.85 else {4, 5, 6})
        acts.append(Activity(f"A{j:02d}", cap, grades))
    popularity = list(range(1, activities + 1))
    rnd.shuffle(popularity)
    weight = {a.id: 1 / r**1.1 for a, r in zip(acts, popularity, strict=True)}
    out = []
    for i in range(pupils):
        grade = rnd.randint(1, 6)
        open_ = [a.id for a in acts if a.open_to(grade)]
        k = min(CHOICES, len(open_))
        choices: list = []
        while len(choices) < k:
            pick = rnd.choices(open_, weights=[weight[a] for a in open_])[0]
            if pick not in choices:
                choices.append(pick)
        out.append(Pupil(f"P{i:05d}", choices, rnd.random() < 0.15, grade))
    return out, acts


def _weights(pupils, activities, max_choices=5):
    """Per pupil: {activity id: weight} with the lexicographic weight of allocate()'s level 1 and 2
    (big × score for priority pupils, + score for all); the eligible choices only."""
    big = 2 * len(pupils) * max_choices + 1
    open_to = {a.id: a for a in activities}
    out = []
    for p in pupils:
        valid = [
            a for a in dict.fromkeys(p.choices) if a in open_to and open_to[a].open_to(p.grade)
        ]
        weight = big + 1 if p.priority else 1
        out.append(
            {a: weight * score(r, max_choices) for r, a in enumerate(valid[:max_choices], 1)}
        )
    return out, big


def dual_bound(allocation: Allocation, pupils, activities) -> int:
    """An upper bound on Σ weight by weak LP duality: with prices λ ≥ 0 on the activities,
    Σ_p max(0, max_a w_pa − λ_a) + Σ_a capacity_a · λ_a.  The prices are the cheapest ways of
    freeing a place in each activity (Bellman–Ford on the moves of pupils); the bound equals the
    allocation's value exactly when the allocation is optimal."""
    weights, _ = _weights(pupils, activities)
    caps = {a.id: a.capacity for a in activities}
    where = [allocation[p.id].activity for p in pupils]
    count = dict.fromkeys(caps, 0)
    for w in where:
        if w is not None:
            count[w] += 1
    # Moving a pupil from x to y (y = None: out) loses w(x) − w(y); a free place loses nothing.
    edges: dict = {}
    for w_p, x in zip(weights, where, strict=True):
        if x is None:
            continue
        for y in [None, *w_p]:
            if y != x:
                loss = w_p[x] - w_p.get(y, 0)
                edges[x, y] = min(edges.get((x, y), loss), loss)
    inf = float("inf")
    price = {a: (0 if count[a] < caps[a] else inf) for a in caps}
    price[None] = 0
    for _ in range(len(caps) + 1):
        changed = False
        for (x, y), loss in edges.items():
            if price[y] + loss < price[x]:
                price[x], changed = price[y] + loss, True
        if not changed:
            break
    top = max((w for w_p in weights for w in w_p.values()), default=0)
    price = {a: min(max(v, 0), top) for a, v in price.items()}  # any prices ≥ 0 give a bound
    return sum(max([0, *(w - price[a] for a, w in w_p.items())]) for w_p in weights) + sum(
        caps[a] * price[a] for a in caps
    )


def value(allocation: Allocation, big: int) -> int:
    return big * allocation.priority_welfare + allocation.welfare


def scipy_optimum(pupils, activities):
    """The same optimum by scipy's linear_sum_assignment on pupils × seats, or None."""
    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        return None
    weights, big = _weights(pupils, activities)
    start, seats = {}, 0
    for a in activities:
        start[a.id], seats = seats, seats + a.capacity
    cost = np.zeros((len(pupils), seats))
    caps = {a.id: a.capacity for a in activities}
    for i, w_p in enumerate(weights):
        for a, w in w_p.items():
            cost[i, start[a] : start[a] + caps[a]] = -w
    rows, cols = linear_sum_assignment(cost)
    return int(-cost[rows, cols].sum())


def envy(allocation: Allocation, pupils) -> int:
    """Priority pupils left out of, or below, a choice that a non-priority pupil holds."""
    holders: dict = {}
    for r in allocation.results.values():
        if r.activity is not None and not r.priority:
            holders[r.activity] = True
    n = 0
    for p in pupils:
        r = allocation[p.id]
        if p.priority and any(holders.get(c.activity) for c in r.missed):
            n += 1
    return n


CHOICES = 3  # ranked choices per pupil (the benchmark: 3,000 × 40 × 3, 15% priority)


def shares(result) -> str:
    """Share of pupils on their first choice, and of priority pupils on theirs."""
    rows = list(result.results.values())
    prio = [r for r in rows if r.priority]
    first = sum(r.rank == 1 for r in rows) / len(rows)
    prio_first = sum(r.rank == 1 for r in prio) / len(prio) if prio else 0.0
    return f"first choice {first:.1%}; priority pupils on their first choice {prio_first:.1%}"


def run(pupils=3000, activities=40, seed=2021) -> list[tuple[str, str, str, str]]:
    people, acts = make_instance(pupils, activities, seed)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = allocate(people, acts, seed)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    _, big = _weights(people, acts)
    best = value(result, big)
    bound = dual_bound(result, people, acts)
    checks = [f"LP dual bound {'=' if bound == best else '≠'} value"]
    other = scipy_optimum(people, acts)
    if other is not None:
        checks.append(f"scipy {'agrees' if other == best else 'DISAGREES'}")
    # The optimum's welfare: from scipy's solve when there is one (value = big × priority
    # welfare + welfare, and welfare < big), else the allocation's own once the bound certifies it.
    if other is not None:
        optimum = other % big
    elif bound == best:
        optimum = result.welfare
    else:
        raise AssertionError("allocation not certified optimal")
    ratio = result.welfare / optimum
    arrival = list(people)
    random.Random(f"{seed}-arrival").shuffle(arrival)
    fcfs = first_come_first_served(arrival, acts)
    rsd = random_serial_dictatorship(people, acts, seed)
    plain = [Pupil(p.id, p.choices, False, p.grade) for p in people]
    unconstrained = allocate(plain, acts, seed)
    label = f"{pupils:,} × {activities}"
    rows = [
        (
            f"allocation run {label}: time (s, median of 5)",
            f"{median:.3f}",
            f"< {TARGET_SECONDS}",
            f"{median / TARGET_SECONDS:.2f} of target",
        ),
        (
            "allocation welfare / optimum",
            f"{ratio:.3f}",
            "1.000",
            f"{'; '.join(checks)}; welfare {result.welfare:,}",
        ),
        ("allocation: who got what", "", "", shares(result)),
    ]
    for name, other_run in (("first come first served", fcfs), ("random serial dictatorship", rsd)):
        rows.append(
            (
                f"{name} welfare / optimum",
                f"{other_run.welfare / optimum:.3f}",
                "",
                f"priority pupils passed over: {envy(other_run, people)} "
                f"(allocation: {envy(result, people)}); "
                f"unassigned {other_run.stats()['unassigned']} "
                f"(allocation: {result.stats()['unassigned']}); {shares(other_run)}",
            )
        )
    rows.append(
        (
            "optimum with priority / optimum without",
            f"{result.welfare / unconstrained.welfare:.3f}",
            "",
            f"priority pupils: {result.stats()['priority']}, "
            f"on their first choice {sum(r.priority and r.rank == 1 for r in result.results.values())}",
        )
    )
    return rows


if __name__ == "__main__":
    rows = run()
    header = ("figure", "value", "target", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
