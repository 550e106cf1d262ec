"""Complaint handling (SV-03, SV-04): categories, the handling limit in working days, pauses.

Sources:
  - seed 003 (教育部 "双减" 督导工作情况, 2021): 设立举报平台 — complaints are checked item by
    item (逐项核查) under a supervision notice (督办通知) and reported as closed (办结); 曝光台 —
    typical problems are published;
  - requirements SV-03 (owner, deadline, verification, finding, closure, escalation of overdue
    cases, the school never sees who filed) and SV-04 (exposure board).

The seed names no handling period.  DEFAULT_LIMIT_WORKING_DAYS (15 working days, the usual
period of a county bureau's 信访/举报 handling rules) is a default that a region may shorten,
never lengthen.  Days are counted the way Chinese administrative periods are: the day of filing
is not counted; the case is due at the end of the n-th working day after it.  While the bureau
waits for the complainant (a question asked, an answer awaited) the clock stops: the working days
of a pause do not count, so they push the deadline back.
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from enum import StrEnum

from . import Source

SOURCE = Source("教育部“双减”督导工作情况（seed 003）：设立举报平台", "SV-03")
EXPOSURE_SOURCE = Source("教育部“双减”督导工作情况（seed 003）：开设“曝光台”", "SV-04")

DEFAULT_LIMIT_WORKING_DAYS = 15
MAX_SEARCH_DAYS = 3 * 366  # a limit of 15 working days never needs more than a few weeks

IsWorkingDay = Callable[[date], bool]
Pause = tuple[date, date | None]  # (first paused day, day the clock runs again) or open


class Category(StrEnum):
    """What a complaint is about; each points at the requirement it concerns."""

    HOMEWORK_OVERLOAD = "homework_overload"  # 作业负担过重
    PARENT_HOMEWORK = "parent_homework"  # 给家长布置作业
    AFTERSCHOOL_FEES = "afterschool_fees"  # 课后服务强制或乱收费
    PAID_TUTORING = "paid_tutoring"  # 在职教师有偿补课
    EXAM_RANKING = "exam_ranking"  # 考试排名
    PHONE_SLEEP = "phone_sleep"  # 手机睡眠管理
    OTHER = "other"  # 其他


CATEGORY_RULES: dict[Category, str] = {
    Category.HOMEWORK_OVERLOAD: "HW-02",
    Category.PARENT_HOMEWORK: "HW-05",
    Category.AFTERSCHOOL_FEES: "AS-03, AS-10",
    Category.PAID_TUTORING: "SV-03",
    Category.EXAM_RANKING: "TQ-01",
    Category.PHONE_SLEEP: "FM-01, FM-02",
    Category.OTHER: "SV-03",
}


def check_limit(working_days: int) -> str | None:
    """A region's handling limit may only be stricter: why it is refused, or None when fine."""
    if working_days < 1:
        return "too_short"
    if working_days > DEFAULT_LIMIT_WORKING_DAYS:
        return "looser_than_default"
    return None


def effective_limit(region_limits: Iterable[int]) -> int:
    """The binding limit: the default or the strictest limit set by a region above the school."""
    return min([DEFAULT_LIMIT_WORKING_DAYS, *region_limits])


def _paused(d: date, pauses: list[Pause], today: date | None) -> bool:
    for start, end in pauses:
        if end is None:
            if today is None:
                raise ValueError("an open pause needs today")
            end = today + timedelta(days=1)  # the clock has not run up to and including today
        if start <= d < end:
            return True
    return False


def deadline_with_pauses(
    filed: date,
    n: int,
    pauses: list[Pause],
    is_working_day: IsWorkingDay,
    *,
    today: date | None = None,
) -> date:
    """The day a case filed on `filed` is due: the n-th counted working day after it.

    A working day d is not counted while paused, that is when start <= d < end for a pause: the
    day the question is asked stops the clock, the day the answer comes starts it again.  An open
    pause (end None) is taken to last through `today` (the earliest the deadline could be if
    the answer came tomorrow); it needs `today`.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    d, counted = filed, 0
    for _ in range(MAX_SEARCH_DAYS):
        if counted == n:
            return d
        d += timedelta(days=1)
        if is_working_day(d) and not _paused(d, pauses, today):
            counted += 1
    raise ValueError("no deadline within the search window")


def add_working_days(start: date, n: int, is_working_day: IsWorkingDay) -> date:
    """The n-th working day after `start` (start itself is not counted)."""
    return deadline_with_pauses(start, n, [], is_working_day)


def is_overdue(deadline: date, today: date, paused_since: date | None = None) -> bool:
    """Past its deadline.  A case paused on or before its deadline is not: its clock stopped."""
    if paused_since is not None and paused_since <= deadline:
        return False
    return today > deadline


def working_days_left(deadline: date, today: date, is_working_day: IsWorkingDay) -> int:
    """Working days from tomorrow up to the deadline (0 when due today, negative when late)."""
    if today > deadline:
        return -sum(
            1 for k in range((today - deadline).days) if is_working_day(deadline + timedelta(k + 1))
        )
    return sum(
        1 for k in range((deadline - today).days) if is_working_day(today + timedelta(k + 1))
    )


# -- The case lifecycle ----------------------------------------------------------------------


class Status(StrEnum):
    RECEIVED = "received"  # 已受理
    ASSIGNED = "assigned"  # 已分办 (an owner at the bureau)
    VERIFYING = "verifying"  # 核查中 (the school was asked for the facts)
    FINDING = "finding"  # 待认定 (the bureau weighs the facts)
    RECTIFYING = "rectifying"  # 整改中 (the school must put things right)
    CLOSED = "closed"  # 已办结


OPEN = frozenset(Status) - {Status.CLOSED}

# action → the states it may start from.
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "assign": OPEN,
    "request_verification": frozenset({Status.ASSIGNED}),
    "school_verification": frozenset({Status.VERIFYING}),
    "finding": frozenset({Status.VERIFYING, Status.FINDING}),
    "require_rectification": frozenset({Status.FINDING}),
    "rectification": frozenset({Status.RECTIFYING}),
    "close": frozenset({Status.FINDING, Status.RECTIFYING}),
    "pause": OPEN,
    "resume": OPEN,
    "complainant_reply": OPEN,
    "special_supervision": OPEN,
    "escalate": OPEN,
}


def allowed(action: str, status: str) -> bool:
    return status in ALLOWED_FROM[action]


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"  # 属实
    PARTLY = "partly"  # 部分属实
    NOT_SUBSTANTIATED = "not_substantiated"  # 不属实


PUBLISHABLE = frozenset({Finding.SUBSTANTIATED, Finding.PARTLY})
