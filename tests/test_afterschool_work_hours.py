"""AS-01: the region's end of work by season decides when after-school service may end."""

from datetime import date, time

from django.urls import reverse

from shuangjian.afterschool import selectors, services


def test_nearest_region_setting_applies(world):
    assert selectors.work_end_times(world.school).winter == time(17, 30)  # the default
    services.set_work_hours(
        region=world.city,
        summer_end=time(18, 30),
        winter_end=time(18, 0),
        summer_from=date(2026, 5, 1),
        winter_from=date(2026, 10, 1),
    )
    assert selectors.work_end_times(world.school).winter == time(18, 0)
    services.set_work_hours(
        region=world.county,
        summer_end=time(17, 45),
        winter_end=time(17, 15),
        summer_from=date(2026, 4, 15),
        winter_from=date(2026, 10, 15),
    )
    rule = selectors.work_end_times(world.school)
    assert rule.end_of_work(date(2026, 10, 10)) == time(17, 45)  # still the summer timetable
    assert rule.end_of_work(date(2026, 11, 23)) == time(17, 15)


def test_the_bureau_officer_sets_it_and_others_may_not(world, client):
    url = reverse("afterschool_work_hours", args=[world.county.id])
    data = {
        "summer_end": "18:00",
        "winter_end": "17:40",
        "summer_from": "2026-05-01",
        "winter_from": "2026-10-01",
    }
    client.force_login(world.inspector)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(world.principal)
    assert client.get(url).status_code == 404
    client.force_login(world.other_officer)
    assert client.get(url).status_code == 404
    client.force_login(world.officer)
    same_day = client.post(url, {**data, "winter_from": "2026-05-01"})
    assert same_day.status_code == 200 and "winter_from" in same_day.context["form"].errors
    bad = client.post(url, {**data, "winter_end": "25:00"})
    assert bad.status_code == 200 and "winter_end" in bad.context["form"].errors
    assert client.post(url, data).status_code == 302
    assert selectors.work_end_times(world.school).winter == time(17, 40)
