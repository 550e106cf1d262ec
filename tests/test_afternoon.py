"""The afternoon services (AS-08, AS-09): opening, hand-over, sign-in, leave, release, the close,
safety notices and the gate log — successes, refusals that change nothing, denials."""

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from shuangjian.afternoon import services
from shuangjian.afternoon.models import (
    Attendance,
    AttendanceEvent,
    GateEntry,
    Handover,
    NoticeReceipt,
    Session,
)
from shuangjian.afterschool.models import Enrolment
from shuangjian.errors import RuleViolation
from shuangjian.notify.models import Notification
from tests.afternoon_world import DAY, acc_of, afternoon_programme, at, opened, row
from tests.afterschool_world import parent_of
from tests.world import make_student


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def day(world):
    p = afternoon_programme(world)
    (session,) = opened(world)
    return p, session


def states(session):
    return dict(Attendance.objects.filter(session=session).values_list("student_id", "state"))


# -- Opening ----------------------------------------------------------------------------------


def test_open_day_makes_one_row_per_allocated_pupil_and_is_idempotent(world):
    p = afternoon_programme(world)
    Enrolment.objects.create(
        programme=p,
        student=make_student(world.class_3_1, "W1"),
        status="waitlisted",
        source="allocation",
        position=1,
    )
    (session,) = opened(world)
    assert (session.start, session.end, session.status) == (time(16), time(18), "open")
    assert states(session) == {world.pupil.id: "expected", world.pupil2.id: "expected"}
    again = opened(world)
    assert [s.id for s in again] == [session.id]
    assert Attendance.objects.count() == 2
    late = make_student(world.class_3_1, "L1")
    Enrolment.objects.create(programme=p, student=late, status="allocated", source="join")
    opened(world)
    assert Attendance.objects.filter(session=session).count() == 3


@pytest.mark.parametrize("holiday", [date(2026, 11, 21), date(2026, 10, 1), date(2027, 2, 1)])
def test_no_sessions_on_weekends_holidays_or_vacations(world, holiday):
    afternoon_programme(world)
    with pytest.raises(RuleViolation) as exc:
        opened(world, holiday)
    assert exc.value.code == "not_a_school_day" and exc.value.rule == "AS-08"
    assert not Session.objects.exists()


def test_a_makeup_saturday_is_a_school_day(world):
    afternoon_programme(world)
    # 2026-10-10 (Saturday) is a working day in lieu of the National Day holiday.
    sessions = opened(world, date(2026, 10, 10))
    assert len(sessions) == 1 and sessions[0].start == time(16)


def test_approved_whole_leave_before_opening_starts_the_pupil_on_leave(world):
    afternoon_programme(world)
    leave = services.file_leave(
        user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="看病", at=at(8)
    )
    services.decide_leave(acc=acc_of(world.head_teacher, world), leave=leave, approve=True)
    (session,) = opened(world)
    assert states(session)[world.pupil.id] == "on_leave"


def test_only_managers_open_the_day(world):
    afternoon_programme(world)
    with pytest.raises(PermissionDenied):
        services.open_day(acc=acc_of(world.subject_teacher, world), day=DAY)


# -- Hand-over, sign-in, release ----------------------------------------------------------------


def test_a_normal_afternoon(world, day):
    p, session = day
    head, care = acc_of(world.head_teacher, world), acc_of(world.afterschool, world)
    h = services.hand_over(acc=head, session=session, school_class=world.class_3_1, at=at(15, 50))
    assert h.pupils == 1 and states(session)[world.pupil.id] == "handed_over"
    services.sign_in(acc=care, attendance=row(session, world.pupil), at=at(16))
    services.sign_in(acc=care, attendance=row(session, world.pupil2), at=at(16, 5))
    r = services.release(
        acc=care,
        attendance=row(session, world.pupil),
        mode="guardian",
        guardian_name="张爸爸",
        at=at(18),
    )
    assert (r.state, r.release_mode, r.guardian_name, r.late_pickup) == (
        "released",
        "guardian",
        "张爸爸",
        False,
    )
    late = services.release(
        acc=care, attendance=row(session, world.pupil2), mode="extended_care", at=at(18, 40)
    )
    assert late.late_pickup
    history = list(
        AttendanceEvent.objects.filter(attendance__student=world.pupil).values_list(
            "event", "from_state", "to_state", "actor__username"
        )
    )
    assert history == [
        ("hand_over", "expected", "handed_over", "head_teacher"),
        ("sign_in", "handed_over", "present", "afterschool"),
        ("release", "present", "released", "afterschool"),
    ]


def test_hand_over_twice_is_refused(world, day):
    _p, session = day
    head = acc_of(world.head_teacher, world)
    services.hand_over(acc=head, session=session, school_class=world.class_3_1, at=at(15))
    with pytest.raises(RuleViolation) as exc:
        services.hand_over(acc=head, session=session, school_class=world.class_3_1, at=at(15))
    assert exc.value.code == "class_already_handed_over"
    assert Handover.objects.count() == 1


