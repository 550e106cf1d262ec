"""Fair allocation of pupils to after-school activities (AS-04, AS-06).

Sources:
  - seed 004 二(一)1(4) and requirements AS-04: left-behind children, children in difficulty and
    migrant workers' children are served first (优先保障留守儿童、困境儿童、进城务工人员随迁子女
    等特殊群体学生课后延时服务需求);
  - requirements AS-06: programmes have a capacity, pupils choose among them (走班), the allocation
    is fair and never over capacity, whatever the order in which the choices arrived.

No click race: choices are collected in a window, then one run assigns every pupil at once.

The run solves, exactly, the problem "maximise, in this order of importance":
  1. the satisfaction of priority pupils, Σ score over priority pupils;
  2. the satisfaction of all pupils, Σ score (the welfare);
  3. a seeded random tie-break (only decides between allocations equal on 1 and 2).
The score of a pupil is max_choices + 1 − r when they get their r-th valid choice, 0 when they get
nothing: with 5 choices, 5 for the first, 1 for the fifth.  Choices that are ignored (unknown,
not for the pupil's grade, repeated, beyond max_choices) do not count in r, so a mistaken first
choice does not cost the pupil.

The three levels are folded into one integer cost per (pupil, choice) with weights so large that a
level can never be traded for the one below it (lexicographic costs), and the whole is one
min-cost flow, solved here by successive shortest paths on the graph of activities (40 nodes
rather than 3,000 pupils; the path from an activity to another moves one pupil).  Pure Python, no
dependency; exactness is tested against brute force and checked by the negative-cycle condition.

Why level 1 means "priority pupils are served first": if a priority pupil P were unassigned, or
given a worse choice, while a non-priority pupil held a place in an activity P ranked higher,
giving P that place (and taking it from the other pupil) would raise level 1; so the optimum never
does that.  And the priority pupils together get exactly as much as they would with every
non-priority pupil removed: non-priority pupils cannot take anything from them.

Reproducible: the same pupils, activities and seed give the same allocation, whatever the order of
the input (the solver sees pupils in a seeded order and activities sorted by id).
"""

import hashlib
import heapq
import random
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from . import Source

SOURCE = Source("seed 004 二(一)1(4); requirements AS-04, AS-06", "AS-04, AS-06")
MAX_CHOICES = 5

# Care flags (org.CareFlag values) that give priority under AS-04.
PRIORITY_FLAGS = frozenset({"left_behind", "in_difficulty", "migrant"})

_TIE_BITS = 24  # a seeded draw in [0, 2**24) per (pupil, valid choice)


def has_priority(flags: Iterable[str]) -> bool:
    """AS-04: left-behind, in-difficulty and migrant workers' children are served first."""
    return not PRIORITY_FLAGS.isdisjoint(flags)


@dataclass(frozen=True)
class Activity:
    id: Hashable
    capacity: int
    grades: frozenset[int] | None = None  # target grades; None = open to every grade
    name: str = ""

    def __post_init__(self):
        if not isinstance(self.capacity, int) or self.capacity < 0:
            raise ValueError(f"capacity of {self.id!r} must be an integer ≥ 0")
        if self.grades is not None:
            object.__setattr__(self, "grades", frozenset(self.grades))

    def open_to(self, grade: int | None) -> bool:
        return self.grades is None or grade in self.grades


@dataclass(frozen=True)
class Pupil:
    id: Hashable
    choices: tuple = ()  # activity ids, best first
    priority: bool = False  # see has_priority()
    grade: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))


class Reason(StrEnum):
    # A choice that was ignored:
    UNKNOWN_ACTIVITY = "unknown_activity"
    NOT_FOR_GRADE = "not_for_grade"
    DUPLICATE = "duplicate"
    BEYOND_MAX_CHOICES = "beyond_max_choices"
    # A valid choice better than the result that the pupil did not get (it was full):
    NO_PLACES = "no_places"  # the activity offers no places at all
    PRIORITY = "priority"  # the place would have had to come from a pupil with priority
    RANKED_HIGHER = "ranked_higher"  # every place went to a pupil who ranked it higher
    SATISFACTION = "satisfaction"  # giving it would push other pupils further down their lists
    DRAW = "draw"  # an equally good allocation existed; the seeded draw decided
    TAKEN_EARLIER = "taken_earlier"  # (baselines) full before this pupil's turn


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    ALL_FULL = "all_full"  # unassigned: every valid choice was full
    NO_VALID_CHOICE = "no_valid_choice"  # unassigned: nothing valid was chosen


