"""Helpers for the afternoon tests: a programme with allocated pupils on top of tests.world."""

from datetime import date, datetime, time

from django.utils import timezone

from shuangjian.afternoon import services
from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment
from shuangjian.afterschool.services import SlotIn
from shuangjian.org.access import access_school, operator_access
from tests.afterschool_world import programme

DAY = date(2026, 11, 16)  # a Monday of the world's term, long past when the tests run
START, END = time(16, 0), time(18, 0)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """An aware moment on `day` in Asia/Shanghai."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def afternoon_programme(world, pupils=None, name="足球", start=START, end=END):
    """An approved programme Monday–Friday with the pupils allocated."""
    p = programme(world, name, slots=[SlotIn(d, start, end) for d in range(5)])
    for student in pupils if pupils is not None else [world.pupil, world.pupil2]:
        Enrolment.objects.create(
            programme=p, student=student, status="allocated", source="allocation"
        )
    return p


def opened(world, day: date = DAY) -> list[Session]:
    return services.open_day(acc=operator_access(world.school), day=day)


def row(session: Session, student) -> Attendance:
    return Attendance.objects.get(session=session, student=student)


def acc_of(user, world):
    return access_school(user, world.school.id)


def today_session(world, p) -> Session:
    """A session today whatever the calendar says (pages and the API act 'now'); it ended a
    minute after midnight, so every release now is a late pick-up, never an early one."""
    session = Session.objects.create(
        school=world.school,
        programme=p,
        date=timezone.localdate(),
        start=time(0, 0),
        end=time(0, 1),
    )
    Attendance.objects.bulk_create(
        Attendance(session=session, student_id=sid)
        for sid in Enrolment.objects.filter(programme=p, status="allocated").values_list(
            "student_id", flat=True
        )
    )
    return session
