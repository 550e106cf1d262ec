"""The national working-day calendar (ORG-06).

Statutory holidays and in-lieu working days (调休) come from the `chinesecalendar` package,
which follows the State Council's yearly notice.  A year the package does not cover yet (the
notice for year N is usually published in November of year N-1) falls back to Monday–Friday and
says so, instead of failing: the caller shows the warning to the school admin.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar

from . import Source

SOURCE = Source("国务院办公厅关于部分节假日安排的通知", "(chinesecalendar)")


class DayKind(StrEnum):
    WORKDAY = "workday"  # an ordinary Monday–Friday working day
    MAKEUP_WORKDAY = "makeup_workday"  # a weekend day made a working day by 调休
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a statutory holiday or a weekday given off by 调休


@dataclass(frozen=True)
class NationalDay:
    day: date
    kind: DayKind
    holiday_name: str = ""  # e.g. "Spring Festival" (the library's English names)
    estimated: bool = False  # True when the year is not covered and Monday–Friday was assumed

    @property
    def is_working_day(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


@lru_cache(maxsize=4096)
def national_day(d: date) -> NationalDay:
    """Classify one date by the national calendar, falling back to Mon–Fri when not covered."""
    weekend = d.weekday() >= 5
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return NationalDay(d, DayKind.WEEKEND if weekend else DayKind.WORKDAY, estimated=True)
    name = name or ""
    if not on_holiday:
        return NationalDay(d, DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY, name)
    if name:
        return NationalDay(d, DayKind.HOLIDAY, name)
    return NationalDay(d, DayKind.WEEKEND)


def days(start: date, end: date) -> list[NationalDay]:
    """Every date from start to end inclusive, classified."""
    if end < start:
        raise ValueError("end is before start")
    return [national_day(start + timedelta(n)) for n in range((end - start).days + 1)]


def uncovered_years(start: date, end: date) -> list[int]:
    """Years in the range the holiday data does not cover (those days are estimated)."""
    return [y for y in range(start.year, end.year + 1) if not _covered(y)]


@lru_cache(maxsize=64)
def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