REASON_TEXT = {
    Reason.UNKNOWN_ACTIVITY: "not an activity on offer",
    Reason.NOT_FOR_GRADE: "not offered to the pupil's grade",
    Reason.DUPLICATE: "already chosen above",
    Reason.BEYOND_MAX_CHOICES: "more choices than allowed",
    Reason.NO_PLACES: "offers no places",
    Reason.PRIORITY: "full — a place for this pupil would have been taken from a pupil with "
    "priority",
    Reason.RANKED_HIGHER: "full — filled by pupils who ranked it higher",
    Reason.SATISFACTION: "full — a place for this pupil would have moved others further down "
    "their lists",
    Reason.DRAW: "full — decided by the tie-break draw between equally good allocations",
    Reason.TAKEN_EARLIER: "full before this pupil's turn",
}


@dataclass(frozen=True)
class Choice:
    activity: Hashable
    rank: int  # position in the pupil's list as submitted, from 1
    reason: Reason


@dataclass(frozen=True)
class PupilResult:
    pupil: Hashable
    priority: bool
    activity: Hashable | None  # None: unassigned
    rank: int | None  # position of that activity in the list as submitted
    score: int
    outcome: Outcome
    missed: tuple[Choice, ...] = ()  # valid choices better than the result, best first
    ignored: tuple[Choice, ...] = ()

    def explain(self) -> str:
        if self.outcome is Outcome.ASSIGNED:
            parts = [f"Assigned to {self.activity} (choice {self.rank})."]
        elif self.outcome is Outcome.ALL_FULL:
            parts = ["Not assigned: every valid choice was full."]
        else:
            parts = ["Not assigned: no valid choice."]
        parts += [f"Choice {c.rank} ({c.activity}): {REASON_TEXT[c.reason]}." for c in self.missed]
        parts += [
            f"Choice {c.rank} ({c.activity}) ignored: {REASON_TEXT[c.reason]}."
            for c in self.ignored
        ]
        return " ".join(parts)


@dataclass(frozen=True)
class Allocation:
    method: str  # "optimal", "first_come_first_served" or "random_serial_dictatorship"
    seed: object
    max_choices: int
    results: dict = field(default_factory=dict)  # pupil id → PupilResult, in input order
    capacities: dict = field(default_factory=dict)  # activity id → capacity

    def __getitem__(self, pupil_id) -> PupilResult:
        return self.results[pupil_id]

    def members(self, activity_id) -> list:
        return [r.pupil for r in self.results.values() if r.activity == activity_id]

    def filled(self) -> dict:
        counts = dict.fromkeys(self.capacities, 0)
        for r in self.results.values():
            if r.activity is not None:
                counts[r.activity] += 1
        return counts

    @property
    def welfare(self) -> int:
        return sum(r.score for r in self.results.values())

    @property
    def priority_welfare(self) -> int:
        return sum(r.score for r in self.results.values() if r.priority)

    def stats(self) -> dict:
        res = list(self.results.values())
        return {
            "pupils": len(res),
            "assigned": sum(r.activity is not None for r in res),
            "first_choice": sum(r.score == self.max_choices for r in res),
            "unassigned": sum(r.activity is None for r in res),
            "priority": sum(r.priority for r in res),
            "priority_unassigned": sum(r.priority and r.activity is None for r in res),
            "welfare": self.welfare,
        }


def welfare(allocation: Allocation) -> int:
    """Σ score: max_choices + 1 − r for a pupil given their r-th valid choice, 0 if unassigned."""
    return allocation.welfare


