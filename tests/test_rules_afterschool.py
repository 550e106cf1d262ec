"""AS-01 "5+2" as a plain rule: every working day, ≥ 2 hours, ending no earlier than work ends."""

from datetime import date, time, timedelta

import pytest

from shuangjian.rules.afterschool import (
    Day,
    Gap,
    Season,
    Session,
    WorkEndTimes,
    check_week,
    covered_seconds,
)
from shuangjian.rules.calendar import DayKind, days, national_day

WINTER_MONDAY = date(2026, 11, 23)  # an ordinary week, 23–29 November 2026, winter timetable


def week(monday=WINTER_MONDAY):
    return days(monday, monday + timedelta(6))


def every_weekday(start=time(15, 30), end=time(17, 30), monday=WINTER_MONDAY):
    return [Session(monday + timedelta(i), start, end) for i in range(5)]


def test_a_full_week_passes():
    result = check_week(every_weekday(), week())
    assert result.ok and result.required_days == 5 and result.days_ok == 5
    assert [d.required for d in result.days] == [True] * 5 + [False] * 2
    assert result.summary == "5 of 5 working days meet 5+2"
    assert result.days[0].minutes == 120 and result.days[0].end_of_work == time(17, 30)


@pytest.mark.parametrize(
    "start,minutes,ok", [(time(15, 31), 119, False), (time(15, 30), 120, True)]
)
def test_two_hours_boundary(start, minutes, ok):
    result = check_week(every_weekday(start=start), week())
    monday = result.days[0]
    assert monday.minutes == minutes and monday.ok is ok
    if not ok:
        assert [f.code for f in monday.failures] == [Gap.UNDER_TWO_HOURS]
        assert monday.failures[0].numbers == {"minutes": 119, "required": 120}
        assert monday.failures[0].rule == "AS-01"


@pytest.mark.parametrize("end,ok", [(time(17, 29), False), (time(17, 30), True)])
def test_end_of_work_boundary_on_a_winter_day(end, ok):
    sessions = every_weekday(start=time(15, 0), end=end)
    monday = check_week(sessions, week()).days[0]
    assert monday.season is Season.WINTER and monday.minutes >= 120
    assert monday.ok is ok
    if not ok:
        assert [f.code for f in monday.failures] == [Gap.ENDS_BEFORE_WORK]
        assert monday.failures[0].numbers == {"end": "17:29", "end_of_work": "17:30"}


def test_both_failures_are_listed_and_the_week_summary_counts_them():
    sessions = every_weekday()
    sessions[2] = Session(sessions[2].day, time(16, 0), time(17, 0))  # Wednesday: 60 min, early
    result = check_week(sessions, week())
    assert not result.ok and result.days_ok == 4
    assert [(d, f.code) for d, f in result.gaps] == [
        (date(2026, 11, 25), Gap.UNDER_TWO_HOURS),
        (date(2026, 11, 25), Gap.ENDS_BEFORE_WORK),
    ]
    assert (
        result.summary == "4 of 5 working days meet 5+2 (under_two_hours: 1, ends_before_work: 1)"
    )


def test_make_up_saturday_needs_service_and_holidays_do_not():
    # 5–11 October 2026: 5–7 are National Day holidays, Saturday the 10th is worked in lieu.
    cal = days(date(2026, 10, 5), date(2026, 10, 11))
    assert national_day(date(2026, 10, 10)).kind is DayKind.MAKEUP_WORKDAY
    sessions = [Session(date(2026, 10, d), time(15, 30), time(17, 30)) for d in (8, 9)]
    result = check_week(sessions, cal)
    by_day = {d.day: d for d in result.days}
    assert not by_day[date(2026, 10, 5)].required and by_day[date(2026, 10, 5)].ok
    saturday = by_day[date(2026, 10, 10)]
    assert saturday.required and saturday.kind == "makeup_workday"
    assert [f.code for f in saturday.failures] == [Gap.NO_SERVICE]
    assert result.required_days == 3 and result.days_ok == 2
    fixed = check_week([*sessions, Session(date(2026, 10, 10), time(15, 30), time(17, 30))], cal)
    assert fixed.ok


def test_a_holiday_needs_nothing_even_with_a_short_session():
    national = national_day(date(2026, 10, 1))
    result = check_week([Session(national.day, time(9, 0), time(9, 30))], [national])
    assert result.ok and not result.days[0].required and result.days[0].minutes == 30


