"""Shared set-up for the reporting tests (no tests here): a two-week schedule for the county of
tests/world.py whose last three periods have ended, and daily figures written as roll-up rows."""

from datetime import timedelta

from django.utils import timezone

from shuangjian.indicators.models import DailyFigure
from shuangjian.org.access import access_region, access_school
from shuangjian.org.models import Role, School
from shuangjian.reporting import services
from shuangjian.rules.bulletin import Period, ended_periods
from tests.world import make_staff

PERIOD_DAYS, DUE_DAYS = 14, 3


def set_schedule(world, periods_back: int = 3):
    """Periods [0]: the latest (still before its due date), [1], [2]: overdue."""
    role, region = access_region(world.officer, world.county.id)
    today = timezone.localdate()
    return services.set_schedule(
        role=role,
        region=region,
        first_day=today - timedelta(days=periods_back * PERIOD_DAYS),
        period_days=PERIOD_DAYS,
        due_days=DUE_DAYS,
    )


def periods(schedule) -> list[Period]:
    return ended_periods(
        schedule.first_day, schedule.period_days, schedule.due_days, timezone.localdate()
    )


def add_school(world, code: str, name: str) -> School:
    school = School.objects.create(name=name, code=code, county=world.county, stage="primary")
    make_staff(school, f"principal_{code}", (Role.PRINCIPAL, {}))
    return school


def daily(school, day, indicator: str, numerator: int, denominator: int = 0) -> None:
    DailyFigure.objects.create(
        school=school,
        date=day,
        indicator=indicator,
        numerator=numerator,
        denominator=denominator,
    )


def principal_acc(world):
    return access_school(world.principal, world.school.id)


def officer_acc(world):
    return access_school(world.officer, world.school.id)
