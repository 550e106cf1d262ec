"""The afternoon demo: weeks of closed days within the invariant, leave, late pick-ups, exactly one
unexplained absence, today's sessions running for the live view."""

from datetime import date
from io import StringIO

from django.db.models import Count

from shuangjian.afternoon import demo as af_demo
from shuangjian.afternoon import services
from shuangjian.afternoon.models import (
    Attendance,
    AttendanceEvent,
    Handover,
    LeaveRequest,
    NoticeReceipt,
    Session,
)
from shuangjian.afterschool import demo as as_demo
from shuangjian.notify.models import Notification
from shuangjian.org import demo
from shuangjian.rules import dismissal

TODAY = date(2026, 11, 23)  # a Monday of the demo term


def test_weeks_of_afternoons(db):
    demo.load_demo()
    as_demo.load_afterschool_demo(today=TODAY)
    out = StringIO()
    counts = af_demo.load_afternoon_demo(today=TODAY, stdout=out)
    assert "课后服务日常演示数据" in out.getvalue()
    assert counts["days"] == 15 and counts["today_sessions"] > 0

    past = Attendance.objects.filter(session__date__lt=TODAY)
    assert set(Session.objects.filter(date__lt=TODAY).values_list("status", flat=True)) == {
        "closed"
    }
    assert set(past.values_list("state", flat=True)) <= set(dismissal.FINAL)
    # One row per allocated pupil and session, every state present, exactly one unexplained.
    dupes = past.values("session", "student").annotate(n=Count("id")).filter(n__gt=1)
    assert not dupes.exists()
    by_state = dict(past.values_list("state").annotate(n=Count("id")))
    assert by_state["absent_unexplained"] == 1 == counts["unexplained"]
    assert by_state["on_leave"] > 0 and by_state["absent_notified"] > 0
    assert by_state["released"] > 0.8 * sum(by_state.values())
    assert past.filter(late_pickup=True).count() == counts["late_pickups"] > 0
    assert LeaveRequest.objects.filter(kind="early", status="approved").exists()
    assert Handover.objects.exists()
    # Every released row has its time, mode and history; the one alert reached its people.
    assert not past.filter(state="released", released_at__isnull=True).exists()
    assert AttendanceEvent.objects.filter(event="close", to_state="absent_unexplained").count() == 1
    alerts = Notification.objects.filter(kind=services.UNEXPLAINED_ALERT)
    assert alerts.count() >= 2  # the duty leader, the head teacher and any parent
    # Today is running: not closed, some pupils on site, some not signed in yet.
    live = Attendance.objects.filter(session__date=TODAY)
    assert set(Session.objects.filter(date=TODAY).values_list("status", flat=True)) == {"open"}
    assert live.filter(state="present").exists() and live.filter(state="expected").exists()
    assert NoticeReceipt.objects.filter(read_at__isnull=True).exists()
    assert NoticeReceipt.objects.filter(read_at__isnull=False).exists()
