"""Homework rules (HW-02, HW-05): daily written-homework limits and forbidden practices.

Sources:
  - 中共中央办公厅 国务院办公厅《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》
    (2021-07-24) §4–§5;
  - 教育部办公厅《关于加强义务教育学校作业管理的通知》(教基厅函〔2021〕13号);
  - 北票市教育局 "三提" 实施方案 (seed 000, 三、1) and the school plans of seed 001 (篇二, 篇五, 篇八).

Limits are defaults: a region or school may make them stricter, never looser.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from . import Source

LIMIT_SOURCE = Source("双减意见 §5; 教基厅函〔2021〕13号", "HW-02")
PRACTICE_SOURCE = Source("双减意见 §4; 教基厅函〔2021〕3号 (手机); seed 001 篇五/篇八", "HW-05")


class DayKind(StrEnum):
    """The kind of day the homework is to be done on; each may carry its own total limit."""

    SCHOOL_DAY = "school_day"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # statutory holidays (法定节假日)
    VACATION = "vacation"  # winter and summer vacations (寒暑假)


class Kind(StrEnum):
    BASIC = "basic"  # 基础型 (written)
    EXTENSION = "extension"  # 拓展型 (written)
    COMPREHENSIVE = "comprehensive"  # 综合型 (written, for a few able pupils)
    PRACTICAL = "practical"  # 实践体验型 (done at home, not written)
    READING = "reading"  # 阅读 (not written)


WRITTEN_KINDS = frozenset({Kind.BASIC, Kind.EXTENSION, Kind.COMPREHENSIVE})


def default_limit(grade: int) -> int | None:
    """Minutes of written homework a day for a grade; 0 = none at home; None = no national cap.

    Grades 1–2: no written homework at home (consolidation in school only).
    Grades 3–6: average completion time ≤ 60 minutes.  Grades 7–9: ≤ 90 minutes.
    Senior grades (10–12) are outside the 双减 homework caps.
    """
    if 1 <= grade <= 2:
        return 0
    if 3 <= grade <= 6:
        return 60
    if 7 <= grade <= 9:
        return 90
    return None


@dataclass(frozen=True)
class Limit:
    minutes: int | None  # None: no cap applies
    origin: str  # "national", or the region/school that made it stricter
    source: Source = LIMIT_SOURCE

    @property
    def written_allowed(self) -> bool:
        return self.minutes is None or self.minutes > 0


@dataclass(frozen=True)
class Override:
    """A stricter limit set by a region or school for some grades and day kinds."""

    minutes: int
    origin: str
    grades: frozenset[int]
    day_kinds: frozenset[DayKind]


def limit_for(grade: int, day_kind: DayKind, overrides: Iterable[Override] = ()) -> Limit:
    """The binding limit: the national default, or the strictest applicable override."""
    national = default_limit(grade)
    best = Limit(national, "national")
    for o in overrides:
        applies = grade in o.grades and day_kind in o.day_kinds
        if applies and (best.minutes is None or o.minutes < best.minutes):
            best = Limit(o.minutes, o.origin)
    return best


def check_override(grade: int, minutes: int) -> str | None:
    """An override may only be stricter: returns why it is refused, or None when it is fine."""
    national = default_limit(grade)
    if minutes < 0:
        return "negative"
    if national is not None and minutes > national:
        return "looser_than_national"
    return None


# -- Per-pupil load -------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One homework item as the load calculation sees it."""

    key: object
    kind: Kind
    minutes: int  # the estimate for untiered items
    elastic: bool = False  # optional (弹性): shown, not counted
    tiers: dict[object, int] = field(default_factory=dict)  # tier → minutes
    tier_of: dict[object, object] = field(default_factory=dict)  # pupil → tier
    only_for: frozenset | None = None  # personal items: the named pupils; None = whole class

    @property
    def counts(self) -> bool:
        return self.kind in WRITTEN_KINDS and not self.elastic

    def minutes_for(self, pupil: object) -> int:
        """Written minutes this item adds to one pupil's day."""
        if not self.counts or (self.only_for is not None and pupil not in self.only_for):
            return 0
        if self.tiers:
            tier = self.tier_of.get(pupil)
            # A pupil not placed in a tier counts at the longest tier: never under-count.
            return self.tiers[tier] if tier in self.tiers else max(self.tiers.values())
        return self.minutes

    def max_minutes(self) -> int:
        if not self.counts:
            return 0
        return max(self.tiers.values()) if self.tiers else self.minutes


def heaviest_load(items: Iterable[Item], pupils: Iterable[object]) -> int:
    """The largest written total any pupil of the class carries that day."""
    items = list(items)
    pupils = list(pupils)
    if not pupils:  # an empty class: the longest path through the items
        return sum(i.max_minutes() for i in items if i.only_for is None)
    return max(sum(i.minutes_for(p) for i in items) for p in pupils)


# -- Forbidden practices (HW-05) ---------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    code: str
    rule: str  # requirement ID
    phrase: str  # the words that triggered it, shown to the teacher


_PATTERNS: list[tuple[str, re.Pattern]] = [
    # Homework for parents, or asking parents to check, mark or sign it off.
    (
        "parent_homework",
        re.compile(
            r"(家长|父母|爸爸|妈妈)[^，。；,;]{0,6}(批改|检查|批阅|签字|签名|订正|听写|默写|出题|完成)"
            r"|(由|请|让)(家长|父母)[^，。；,;]{0,4}(批|查|改|签)"
            r"|亲子作业"
        ),
    ),
    # Homework by phone, or needing a phone, an app or a chat group to do it.
    (
        "phone_required",
        re.compile(
            r"手机|平板|(?<![a-z])app(?![a-z])|小程序|钉钉|微信|QQ群|班级群|上传|拍照|录(制)?视频|直播|网上提交",
            re.IGNORECASE,
        ),
    ),
    # Check-ins (打卡).
    ("check_in", re.compile(r"打卡")),
    # Pupils marking their own work.
    ("self_grading", re.compile(r"自批自改|自己批改|自行批改|互批互改|自我批改|对答案")),
    # Punitive or mechanically repetitive work.
    ("punitive", re.compile(r"罚抄|罚写|抄写?\s*(\d+|[十百])\s*遍|每个(字|词)抄\s*\d{2,}")),
]


def forbidden_practices(text: str) -> list[Violation]:
    """Every forbidden practice the homework text asks for, with the words that show it."""
    found = []
    for code, pattern in _PATTERNS:
        m = pattern.search(text)
        if m:
            found.append(Violation(code, "HW-05", m.group(0)))
    return found


def normalise_content(text: str) -> str:
    """Content reduced for the 'same item again this week' comparison (HW-05)."""
    return re.sub(r"[\s，。、；：,.;:！!？?“”\"'（）()]+", "", text).lower()