def test_only_the_class_head_teacher_hands_over(world, day):
    _p, session = day
    with pytest.raises(PermissionDenied):
        services.hand_over(
            acc=acc_of(world.head_teacher, world), session=session, school_class=world.class_3_2
        )
    with pytest.raises(PermissionDenied):
        services.hand_over(
            acc=acc_of(world.principal, world), session=session, school_class=world.class_3_1
        )


def test_hand_over_of_a_pupil_not_in_the_class_is_refused(world, day):
    _p, session = day
    with pytest.raises(ValidationError) as exc:
        services.hand_over(
            acc=acc_of(world.head_teacher, world),
            session=session,
            school_class=world.class_3_1,
            student_ids={world.pupil2.id},
            at=at(15),
        )
    assert "pupils" in exc.value.message_dict
    assert not Handover.objects.exists()


@pytest.mark.parametrize(
    ("steps", "event", "code"),
    [
        ([], "release", "not_signed_in"),
        (["sign_in"], "sign_in", "already_signed_in"),
        (["sign_in", "release"], "sign_in", "already_final"),
        (["sign_in", "release"], "release", "already_final"),
    ],
)
def test_invalid_transitions_name_the_rule_and_the_pupil_and_change_nothing(
    world, day, steps, event, code
):
    _p, session = day
    care = acc_of(world.afterschool, world)

    def do(name):
        r = row(session, world.pupil)
        if name == "sign_in":
            return services.sign_in(acc=care, attendance=r, at=at(16))
        return services.release(acc=care, attendance=r, mode="bus", at=at(18))

    for s in steps:
        do(s)
    before = (states(session), AttendanceEvent.objects.count())
    with pytest.raises(RuleViolation) as exc:
        do(event)
    assert (exc.value.code, exc.value.rule) == (code, "AS-08")
    assert "张小明" in exc.value.message
    assert exc.value.numbers["student_id"] == world.pupil.id
    assert (states(session), AttendanceEvent.objects.count()) == before


def test_release_rules(world, day):
    _p, session = day
    care = acc_of(world.afterschool, world)
    services.sign_in(acc=care, attendance=row(session, world.pupil), at=at(16))
    r = row(session, world.pupil)
    for kwargs, code in [
        ({"mode": "guardian", "guardian_name": " "}, "guardian_not_named"),
        ({"mode": "alone"}, "no_consent_to_go_alone"),
    ]:
        with pytest.raises(RuleViolation) as exc:
            services.release(acc=care, attendance=r, at=at(18), **kwargs)
        assert exc.value.code == code
    with pytest.raises(RuleViolation) as exc:
        services.release(acc=care, attendance=r, mode="bus", at=at(17))
    assert exc.value.code == "early_leave_not_approved"
    with pytest.raises(ValidationError) as exc:
        services.release(acc=care, attendance=r, mode="teleport", at=at(18))
    assert "mode" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.release(acc=care, attendance=r, mode="bus", at=at(18, day=date(2026, 11, 17)))
    assert "at" in exc.value.message_dict
    assert row(session, world.pupil).state == "present"
    services.set_consent(user=world.parent, student=world.pupil, consent=True)
    assert services.release(acc=care, attendance=r, mode="alone", at=at(18)).state == "released"


def test_early_leave_needs_an_approved_request(world, day):
    _p, session = day
    care, head = acc_of(world.afterschool, world), acc_of(world.head_teacher, world)
    services.sign_in(acc=care, attendance=row(session, world.pupil), at=at(16))
    leave = services.file_leave(
        user=world.parent,
        student=world.pupil,
        day=DAY,
        kind="early",
        leave_at=time(17),
        reason="牙医",
        at=at(9),
    )
    with pytest.raises(RuleViolation):
        services.release(acc=care, attendance=row(session, world.pupil), mode="bus", at=at(17))
    services.decide_leave(acc=head, leave=leave, approve=True, at=at(12))
    r = services.release(
        acc=care,
        attendance=row(session, world.pupil),
        mode="guardian",
        guardian_name="奶奶",
        at=at(17),
    )
    assert r.state == "released" and not r.late_pickup
    services.acknowledge_leave(acc=care, leave=leave)
    leave.refresh_from_db()
    assert leave.acknowledged_by == world.afterschool


