"""The semester score of an after-school class (AS-12), in plain numbers.

Source: seed 001 篇七 (课后校内托管工作实施方案), 考评办法:
  - (1) 日常巡查: "学校每天带班领导、家长进行巡查 … 填写巡查情况记录。日常巡查采取倒扣分制，违反课后
    托管工作制度的，每事项扣1分；发生不良影响的，每事项扣3分；发生责任事故产生严重后果的，每事项扣10分";
  - (2) 学期综合考评: "按课后托管班级进行，采取100分制，其中，日常巡查占50分(扣完为止)、课后托管工作
    计划完成情况占20分、课后托管工作成效占20分、学生和家长满意度问卷调查占10分";
  - 3、结果运用: "考评结果与任课老师评优评先、绩效工资挂钩" (the score feeds teacher evaluation).

Choices the document leaves open (documented here, applied everywhere):
  - the patrol part starts at 50 only once a patrol was recorded: with no patrol row there is no
    evidence, and the part is "no data" rather than an invented 50;
  - plan completion = 20 × held ÷ scheduled sessions, capped at 20 (an extra make-up session does
    not earn more than the plan); no scheduled session = no data, never a division by zero;
  - effectiveness is the school's recorded assessment (0–20) with its evidence text;
  - satisfaction = 10 × the share of satisfied ratings (4 or 5 on a 1–5 scale), the way the
    national briefing (seed 003) counts parents "satisfied"; no rating = no data;
  - the total exists only when all four parts have evidence; otherwise it is "incomplete".
Points are rounded to one decimal.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import Source

SOURCE = Source("seed 001 篇七 考评办法 2、(1)(2), 3、", "AS-12")
RULE = "AS-12"

PATROL_POINTS = 50  # 日常巡查占50分(扣完为止)
PLAN_POINTS = 20  # 课后托管工作计划完成情况占20分
EFFECTIVENESS_POINTS = 20  # 课后托管工作成效占20分
SATISFACTION_POINTS = 10  # 学生和家长满意度问卷调查占10分
TOTAL_POINTS = PATROL_POINTS + PLAN_POINTS + EFFECTIVENESS_POINTS + SATISFACTION_POINTS  # 100分制

BREACH = 1  # 违反课后托管工作制度的，每事项扣1分
BAD_INFLUENCE = 3  # 发生不良影响的，每事项扣3分
SERIOUS_ACCIDENT = 10  # 发生责任事故产生严重后果的，每事项扣10分

RATING_MIN, RATING_MAX = 1, 5
SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied


@dataclass(frozen=True)
class PatrolCounts:
    """What one patrol record found: numbers of events of each kind (each ≥ 0)."""

    breaches: int = 0
    bad_influence: int = 0
    serious_accidents: int = 0

    def __post_init__(self):
        if min(self.breaches, self.bad_influence, self.serious_accidents) < 0:
            raise ValueError("event counts cannot be negative")

    @property
    def deduction(self) -> int:
        return (
            BREACH * self.breaches
            + BAD_INFLUENCE * self.bad_influence
            + SERIOUS_ACCIDENT * self.serious_accidents
        )


@dataclass(frozen=True)
class Part:
    """One part of the score: its points (None = no evidence) out of `full`, and the numbers
    it was computed from."""

    key: str  # "patrol", "plan", "effectiveness", "satisfaction"
    full: int
    points: float | None
    evidence: dict = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.points is not None


def _round(x: float) -> float:
    return round(x, 1)


def patrol_part(patrols: Iterable[PatrolCounts]) -> Part:
    """50 minus every deduction of the term's patrols, floored at 0 (扣完为止)."""
    rows = list(patrols)
    breaches = sum(p.breaches for p in rows)
    bad = sum(p.bad_influence for p in rows)
    serious = sum(p.serious_accidents for p in rows)
    deducted = sum(p.deduction for p in rows)
    evidence = {
        "patrols": len(rows),
        "breaches": breaches,
        "bad_influence": bad,
        "serious_accidents": serious,
        "deducted": deducted,
    }
    points = max(0, PATROL_POINTS - deducted) if rows else None
    return Part("patrol", PATROL_POINTS, points, evidence)


def plan_part(held: int, scheduled: int) -> Part:
    """20 × held ÷ scheduled sessions, capped at 20; no scheduled session = no data."""
    if held < 0 or scheduled < 0:
        raise ValueError("session counts cannot be negative")
    evidence = {"held": held, "scheduled": scheduled}
    if scheduled == 0:
        return Part("plan", PLAN_POINTS, None, evidence)
    return Part(
        "plan", PLAN_POINTS, _round(PLAN_POINTS * min(held, scheduled) / scheduled), evidence
    )


