"""Reporting periods and the ranking of a bulletin (SV-01, SV-02).

Source: seed 003 (Ministry briefing, Dec 2021): "建立半月通报制度……每两周对'双减'主要指标进度排名
后10位的省份进行通报" and "通过学校直报、双周通报、每月调度、社会监督等方式"; seed 001 篇一
(三): "建立完善'双减'工作通报制度，定期通报工作滞后或不作为单位".

The method, in full:

* Periods.  A schedule has a first day, a length in days (14 = 双周) and a number of days after a
  period's end by which its report is due.  Period n runs from start + n·length for `length` days.
* One indicator.  Units with a value are ranked best first; the direction comes from the indicator
  (higher or lower is better).  Equal values share the better rank and the next rank skips
  ("1, 2, 2, 4").  A unit without a value (no data: nothing recorded, or a percentage whose
  denominator is 0) gets no rank; it is listed after the ranked units and marked "no data", never
  dropped.
* Bottom N ("倒数10").  A ranked unit is in the bottom N when fewer than N ranked units are worse
  than it, so units tied at the boundary are all named (the list may be longer than N).  With N or
  fewer ranked units every ranked unit is in the bottom N.  Units without data are listed apart.
* Several indicators (composite).  Only units with a value on every chosen indicator take part;
  each indicator is ranked among them as above and the composite score is the mean of those ranks
  (lower is better).  Units missing any indicator are listed as "no data" with the missing IDs.
  Scores are ranked with the same tie rule.
* Changes since the previous bulletin.  For each unit: rank change = previous rank − current rank
  (positive means it moved up), value change = current − previous (None where either is missing),
  and whether it entered or left the bottom N.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

BOTTOM_N = 10
MIN_PERIOD_DAYS, MAX_PERIOD_DAYS = 7, 31
MAX_DUE_DAYS = 15


# -- Periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    due: date


def period_at(first: date, length: int, due_days: int, index: int) -> Period:
    start = first + timedelta(days=index * length)
    end = start + timedelta(days=length - 1)
    return Period(start, end, end + timedelta(days=due_days))


def period_starting(first: date, length: int, due_days: int, day: date) -> Period | None:
    """The period that starts on `day`, or None when no period starts then (nor can end: a
    period running past the last date there is)."""
    offset = (day - first).days
    if offset < 0 or offset % length:
        return None
    try:
        return period_at(first, length, due_days, offset // length)
    except OverflowError:
        return None


def ended_periods(first: date, length: int, due_days: int, today: date) -> list[Period]:
    """Every period that has ended before `today`, latest first."""
    count = max(0, (today - first).days // length)
    return [period_at(first, length, due_days, i) for i in reversed(range(count))]


# -- Ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    key: str
    value: float | None
    rank: int | None  # None: no data, unranked
    bottom: bool = False
    missing: tuple[str, ...] = ()  # composite: the indicators without a value


def _competition_ranks(values: Mapping[str, float], better_first) -> dict[str, int]:
    """Standard competition ranking ("1, 2, 2, 4") in the order given by `better_first`."""
    ordered = sorted(values.items(), key=lambda kv: (better_first(kv[1]), kv[0]))
    ranks: dict[str, int] = {}
    for position, (key, value) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        if previous is not None and previous[1] == value:
            ranks[key] = ranks[previous[0]]
        else:
            ranks[key] = position
    return ranks


def _in_bottom(values: Mapping[str, float], n: int, higher_is_better: bool) -> dict[str, bool]:
    """Bottom-N membership: fewer than n ranked units strictly worse than this one."""
    worse = {
        key: sum(1 for w in values.values() if (w < v if higher_is_better else w > v))
        for key, v in values.items()
    }
    return {key: worse[key] < n for key in values}


def rank(
    values: Mapping[str, float | None], *, higher_is_better: bool, bottom_n: int = BOTTOM_N
) -> list[Ranked]:
    """Ranked units best first, then the units without data (by key)."""
    known = {k: float(v) for k, v in values.items() if v is not None}
    ranks = _competition_ranks(known, (lambda v: -v) if higher_is_better else (lambda v: v))
    bottom = _in_bottom(known, bottom_n, higher_is_better)
    ranked = sorted(
        (Ranked(k, known[k], ranks[k], bottom[k]) for k in known), key=lambda r: (r.rank, r.key)
    )
    unranked = [Ranked(k, None, None) for k in sorted(values) if values[k] is None]
    return ranked + unranked


def composite(
    values: Mapping[str, Mapping[str, float | None]],
    directions: Mapping[str, bool],
    *,
    bottom_n: int = BOTTOM_N,
) -> list[Ranked]:
    """values: unit key → {indicator id → value}; directions: indicator id → higher_is_better.
    The result's value is the mean rank (lower is better)."""
    ids = list(directions)
    if not ids:
        raise ValueError("choose at least one indicator")
    complete = {k: v for k, v in values.items() if all(v.get(i) is not None for i in ids)}
    sums = dict.fromkeys(complete, 0)  # integer sums of ranks: ties are exact
    for i in ids:
        for r in rank({k: complete[k][i] for k in complete}, higher_is_better=directions[i]):
            sums[r.key] += r.rank
    result = [
        Ranked(r.key, r.value / len(ids), r.rank, r.bottom)
        for r in rank(sums, higher_is_better=False, bottom_n=bottom_n)
    ]
    missing = [
        Ranked(k, None, None, missing=tuple(i for i in ids if values[k].get(i) is None))
        for k in sorted(values)
        if k not in complete
    ]
    return result + missing


# -- Changes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    rank_change: int | None  # previous − current: positive = moved up
    value_change: float | None  # current − previous
    entered_bottom: bool
    left_bottom: bool


def changes(current: list[Ranked], previous: list[Ranked] | None) -> dict[str, Change]:
    """Per unit of `current`, its change since `previous` (None: no previous bulletin)."""
    before = {r.key: r for r in previous or []}
    out = {}
    for r in current:
        p = before.get(r.key)
        rank_change = (
            p.rank - r.rank if p is not None and p.rank is not None and r.rank is not None else None
        )
        value_change = (
            r.value - p.value
            if p is not None and p.value is not None and r.value is not None
            else None
        )
        was_bottom = p is not None and p.bottom
        out[r.key] = Change(
            r.key,
            rank_change,
            value_change,
            entered_bottom=previous is not None and r.bottom and not was_bottom,
            left_bottom=was_bottom and not r.bottom,
        )
    return out
