"""Complaint deadlines in working days (SV-03): holidays, make-up workdays, pauses, overdue."""

from datetime import date, timedelta

import pytest

from shuangjian.rules import complaints as rules
from shuangjian.rules.calendar import national_day


def national(d: date) -> bool:
    return national_day(d).is_working_day


def weekdays(d: date) -> bool:
    return d.weekday() < 5


FILED = date(2026, 9, 28)  # a Monday, three days before National Day


def test_fifteen_working_days_across_national_day_and_its_makeup_saturday():
    # 9-29, 9-30; 10-01..07 off; 10-08, 10-09, 10-10 (Saturday, 调休 workday); 10-12..16;
    # 10-19..23: the 15th working day is Friday 10-23.
    assert rules.add_working_days(FILED, 15, national) == date(2026, 10, 23)
    # With a plain Monday–Friday week it would have been four days earlier.
    assert rules.add_working_days(FILED, 15, weekdays) == date(2026, 10, 19)
    # The day of filing is not counted; one working day later is the next working day.
    assert rules.add_working_days(FILED, 1, national) == date(2026, 9, 29)
    assert rules.add_working_days(date(2026, 9, 30), 1, national) == date(2026, 10, 8)
    assert rules.add_working_days(date(2026, 10, 9), 1, national) == date(2026, 10, 10)
    assert rules.add_working_days(FILED, 0, national) == FILED


def test_a_pause_stops_the_clock_for_its_working_days():
    # Paused Monday 10-12 (question asked), answered Wednesday 10-14: 10-12 and 10-13 do not
    # count, so the deadline moves two working days, from Friday 10-23 to Tuesday 10-27.
    pauses = [(date(2026, 10, 12), date(2026, 10, 14))]
    assert rules.deadline_with_pauses(FILED, 15, pauses, national) == date(2026, 10, 27)
    # A pause over the holiday itself costs nothing: its days were not working days anyway.
    holiday = [(date(2026, 10, 1), date(2026, 10, 8))]
    assert rules.deadline_with_pauses(FILED, 15, holiday, national) == date(2026, 10, 23)
    # Asked and answered on the same day: no pause at all.
    same_day = [(date(2026, 10, 12), date(2026, 10, 12))]
    assert rules.deadline_with_pauses(FILED, 15, same_day, national) == date(2026, 10, 23)
    # Two pauses add up.
    two = [*pauses, (date(2026, 10, 19), date(2026, 10, 20))]
    assert rules.deadline_with_pauses(FILED, 15, two, national) == date(2026, 10, 28)


def test_an_open_pause_counts_up_to_today_and_needs_today():
    open_pause = [(date(2026, 10, 12), None)]
    with pytest.raises(ValueError):
        rules.deadline_with_pauses(FILED, 15, open_pause, national)
    # Still waiting on Wednesday 10-14: 10-12..14 are paused, three working days later.
    assert rules.deadline_with_pauses(
        FILED, 15, open_pause, national, today=date(2026, 10, 14)
    ) == date(2026, 10, 28)


def test_overdue_is_the_day_after_the_deadline_unless_the_clock_stopped_in_time():
    deadline = date(2026, 10, 23)
    assert not rules.is_overdue(deadline, deadline)
    assert rules.is_overdue(deadline, deadline + timedelta(days=1))
    assert not rules.is_overdue(deadline, date(2026, 11, 2), paused_since=date(2026, 10, 20))
    assert not rules.is_overdue(deadline, date(2026, 11, 2), paused_since=deadline)
    # A pause begun after the deadline hides nothing.
    assert rules.is_overdue(deadline, date(2026, 11, 2), paused_since=date(2026, 10, 26))


def test_working_days_left():
    assert rules.working_days_left(date(2026, 10, 9), date(2026, 9, 30), national) == 2
    assert rules.working_days_left(date(2026, 10, 9), date(2026, 10, 9), national) == 0
    assert rules.working_days_left(date(2026, 10, 9), date(2026, 10, 12), national) == -2


def test_a_region_may_shorten_the_limit_but_never_lengthen_it():
    assert rules.DEFAULT_LIMIT_WORKING_DAYS == 15
    assert rules.check_limit(15) is None and rules.check_limit(1) is None
    assert rules.check_limit(16) == "looser_than_default"
    assert rules.check_limit(0) == "too_short"
    assert rules.effective_limit([]) == 15
    assert rules.effective_limit([10, 12]) == 10


def test_transitions():
    assert rules.allowed("request_verification", "assigned")
    assert not rules.allowed("request_verification", "received")
    assert not rules.allowed("close", "verifying")
    assert not any(rules.allowed(a, "closed") for a in rules.ALLOWED_FROM)
    assert {c.value for c in rules.Category} == set(rules.CATEGORY_RULES)