def effectiveness_part(points: float | None, evidence_text: str = "") -> Part:
    """The school's recorded assessment (0–20); None when none was recorded."""
    if points is not None and not 0 <= points <= EFFECTIVENESS_POINTS:
        raise ValueError("effectiveness is 0 to 20 points")
    value = None if points is None else _round(float(points))
    return Part("effectiveness", EFFECTIVENESS_POINTS, value, {"text": evidence_text})


def check_rating(value: int) -> bool:
    return RATING_MIN <= value <= RATING_MAX


def satisfaction_part(ratings: Iterable[int]) -> Part:
    """10 × satisfied ratings (4–5) ÷ ratings; no rating = no data."""
    values = list(ratings)
    if not all(check_rating(v) for v in values):
        raise ValueError("ratings are 1 to 5")
    satisfied = sum(v >= SATISFIED_FROM for v in values)
    evidence = {
        "ratings": len(values),
        "satisfied": satisfied,
        "mean": _round(sum(values) / len(values)) if values else None,
    }
    if not values:
        return Part("satisfaction", SATISFACTION_POINTS, None, evidence)
    return Part("satisfaction", SATISFACTION_POINTS, _round(10 * satisfied / len(values)), evidence)


@dataclass(frozen=True)
class Score:
    patrol: Part
    plan: Part
    effectiveness: Part
    satisfaction: Part

    @property
    def parts(self) -> tuple[Part, Part, Part, Part]:
        return (self.patrol, self.plan, self.effectiveness, self.satisfaction)

    @property
    def missing(self) -> list[str]:
        return [p.key for p in self.parts if not p.has_data]

    @property
    def total(self) -> float | None:
        """Out of 100, or None while any part has no evidence."""
        if self.missing:
            return None
        return _round(sum(p.points for p in self.parts))


def score(
    *,
    patrols: Iterable[PatrolCounts],
    held: int,
    scheduled: int,
    effectiveness: float | None,
    effectiveness_evidence: str = "",
    ratings: Iterable[int],
) -> Score:
    return Score(
        patrol=patrol_part(patrols),
        plan=plan_part(held, scheduled),
        effectiveness=effectiveness_part(effectiveness, effectiveness_evidence),
        satisfaction=satisfaction_part(ratings),
    )


# -- Teachers (AS-11) ---------------------------------------------------------------------------
#
# Source: seed 004 三、(一) 加强教师关爱保障: "经费主要用于参与教师和相关人员补助" (a subsidy per
# session), "将教师参加课后延时服务的表现作为年度考核、表彰奖励的重要参考" (participation for the
# annual evaluation), "学校应平衡教师间工作量 … 探索实行'弹性上下班制'" (balanced load and flexible
# hours); seed 004 三、(三): "学校应加强对教职工参与本校课后延时服务的考核评价"; seed 001 篇七 5.
# 确定服务人员: "原则上全体教职工都要参加校内服务工作" (so the participation rate is taken over the
# whole active staff); seed 003: 91.7% of teachers take part nationally.

TEACHER_SOURCE = Source("seed 004 三、(一)(三); seed 001 篇七 5.", "AS-11")
TEACHER_RULE = "AS-11"


@dataclass(frozen=True)
class Spread:
    """How evenly sessions are spread over the staff: min, max, mean, population std dev."""

    count: int
    minimum: int
    maximum: int
    mean: float
    stdev: float

    def above(self, value: int) -> bool:
        """More than one standard deviation above the mean: a candidate to give sessions away."""
        return self.stdev > 0 and value > self.mean + self.stdev

    def below(self, value: int) -> bool:
        return self.stdev > 0 and value < self.mean - self.stdev


def spread(values: Iterable[int]) -> Spread | None:
    """None for nobody; otherwise the spread of the per-teacher session counts."""
    xs = list(values)
    if not xs:
        return None
    mean = sum(xs) / len(xs)
    variance = sum((x - mean) ** 2 for x in xs) / len(xs)
    return Spread(len(xs), min(xs), max(xs), _round(mean), _round(variance**0.5))


def participation_rate(taking_part: int, staff: int) -> float | None:
    """Percent of the active staff with at least one session; None when there is no staff."""
    if staff <= 0:
        return None
    return _round(100 * taking_part / staff)
