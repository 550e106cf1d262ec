"""Helpers for the after-school tests: venues, programmes and parents on top of tests.world."""

from datetime import time
from decimal import Decimal

from shuangjian.afterschool import services
from shuangjian.afterschool.models import AllocationRun
from shuangjian.afterschool.services import SlotIn
from shuangjian.org.access import operator_access
from shuangjian.org.models import Guardianship, Staff, Term, Venue
from tests.world import make_user

WEEK = [SlotIn(d, time(16, 0), time(18, 0)) for d in range(5)]


def venue(world, name="操场", capacity=40, school=None):
    return Venue.objects.create(
        school=school or world.school, name=name, kind="field", capacity=capacity
    )


def term(world, school=None):
    return Term.objects.get(school=school or world.school)


def lead(world, user=None):
    return Staff.objects.get(school=world.school, user=user or world.afterschool)


def programme(world, name="足球", *, approve=True, slots=WEEK, capacity=10, place=None, **kw):
    acc = operator_access(world.school)
    data = {
        "term": term(world),
        "name": name,
        "category": "sports",
        "grade_from": 1,
        "grade_to": 9,
        "capacity": capacity,
        "venue": place or venue(world, f"{name}场地", max(capacity, 40)),
        "lead": kw.pop("lead", None) or lead(world),
        "fee": Decimal("0"),
        "slots": slots,
    }
    data.update(kw)
    p = services.create_programme(acc=acc, **data)
    if approve:
        p = services.approve_programme(acc=acc, programme=p)
    return p


def parent_of(student, username=None):
    user = make_user(username or f"parent_{student.id}")
    Guardianship.objects.create(user=user, student=student, relation="母亲")
    return user


def published(world):
    """An (empty) published allocation for the term: free places may be joined from now on."""
    t = term(world)
    return AllocationRun.objects.create(school=t.school, term=t, seed="0", published=True)