def score(valid_rank: int, max_choices: int = MAX_CHOICES) -> int:
    return max_choices + 1 - valid_rank


# -- Preparing the input ------------------------------------------------------------------------


@dataclass
class _Prepared:
    activities: list[Activity]
    index: dict  # activity id → position
    pupils: list[Pupil]
    valid: list[list[tuple[int, int, int]]]  # per pupil: (activity index, listed rank, valid rank)
    ignored: list[tuple[Choice, ...]]
    max_choices: int


def _prepare(pupils: Iterable[Pupil], activities: Iterable[Activity], max_choices: int):
    if max_choices < 1:
        raise ValueError("max_choices must be at least 1")
    activities = list(activities)
    pupils = list(pupils)
    index, names = {}, set()
    for i, a in enumerate(activities):
        if a.id in index or str(a.id) in names:
            raise ValueError(f"activity {a.id!r} appears twice")
        index[a.id] = i
        names.add(str(a.id))
    seen = set()
    valid, ignored = [], []
    for p in pupils:
        if str(p.id) in seen:
            raise ValueError(f"pupil {p.id!r} appears twice")
        seen.add(str(p.id))
        mine, skipped, taken = [], [], set()
        for listed, aid in enumerate(p.choices, 1):
            i = index.get(aid)
            if i is None:
                why = Reason.UNKNOWN_ACTIVITY
            elif i in taken:
                why = Reason.DUPLICATE
            elif not activities[i].open_to(p.grade):
                why = Reason.NOT_FOR_GRADE
            elif len(mine) >= max_choices:
                why = Reason.BEYOND_MAX_CHOICES
            else:
                taken.add(i)
                mine.append((i, listed, len(mine) + 1))
                continue
            skipped.append(Choice(aid, listed, why))
        valid.append(mine)
        ignored.append(tuple(skipped))
    return _Prepared(activities, index, pupils, valid, ignored, max_choices)


# -- The optimal allocation ---------------------------------------------------------------------


def _pupil_draws(seed, pupil_id, k: int) -> list[int]:
    """k + 1 seeded draws in [0, 2**_TIE_BITS) for one pupil (one hash): the pupil's place in
    the solver's order, then one per valid choice.  Stable across processes and input order."""
    key = f"{seed}\x1f{pupil_id}".encode()
    size = _TIE_BITS // 8
    digest = hashlib.blake2b(key, digest_size=size * (k + 1)).digest()
    return [int.from_bytes(digest[i : i + size], "big") for i in range(0, len(digest), size)]


def _costs(prep: _Prepared, seed) -> tuple[list[list[tuple[int, int]]], list[int]]:
    """Per pupil: (activity index, cost) for each valid choice (being unassigned costs 0), and
    the pupil's seeded order key.

    cost = −(priority weight × score) × M + draw, with the priority weight BIG + 1 for priority
    pupils and 1 for the others.  BIG exceeds twice the largest possible welfare and M twice the
    largest possible sum of draws, so level 1 outweighs any change of level 2, which outweighs
    any change of the draws (and sums along a path decompose exactly, see _split).
    """
    _, big, m = _scales(prep)
    out, keys = [], []
    top = prep.max_choices + 1
    for p, choices in zip(prep.pupils, prep.valid, strict=True):
        weight = (big + 1 if p.priority else 1) * m
        key, *draws = _pupil_draws(seed, p.id, len(choices))
        out.append(
            [(a, draw - weight * (top - r)) for (a, _, r), draw in zip(choices, draws, strict=True)]
        )
        keys.append(key)
    return out, keys


def _scales(prep: _Prepared) -> tuple[int, int, int]:
    n = max(1, len(prep.pupils))
    big = 2 * n * prep.max_choices + 1
    m = 2 * (n + 1) * (1 << _TIE_BITS) + 1
    return n, big, m