def test_whole_leave_puts_the_row_on_leave_and_a_signed_in_pupil_cannot_take_it(world, day):
    _p, session = day
    care, head = acc_of(world.afterschool, world), acc_of(world.head_teacher, world)
    leave = services.file_leave(
        user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="发烧", at=at(9)
    )
    services.decide_leave(acc=head, leave=leave, approve=True, at=at(10))
    assert row(session, world.pupil).state == "on_leave"
    with pytest.raises(RuleViolation) as exc:
        services.sign_in(acc=care, attendance=row(session, world.pupil), at=at(16))
    assert exc.value.code == "already_final"

    pupil3 = make_student(world.class_3_1, "2026030102", "赵小三")
    Enrolment.objects.create(programme=_p, student=pupil3, status="allocated", source="join")
    opened(world)
    services.sign_in(acc=care, attendance=row(session, pupil3), at=at(16))
    parent3 = parent_of(pupil3)
    late = services.file_leave(
        user=parent3, student=pupil3, day=DAY, kind="whole", reason="事假", at=at(16, 5)
    )
    with pytest.raises(RuleViolation) as exc:
        services.decide_leave(acc=head, leave=late, approve=True, at=at(16, 10))
    assert exc.value.code == "already_signed_in" and "赵小三" in exc.value.message
    late.refresh_from_db()
    assert late.status == "pending" and row(session, pupil3).state == "present"


def test_leave_input_and_decision_rules(world, day):
    head = acc_of(world.head_teacher, world)
    with pytest.raises(ValidationError) as exc:
        services.file_leave(
            user=world.parent, student=world.pupil, day=DAY, kind="whole", reason=" ", at=at(9)
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.file_leave(
            user=world.parent, student=world.pupil, day=DAY, kind="early", reason="x", at=at(9)
        )
    assert "leave_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.file_leave(
            user=world.parent,
            student=world.pupil,
            day=date(2026, 11, 13),
            kind="whole",
            reason="x",
            at=at(9),
        )
    assert "date" in exc.value.message_dict
    leave = services.file_leave(
        user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="x", at=at(9)
    )
    with pytest.raises(RuleViolation) as exc:
        services.file_leave(
            user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="y", at=at(9)
        )
    assert exc.value.code == "leave_already_filed"
    with pytest.raises(ValidationError) as exc:
        services.decide_leave(acc=head, leave=leave, approve=False, reason="")
    assert "reason" in exc.value.message_dict
    services.decide_leave(acc=head, leave=leave, approve=False, reason="考试日", at=at(10))
    with pytest.raises(RuleViolation) as exc:
        services.decide_leave(acc=head, leave=leave, approve=True, at=at(10))
    assert exc.value.code == "leave_already_decided"
    assert Notification.objects.filter(user=world.parent, kind="afternoon_leave_decided").exists()
    assert Notification.objects.filter(user=world.head_teacher, kind="afternoon_leave").exists()
    with pytest.raises(PermissionDenied):
        services.decide_leave(
            acc=acc_of(world.principal, world),
            leave=services.file_leave(
                user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="z", at=at(9)
            ),
            approve=True,
        )


def test_care_teacher_acknowledges_only_decided_leave_of_their_pupils(world, day):
    leave = services.file_leave(
        user=world.parent, student=world.pupil, day=DAY, kind="whole", reason="x", at=at(9)
    )
    with pytest.raises(RuleViolation) as exc:
        services.acknowledge_leave(acc=acc_of(world.afterschool, world), leave=leave)
    assert exc.value.code == "leave_not_decided"
    with pytest.raises(PermissionDenied):
        services.acknowledge_leave(acc=acc_of(world.subject_teacher, world), leave=leave)


def test_denials_for_signing_in(world, day):
    _p, session = day
    with pytest.raises(PermissionDenied):
        services.sign_in(
            acc=acc_of(world.subject_teacher, world), attendance=row(session, world.pupil)
        )
    assert row(session, world.pupil).state == "expected"


# -- Closing the day ------------------------------------------------------------------------------


