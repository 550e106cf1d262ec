"""After-school service time, the "5+2" check (AS-01).

Sources:
  - 双减意见 (2021-07-24) §9: the service ends no earlier than the local normal end of work
    (结束时间要与当地正常下班时间相衔接);
  - seed 000 三、2 (北票市 "三提" 方案): "5+2" — service on all 5 days of the week, at least 2 hours
    a day, ending as a rule no earlier than the local normal end of work;
  - seed 004 二(一)2 (市教育体育局 课后延时服务提质增效 指导意见, 2022-10-13): "5+2" on every working
    day, the end time tied to the local end of work and set with seasonal flexibility (季节弹性).

"5+2" is the local documents' wording, not the 意见's (domain facts).  "Every working day" follows
the national calendar, so a Saturday worked in lieu (调休) needs service and a statutory holiday does
not.  The end of work is a regional setting with a summer and a winter timetable (作息时间); the
defaults below are only defaults, each region sets its own.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from . import Source

SOURCE = Source("双减意见 §9; seed 000 三、2 (5+2); seed 004 二(一)2", "AS-01")
RULE = "AS-01"

MIN_MINUTES = 120  # "每天至少开展2小时" (seed 000 三、2; seed 004 二(一)2)


class Season(StrEnum):
    SUMMER = "summer"  # 夏季作息
    WINTER = "winter"  # 冬季作息


class Gap(StrEnum):
    """Codes of the parts of the rule a required day fails."""

    NO_SERVICE = "no_service"  # a working school day with no service at all
    UNDER_TWO_HOURS = "under_two_hours"  # less than the minimum (2 hours unless set higher)
    ENDS_BEFORE_WORK = "ends_before_work"  # the last session ends before the local end of work


@dataclass(frozen=True)
class WorkEndTimes:
    """A region's normal end of work, by season (a regional setting).

    The summer timetable runs from `summer_from` (month, day) up to the day before `winter_from`,
    the winter one from `winter_from` up to the day before `summer_from`.  Defaults (18:00 from
    1 May, 17:30 from 1 October) are a common pattern of local 作息时间, not a national number.
    """

    summer: time = time(18, 0)
    winter: time = time(17, 30)
    summer_from: tuple[int, int] = (5, 1)
    winter_from: tuple[int, int] = (10, 1)

    def __post_init__(self):
        for month, day in (self.summer_from, self.winter_from):
            date(2001, month, day)  # raises ValueError for an impossible (or 29 February) date
        if self.summer_from == self.winter_from:
            raise ValueError("the summer and winter timetables must start on different dates")

    def season(self, d: date) -> Season:
        md = (d.month, d.day)
        if self.summer_from < self.winter_from:
            in_summer = self.summer_from <= md < self.winter_from
        else:  # the summer timetable spans the new year (southern-hemisphere style settings)
            in_summer = md >= self.summer_from or md < self.winter_from
        return Season.SUMMER if in_summer else Season.WINTER

    def end_of_work(self, d: date) -> time:
        return self.summer if self.season(d) is Season.SUMMER else self.winter


@dataclass(frozen=True)
class Session:
    """One block of after-school service on one day; a day may have several."""

    day: date
    start: time
    end: time

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError("a session must end after it starts (on the same day)")


@dataclass(frozen=True)
class Day:
    """A day as the check sees it: the national calendar plus the school's own term."""

    day: date
    is_working_day: bool
    is_school_day: bool = True  # False in vacations or on a day the school is closed
    kind: str = ""  # the national kind ("workday", "makeup_workday", "weekend", "holiday")
    estimated: bool = False  # the national calendar assumed Monday–Friday (year not covered)

    @property
    def required(self) -> bool:
        return self.is_working_day and self.is_school_day


@dataclass(frozen=True)
class Failure:
    code: Gap
    numbers: dict = field(default_factory=dict)  # e.g. {"minutes": 119, "required": 120}
    rule: str = RULE