def _split(delta: int, big: int, m: int) -> tuple[int, int, int]:
    """A cost difference → (change of priority welfare, change of welfare, change of draws).

    delta = −(big × Δpriority_welfare + Δwelfare) × m + Δdraws, with |Δwelfare| < big / 2 and
    |Δdraws| < m / 2 by the choice of the scales.
    """
    q, tie = divmod(delta, m)
    if tie > m // 2:
        q, tie = q + 1, tie - m
    p, w = divmod(-q, big)
    if w > big // 2:
        p, w = p + 1, w - big
    return p, w, tie


def _solve(options: list[list[tuple[int, int]]], caps: list[int]) -> list:
    """Min-cost assignment: each pupil to one of its options or to nothing (cost 0), never over
    a capacity.  Returns each pupil's activity index, or None.

    Successive shortest paths with potentials (Dijkstra), pupils inserted one at a time in the
    order given.  Nodes are the activities, NONE (unassigned, unlimited) and the sink T; the edge
    x → y stands for moving the cheapest pupil now in x to y, kept in a lazy heap per (x, y).
    """
    m = len(caps)
    none, sink = m, m + 1
    nodes = m + 2
    free = [*caps, len(options) + 1]
    opts = [dict(o) for o in options]
    for o in opts:
        o[none] = 0
    heaps = [[[] for _ in range(m + 1)] for _ in range(m + 1)]
    targets = [set() for _ in range(m + 1)]
    where: list = [None] * len(options)
    pot = [0] * nodes
    inf = float("inf")
    push, pop = heapq.heappush, heapq.heappop
    for p, o in enumerate(opts):
        dist = [inf] * nodes
        prev: list = [None] * nodes
        base = max(pot[a] - c for a, c in o.items())  # the new pupil's potential
        queue = []
        for a, c in o.items():
            d = c + base - pot[a]
            if d < dist[a]:
                dist[a], prev[a] = d, (-1, p)
                push(queue, (d, a))
        done = [False] * nodes
        settled = []
        while queue:
            d, u = pop(queue)
            if d >= dist[sink]:  # nothing left is shorter: the sink is reached
                break
            if done[u] or d > dist[u]:
                continue
            done[u] = True
            settled.append(u)
            pu = pot[u]
            if free[u] > 0:
                nd = d + pu - pot[sink]
                if nd < dist[sink]:
                    dist[sink], prev[sink] = nd, (u, None)
                    push(queue, (nd, sink))
            row, empty = heaps[u], []
            for b in targets[u]:
                if done[b]:
                    continue
                h = row[b]
                while h and where[h[0][1]] != u:
                    pop(h)
                if not h:
                    empty.append(b)
                    continue
                nd = d + h[0][0] + pu - pot[b]
                if nd < dist[b]:
                    dist[b], prev[b] = nd, (u, h[0][1])
                    push(queue, (nd, b))
            targets[u].difference_update(empty)
        reach = dist[sink]
        for v in settled:  # π += min(dist, reach), less the constant reach (differences count)
            pot[v] += dist[v] - reach
        v = prev[sink][0]
        free[v] -= 1
        while True:  # move each pupil along the path one activity on
            u, h = prev[v]
            where[h] = v
            oh = opts[h]
            here = oh[v]
            for b, c in oh.items():
                if b != v:
                    push(heaps[v][b], (c - here, h))
                    targets[v].add(b)
            if u == -1:
                break
            v = u
    return [None if w == none else w for w in where]


def _distances(options, caps, where) -> list[list]:
    """All-pairs shortest paths on the residual graph of an assignment (activities, NONE, T).

    d[x][y] is the cheapest change that pushes one more pupil out of x and one into y's place;
    the assignment is optimal iff no d[v][v] < 0 (the negative-cycle condition).
    """
    m = len(caps)
    none, sink = m, m + 1
    nodes = m + 2
    inf = float("inf")
    d = [[inf] * nodes for _ in range(nodes)]
    count = [0] * (m + 1)
    for p, o in enumerate(options):
        x = none if where[p] is None else where[p]
        count[x] += 1
        cost = dict(o)
        cost[none] = 0
        here = cost[x]
        row = d[x]
        for y, c in cost.items():
            if y != x and c - here < row[y]:
                row[y] = c - here
    for x in range(m + 1):
        if x == none or count[x] < caps[x]:
            d[x][sink] = min(d[x][sink], 0)
        if count[x] > 0:
            d[sink][x] = min(d[sink][x], 0)
    for v in range(nodes):
        d[v][v] = min(d[v][v], 0)
    for k in range(nodes):
        dk = d[k]
        for i in range(nodes):
            dik = d[i][k]
            if dik == inf:
                continue
            di = d[i]
            for j in range(nodes):
                alt = dik + dk[j]
                if alt < di[j]:
                    di[j] = alt
    return d