def test_close_day_puts_every_row_in_a_final_state_and_alerts_once(world):
    pupils = [world.pupil, world.pupil2] + [
        make_student(world.class_3_1, f"C{i}", f"学生{i}") for i in range(4)
    ]
    afternoon_programme(world, pupils)
    (session,) = opened(world)
    care, head = acc_of(world.afterschool, world), acc_of(world.head_teacher, world)
    a, b, c, d, e, f = pupils
    services.sign_in(acc=care, attendance=row(session, a), at=at(16))
    services.release(acc=care, attendance=row(session, a), mode="bus", at=at(18))
    services.sign_in(acc=care, attendance=row(session, b), at=at(16))  # never released
    services.file_leave(user=parent_of(c), student=c, day=DAY, kind="whole", reason="x", at=at(9))
    leave = services.file_leave(
        user=parent_of(d), student=d, day=DAY, kind="whole", reason="y", at=at(9)
    )
    services.decide_leave(acc=head, leave=leave, approve=True, at=at(10))
    parent_e = parent_of(e)
    # f: nobody knows anything.
    result = services.close_day(school=world.school, day=DAY, now=at(19))
    assert states(session) == {
        a.id: "released",
        b.id: "absent_unexplained",
        c.id: "absent_notified",
        d.id: "on_leave",
        e.id: "absent_unexplained",
        f.id: "absent_unexplained",
    }
    assert result.sessions == 1 and result.rows == 6 and result.alerts == 3
    alerts = Notification.objects.filter(kind=services.UNEXPLAINED_ALERT)
    assert alerts.filter(user=world.duty_leader).count() == 3
    assert alerts.filter(user=world.head_teacher).count() == 2  # b is in 3-2: no head teacher
    assert alerts.filter(user=parent_e).count() == 1
    session.refresh_from_db()
    assert session.status == "closed"
    again = services.close_day(school=world.school, day=DAY, now=at(20))
    assert again.sessions == 0 and again.alerts == 0
    assert Notification.objects.filter(kind=services.UNEXPLAINED_ALERT).count() == alerts.count()
    with pytest.raises(RuleViolation) as exc:
        services.sign_in(acc=care, attendance=row(session, f), at=at(19))
    assert exc.value.code == "session_closed"


def test_one_alert_per_pupil_even_with_two_sessions(world):
    afternoon_programme(world, [world.pupil], "足球", time(16), time(17))
    afternoon_programme(world, [world.pupil], "书法", time(17, 10), time(18))
    assert len(opened(world)) == 2
    result = services.close_day(school=world.school, day=DAY, now=at(19))
    assert result.alerts == 1
    assert (
        Notification.objects.filter(user=world.parent, kind=services.UNEXPLAINED_ALERT).count() == 1
    )


def test_close_before_the_end_is_refused(world, day):
    with pytest.raises(RuleViolation) as exc:
        services.close_day(school=world.school, day=DAY, now=at(17))
    assert exc.value.code == "day_not_over"
    assert Session.objects.get().status == "open"


def test_close_command(world, day, capsys):
    call_command("close_afternoon", date=str(DAY), school=world.school.code)
    out = capsys.readouterr().out
    assert "1 sessions, 2 pupils" in out and "2 alerts" in out
    with pytest.raises(CommandError, match="NOPE"):
        call_command("close_afternoon", date=str(DAY), school="NOPE")


@pytest.mark.parametrize("bad", ["2026-02-30", "tomorrow"])
def test_close_command_refuses_a_date_that_is_not_a_day(world, day, bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("close_afternoon", date=bad, school=world.school.code)
    assert Session.objects.get().status == "open"


# -- Safety (AS-09) -----------------------------------------------------------------------------


def test_safety_notice_reaches_parents_in_scope_with_receipts(world):
    p = afternoon_programme(world)
    parent2 = parent_of(world.pupil2)
    duty = acc_of(world.duty_leader, world)
    n = services.send_notice(
        acc=duty, kind="weather", scope="programme", programme=p, title="暴雨", body="请提前接孩子"
    )
    assert set(NoticeReceipt.objects.filter(notice=n).values_list("parent", flat=True)) == {
        world.parent.id,
        parent2.id,
    }
    services.mark_notice_read(user=world.parent, notice=n)
    assert NoticeReceipt.objects.get(notice=n, parent=world.parent).read_at is not None
    g = services.send_notice(
        acc=duty, kind="emergency", scope="grade", grade=3, title="t", body="b"
    )
    assert g.receipts.count() == 2
    with pytest.raises(ValidationError) as exc:
        services.send_notice(acc=duty, kind="weather", scope="grade", grade=7, title="t", body="b")
    assert "scope" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.send_notice(acc=duty, kind="weather", scope="school", title="", body="b")
    assert "title" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.send_notice(
            acc=acc_of(world.head_teacher, world),
            kind="weather",
            scope="school",
            title="t",
            body="b",
        )


def test_gate_log_refuses_an_exit_before_the_entry(world):
    duty = acc_of(world.duty_leader, world)
    e = services.record_entry(acc=duty, name="快递员", purpose="送件", host="门卫", at=at(16))
    with pytest.raises(RuleViolation) as exc:
        services.record_exit(acc=duty, entry=e, at=at(15))
    assert (exc.value.code, exc.value.rule) == ("exit_before_entry", "AS-09")
    services.record_exit(acc=duty, entry=e, at=at(16, 30))
    with pytest.raises(RuleViolation) as exc:
        services.record_exit(acc=duty, entry=e, at=at(17))
    assert exc.value.code == "already_left"
    assert GateEntry.objects.get().time_out == at(16, 30)
    with pytest.raises(ValidationError) as exc:
        services.record_entry(acc=duty, name="", purpose="x", host="y")
    assert "name" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.record_entry(
            acc=acc_of(world.head_teacher, world), name="a", purpose="b", host="c"
        )