@dataclass(frozen=True)
class DayCheck:
    day: date
    required: bool  # a working school day (make-up working Saturdays included)
    kind: str
    minutes: int  # minutes of service, overlapping sessions counted once
    start: time | None  # the earliest start
    end: time | None  # the latest end
    end_of_work: time  # the region's end of work that day
    season: Season
    failures: tuple[Failure, ...] = ()
    estimated: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class WeekCheck:
    days: tuple[DayCheck, ...]
    min_minutes: int

    @property
    def required_days(self) -> int:
        return sum(d.required for d in self.days)

    @property
    def days_ok(self) -> int:
        return sum(d.required and d.ok for d in self.days)

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.days)

    @property
    def gaps(self) -> list[tuple[date, Failure]]:
        """Every failure, day by day."""
        return [(d.day, f) for d in self.days for f in d.failures]

    @property
    def estimated(self) -> bool:
        return any(d.estimated for d in self.days)

    @property
    def summary(self) -> str:
        text = f"{self.days_ok} of {self.required_days} working days meet 5+2"
        if not self.ok:
            counts: dict[str, int] = {}
            for _, f in self.gaps:
                counts[f.code] = counts.get(f.code, 0) + 1
            text += " (" + ", ".join(f"{code}: {n}" for code, n in counts.items()) + ")"
        return text


def as_day(d) -> Day:
    """A Day from a calendar NationalDay (or anything with .day and .is_working_day) or a tuple
    (date, is_working_day[, is_school_day])."""
    if isinstance(d, Day):
        return d
    if isinstance(d, tuple):
        return Day(*d)
    return Day(
        d.day,
        bool(d.is_working_day),
        bool(getattr(d, "is_school_day", True)),
        str(getattr(d, "kind", "")),
        bool(getattr(d, "estimated", False)),
    )


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def covered_seconds(sessions: Iterable[Session]) -> int:
    """Length of the union of the sessions' intervals: overlaps count once."""
    total, cur_start, cur_end = 0, None, None
    for start, end in sorted((_seconds(s.start), _seconds(s.end)) for s in sessions):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def check_week(
    sessions: Iterable[Session],
    days: Sequence,
    end_times: WorkEndTimes | None = None,
    min_minutes: int = MIN_MINUTES,
) -> WeekCheck:
    """Check a timetable against "5+2" for the given days (usually one week, Monday to Sunday).

    Every required day (a working day of the national calendar, make-up Saturdays included, on
    which the school is in term) needs service of at least `min_minutes`, overlapping sessions
    counted once, and its last session may not end before the region's end of work.  Days that
    are not working days need nothing, whatever is scheduled on them.  Sessions on dates outside
    `days` are ignored.
    """
    if min_minutes < 0:
        raise ValueError("min_minutes must not be negative")
    end_times = end_times or WorkEndTimes()
    by_day: dict[date, list[Session]] = {}
    for s in sessions:
        by_day.setdefault(s.day, []).append(s)
    results = []
    for d in map(as_day, days):
        mine = by_day.get(d.day, [])
        seconds = covered_seconds(mine)
        start = min((s.start for s in mine), default=None)
        end = max((s.end for s in mine), default=None)
        work_end = end_times.end_of_work(d.day)
        failures: list[Failure] = []
        if d.required:
            if not mine:
                failures.append(Failure(Gap.NO_SERVICE))
            else:
                if seconds < min_minutes * 60:
                    failures.append(
                        Failure(
                            Gap.UNDER_TWO_HOURS, {"minutes": seconds // 60, "required": min_minutes}
                        )
                    )
                if end < work_end:
                    failures.append(
                        Failure(
                            Gap.ENDS_BEFORE_WORK,
                            {
                                "end": end.strftime("%H:%M"),
                                "end_of_work": work_end.strftime("%H:%M"),
                            },
                        )
                    )
        results.append(
            DayCheck(
                day=d.day,
                required=d.required,
                kind=d.kind,
                minutes=seconds // 60,
                start=start,
                end=end,
                end_of_work=work_end,
                season=end_times.season(d.day),
                failures=tuple(failures),
                estimated=d.estimated,
            )
        )
    return WeekCheck(tuple(results), min_minutes)