def _canonical_solve(prep: _Prepared, options, keys, caps) -> list:
    """_solve on a canonical form of the input (pupils with priority first, each group in a
    seeded order; activities by id), so that the result, even between exactly equal optima, does
    not depend on the input order.  Priority pupils first is only faster: the optimum is the
    same in any order."""
    pupils = sorted(
        range(len(prep.pupils)),
        key=lambda i: (not prep.pupils[i].priority, keys[i], str(prep.pupils[i].id)),
    )
    acts = sorted(range(len(caps)), key=lambda j: str(prep.activities[j].id))
    position = {j: k for k, j in enumerate(acts)}
    found = _solve(
        [[(position[a], c) for a, c in options[i]] for i in pupils], [caps[j] for j in acts]
    )
    where: list = [None] * len(pupils)
    for k, i in enumerate(pupils):
        if found[k] is not None:
            where[i] = acts[found[k]]
    return where


def allocate(
    pupils: Iterable[Pupil],
    activities: Iterable[Activity],
    seed,
    max_choices: int = MAX_CHOICES,
) -> Allocation:
    """The optimal allocation: priority first, then welfare, then the seeded draw (see above).

    Each pupil's result says why every better valid choice was missed.  The reason is exact: the
    cheapest change of the whole allocation that would give the pupil that choice (a shortest
    path in the residual graph) either costs a pupil with priority something (PRIORITY, for a
    pupil without priority), or lowers the welfare (RANKED_HIGHER when every pupil holding a
    place there ranked it higher, else SATISFACTION), or changes only the draw (DRAW).
    """
    prep = _prepare(pupils, activities, max_choices)
    options, keys = _costs(prep, seed)
    caps = [a.capacity for a in prep.activities]
    where = _canonical_solve(prep, options, keys, caps)
    dist = _distances(options, caps, where)
    _, big, m = _scales(prep)
    none = len(caps)
    worst = [0] * len(caps)  # the worst valid rank among the pupils in each activity
    for p, w in enumerate(where):
        if w is not None:
            r = next(r for a, _, r in prep.valid[p] if a == w)
            worst[w] = max(worst[w], r)
    results = {}
    for p, pupil in enumerate(prep.pupils):
        cost = dict(options[p])
        w = where[p]
        here = none if w is None else w
        here_cost = cost.get(here, 0)
        missed = []
        got = None
        for a, listed, r in prep.valid[p]:
            if a == w:
                got = (listed, r)
                break
            if caps[a] == 0:
                why = Reason.NO_PLACES
            else:
                delta = cost[a] - here_cost + dist[a][here]
                # The cheapest change that gives the pupil this place, never an improvement.
                assert delta >= 0, "allocation not optimal"
                gain_priority, gain, _ = _split(delta, big, m)
                if gain_priority < 0 and not pupil.priority:
                    why = Reason.PRIORITY
                elif gain_priority < 0 or gain < 0:
                    higher = worst[a] < r
                    why = Reason.RANKED_HIGHER if higher else Reason.SATISFACTION
                else:
                    why = Reason.DRAW
            missed.append(Choice(prep.activities[a].id, listed, why))
        results[pupil.id] = _result(prep, p, w, got, missed)
    return Allocation("optimal", seed, max_choices, results, _capacities(prep))


