"""ORG-06: working days from the national calendar, the school's terms and vacations."""

from datetime import date

import pytest
from django.urls import reverse

from shuangjian.org.selectors import is_school_day, school_calendar
from shuangjian.rules.calendar import DayKind, days, national_day, uncovered_years


@pytest.mark.parametrize(
    "day,kind,working",
    [
        (date(2026, 10, 1), DayKind.HOLIDAY, False),  # National Day
        (date(2026, 10, 10), DayKind.MAKEUP_WORKDAY, True),  # Saturday worked in lieu
        (date(2026, 2, 14), DayKind.MAKEUP_WORKDAY, True),  # Saturday before Spring Festival
        (date(2026, 2, 20), DayKind.HOLIDAY, False),  # a Friday inside the Spring Festival break
        (date(2026, 11, 21), DayKind.WEEKEND, False),
        (date(2026, 11, 23), DayKind.WORKDAY, True),
    ],
)
def test_national_days(day, kind, working):
    nd = national_day(day)
    assert nd.kind == kind and nd.is_working_day is working and not nd.estimated


def test_uncovered_year_falls_back_to_monday_to_friday():
    assert uncovered_years(date(2026, 12, 1), date(2027, 1, 31)) == [2027]
    monday, saturday = national_day(date(2027, 3, 1)), national_day(date(2027, 3, 6))
    assert monday.is_working_day and monday.estimated
    assert not saturday.is_working_day and saturday.estimated
    # 2027-01-01 would be a holiday once the notice is out; until then it is estimated, not an error.
    assert national_day(date(2027, 1, 1)).estimated


def test_days_rejects_reversed_range():
    with pytest.raises(ValueError):
        days(date(2026, 2, 1), date(2026, 1, 1))


def test_school_days_respect_terms_and_vacations(world):
    cal = school_calendar(world.school, date(2026, 8, 24), date(2026, 9, 6))
    by_day = {d.day: d for d in cal.days}
    assert not by_day[date(2026, 8, 31)].is_school_day  # a Monday before the term starts
    assert by_day[date(2026, 9, 1)].is_school_day
    assert not by_day[date(2026, 9, 5)].is_school_day  # Saturday
    assert cal.school_day_count == 4  # 1–4 September
    assert is_school_day(world.school, date(2026, 10, 10))  # make-up Saturday inside the term
    assert not is_school_day(world.school, date(2026, 10, 2))
    winter = school_calendar(world.school, date(2027, 1, 20), date(2027, 1, 26))
    labels = {d.day: d.label for d in winter.days}
    assert labels[date(2027, 1, 25)] == "寒假"
    assert [d.day for d in winter.days if d.is_school_day] == [
        date(2027, 1, 20),
        date(2027, 1, 21),
        date(2027, 1, 22),
    ]
    assert winter.uncovered_years == [2027]


def test_calendar_page_warns_the_admin_not_the_teacher(world, client):
    url = reverse("calendar", args=[world.school.id]) + "?month=2027-01"
    client.force_login(world.principal)
    response = client.get(url)
    assert response.status_code == 200 and response.context["show_warning"]
    client.force_login(world.subject_teacher)
    assert not client.get(url).context["show_warning"]
    client.force_login(world.principal)
    assert not client.get(reverse("calendar", args=[world.school.id]) + "?month=2026-10").context[
        "show_warning"
    ]
    # A malformed month falls back to the current month instead of failing.
    assert (
        client.get(reverse("calendar", args=[world.school.id]) + "?month=2026-99").status_code
        == 200
    )


def test_terms_and_vacations_are_kept_by_the_academic_office(world, client):
    from shuangjian.org.models import Term, Vacation

    url = reverse("calendar", args=[world.school.id])
    term = {"action": "term", "name": "2027春", "start": "2027-03-01", "end": "2027-07-09"}
    client.force_login(world.head_teacher)
    assert client.post(url, term).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url, term).status_code == 404
    client.force_login(world.academic)
    assert client.post(url, term).status_code == 302
    assert Term.objects.filter(school=world.school, name="2027春").exists()
    # Overlapping the autumn term, or ending before it starts: refused, field named, nothing saved.
    overlap = client.post(url, {**term, "name": "重叠", "start": "2027-01-10"})
    assert overlap.status_code == 200 and "start" in overlap.context["term_form"].errors
    backwards = client.post(
        url, {**term, "name": "倒序", "start": "2027-09-01", "end": "2027-08-01"}
    )
    assert "end" in backwards.context["term_form"].errors
    assert Term.objects.filter(school=world.school).count() == 2

    spring_break = {
        "action": "vacation",
        "kind": "other",
        "name": "春假",
        "start": "2027-04-12",
        "end": "2027-04-16",
    }
    assert client.post(url, spring_break).status_code == 302
    assert not is_school_day(world.school, date(2027, 4, 13))
    vacation = Vacation.objects.get(name="春假")
    assert (
        client.post(url, {"action": "remove_vacation", "vacation": vacation.id}).status_code == 302
    )
    assert is_school_day(world.school, date(2027, 4, 13))
    assert client.post(url, {"action": "unknown"}).status_code == 400


def test_calendar_page_renders_each_part_once(world, client):
    client.force_login(world.principal)
    html = client.get(reverse("calendar", args=[world.school.id])).content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "<h2>" not in title
    assert html.count('name="action" value="term"') == 1


def test_removing_a_vacation_with_a_malformed_id_is_a_404_not_a_crash(world, client):
    client.force_login(world.academic)
    url = reverse("calendar", args=[world.school.id])
    assert client.post(url, {"action": "remove_vacation", "vacation": "abc"}).status_code == 404
    other = world.other_school.vacations.first()
    assert client.post(url, {"action": "remove_vacation", "vacation": other.id}).status_code == 404
    assert world.other_school.vacations.filter(id=other.id).exists()