def test_overlapping_sessions_count_once():
    monday = WINTER_MONDAY
    both = [Session(monday, time(15, 30), time(17, 0)), Session(monday, time(16, 0), time(17, 30))]
    assert check_week(both, [national_day(monday)]).days[0].minutes == 120  # not 180
    short = [Session(monday, time(15, 40), time(17, 0)), Session(monday, time(16, 0), time(17, 30))]
    day = check_week(short, [national_day(monday)]).days[0]
    assert day.minutes == 110 and [f.code for f in day.failures] == [Gap.UNDER_TWO_HOURS]
    split = [Session(monday, time(14, 0), time(15, 0)), Session(monday, time(16, 30), time(17, 30))]
    assert check_week(split, [national_day(monday)]).days[0].ok  # 60 + 60 with a break
    assert day.start == time(15, 40) and day.end == time(17, 30)


def test_covered_seconds_of_nested_and_touching_sessions():
    d = WINTER_MONDAY
    sessions = [
        Session(d, time(15, 0), time(18, 0)),
        Session(d, time(16, 0), time(17, 0)),  # inside the first
        Session(d, time(18, 0), time(18, 30)),  # touches its end
    ]
    assert covered_seconds(sessions) == 210 * 60
    assert covered_seconds([]) == 0


@pytest.mark.parametrize(
    "day,season,end",
    [
        (date(2026, 4, 30), Season.WINTER, time(17, 30)),
        (date(2026, 5, 1), Season.SUMMER, time(18, 0)),
        (date(2026, 9, 30), Season.SUMMER, time(18, 0)),
        (date(2026, 10, 1), Season.WINTER, time(17, 30)),
        (date(2026, 1, 15), Season.WINTER, time(17, 30)),
    ],
)
def test_default_summer_and_winter_switch_dates(day, season, end):
    assert WorkEndTimes().season(day) is season and WorkEndTimes().end_of_work(day) == end


def test_a_session_ending_at_1745_passes_in_winter_and_fails_in_summer():
    result = check_week(
        [Session(date(2026, d[0], d[1]), time(15, 30), time(17, 45)) for d in ((4, 30), (5, 1))],
        [Day(date(2026, 4, 30), True), Day(date(2026, 5, 1), True)],
    )
    assert result.days[0].ok
    assert [f.code for f in result.days[1].failures] == [Gap.ENDS_BEFORE_WORK]


def test_regional_setting_and_stricter_minimum():
    region = WorkEndTimes(
        summer=time(17, 45), winter=time(17, 0), summer_from=(4, 15), winter_from=(10, 15)
    )
    d = date(2026, 10, 14)
    assert region.end_of_work(d) == time(17, 45)
    assert region.end_of_work(date(2026, 10, 15)) == time(17, 0)
    result = check_week([Session(d, time(15, 30), time(17, 45))], [(d, True, True)], region, 150)
    assert [f.code for f in result.days[0].failures] == [Gap.UNDER_TWO_HOURS]
    assert result.days[0].failures[0].numbers == {"minutes": 135, "required": 150}


def test_summer_timetable_across_the_new_year():
    south = WorkEndTimes(summer_from=(11, 1), winter_from=(3, 1))
    assert south.season(date(2026, 12, 31)) is Season.SUMMER
    assert south.season(date(2026, 2, 28)) is Season.SUMMER
    assert south.season(date(2026, 3, 1)) is Season.WINTER


def test_vacation_days_and_tuples():
    d = date(2026, 7, 20)  # a working day in the summer vacation
    result = check_week([], [(d, True, False)])
    assert result.ok and not result.days[0].required


def test_estimated_calendar_days_are_flagged():
    result = check_week([], [national_day(date(2027, 3, 1))])
    assert result.estimated and result.days[0].required
    assert [f.code for f in result.days[0].failures] == [Gap.NO_SERVICE]


def test_sessions_outside_the_days_are_ignored():
    result = check_week(every_weekday(monday=WINTER_MONDAY + timedelta(7)), week())
    assert result.days_ok == 0 and len(result.gaps) == 5


def test_bad_input():
    with pytest.raises(ValueError):
        Session(WINTER_MONDAY, time(17, 0), time(17, 0))
    with pytest.raises(ValueError):
        WorkEndTimes(summer_from=(5, 1), winter_from=(5, 1))
    with pytest.raises(ValueError):
        WorkEndTimes(summer_from=(2, 29))
    with pytest.raises(ValueError):
        check_week([], week(), min_minutes=-1)