def _result(prep: _Prepared, p: int, w, got, missed) -> PupilResult:
    pupil = prep.pupils[p]
    if w is None:
        outcome = Outcome.ALL_FULL if prep.valid[p] else Outcome.NO_VALID_CHOICE
        return PupilResult(
            pupil.id, pupil.priority, None, None, 0, outcome, tuple(missed), prep.ignored[p]
        )
    listed, r = got
    return PupilResult(
        pupil.id,
        pupil.priority,
        prep.activities[w].id,
        listed,
        score(r, prep.max_choices),
        Outcome.ASSIGNED,
        tuple(missed),
        prep.ignored[p],
    )


def _capacities(prep: _Prepared) -> dict:
    return {a.id: a.capacity for a in prep.activities}


def is_optimal(allocation: Allocation, pupils: Iterable[Pupil], activities: Iterable[Activity]):
    """Check an allocation from allocate() by the negative-cycle condition (independent of the
    solver): True iff no change of places could improve priority, welfare or the draw."""
    prep = _prepare(pupils, activities, allocation.max_choices)
    options, _ = _costs(prep, allocation.seed)
    caps = [a.capacity for a in prep.activities]
    where = [
        None if (a := allocation[p.id].activity) is None else prep.index[a] for p in prep.pupils
    ]
    counts = [0] * len(caps)
    for w in where:
        if w is not None:
            counts[w] += 1
    if any(c > cap for c, cap in zip(counts, caps, strict=True)):
        return False
    dist = _distances(options, caps, where)
    return all(dist[v][v] >= 0 for v in range(len(dist)))


# -- Baselines ----------------------------------------------------------------------------------


def _serial(prep: _Prepared, order: Sequence[int], method: str, seed) -> Allocation:
    free = [a.capacity for a in prep.activities]
    results = {}
    for p in order:
        missed, w, got = [], None, None
        for a, listed, r in prep.valid[p]:
            if free[a] > 0:
                free[a] -= 1
                w, got = a, (listed, r)
                break
            why = Reason.NO_PLACES if prep.activities[a].capacity == 0 else Reason.TAKEN_EARLIER
            missed.append(Choice(prep.activities[a].id, listed, why))
        results[p] = _result(prep, p, w, got, missed)
    ordered = {prep.pupils[p].id: results[p] for p in range(len(prep.pupils))}
    return Allocation(method, seed, prep.max_choices, ordered, _capacities(prep))


def first_come_first_served(
    pupils_in_arrival_order: Iterable[Pupil],
    activities: Iterable[Activity],
    max_choices: int = MAX_CHOICES,
) -> Allocation:
    """Baseline (the click race): each pupil in arrival order takes their best choice still free."""
    prep = _prepare(pupils_in_arrival_order, activities, max_choices)
    return _serial(prep, range(len(prep.pupils)), "first_come_first_served", None)


def random_serial_dictatorship(
    pupils: Iterable[Pupil],
    activities: Iterable[Activity],
    seed,
    max_choices: int = MAX_CHOICES,
) -> Allocation:
    """Baseline: like first come first served, in a seeded random order (no priority)."""
    prep = _prepare(pupils, activities, max_choices)
    order = sorted(range(len(prep.pupils)), key=lambda i: str(prep.pupils[i].id))
    random.Random(str(seed)).shuffle(order)
    return _serial(prep, order, "random_serial_dictatorship", seed)


# -- Waiting list -------------------------------------------------------------------------------


def waitlist_order(activity: Activity, pupils: Iterable[Pupil], seed) -> list:
    """Who is offered a place in `activity` first when one frees up: pupils with priority, then
    those who ranked it higher, then a seeded draw.  Pupils who did not choose it, or whose grade
    it is not for, are left out.  Returns pupil ids."""
    keyed = []
    for p in pupils:
        if activity.id not in p.choices or not activity.open_to(p.grade):
            continue
        rank = p.choices.index(activity.id) + 1
        keyed.append(
            (
                (
                    not p.priority,
                    rank,
                    _pupil_draws(f"{seed}\x1fwaitlist\x1f{activity.id}", p.id, 0)[0],
                    str(p.id),
                ),
                p.id,
            )
        )
    return [pid for _, pid in sorted(keyed, key=lambda k: k[0])]
