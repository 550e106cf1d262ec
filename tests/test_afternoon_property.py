"""The AS-08 invariant, property-based: random sequences of hand-over, sign-in, leave and release
events through the real services on the database, then the end-of-day close.

Whatever happens: a refused event changes nothing; every accepted change is an allowed step of
rules.dismissal with its history row; after the close every enrolled pupil has exactly one row
per session, in exactly one final state, none lost and none added; each pupil left unexplained
raises exactly one alert, and closing again alerts nobody twice.
"""

from collections import Counter
from datetime import time

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from shuangjian.afternoon import services
from shuangjian.afternoon.models import (
    Attendance,
    AttendanceEvent,
    Handover,
    LeaveRequest,
    Session,
)
from shuangjian.afterschool.models import Enrolment
from shuangjian.errors import RuleViolation
from shuangjian.notify.models import Notification
from shuangjian.rules import dismissal
from tests.afternoon_world import DAY, acc_of, afternoon_programme, at, opened
from tests.afterschool_world import parent_of
from tests.world import build_world, make_student

MINUTES = st.integers(min_value=15 * 60 + 30, max_value=19 * 60)
PUPIL = st.integers(min_value=0, max_value=4)
SESSION = st.sampled_from(["A", "B"])
EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("hand_over"), SESSION),
        st.tuples(st.just("sign_in"), PUPIL, SESSION, MINUTES),
        st.tuples(
            st.just("release"),
            PUPIL,
            SESSION,
            st.sampled_from(["guardian", "alone", "bus", "extended_care"]),
            MINUTES,
        ),
        st.tuples(st.just("leave"), PUPIL, st.sampled_from(["whole", "early"])),
        st.tuples(st.just("decide"), PUPIL, st.booleans()),
        st.tuples(st.just("consent"), PUPIL, st.booleans()),
    ),
    max_size=30,
)


def minute(m: int):
    return at(m // 60, m % 60)


class AfternoonProperty(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = w = build_world()
        cls.pupils = [
            w.pupil,
            make_student(w.class_3_1, "P1", "钱一"),
            make_student(w.class_3_1, "P2", "孙二"),
            w.pupil2,
            make_student(w.class_3_2, "P4", "周四"),
        ]
        cls.parents = [w.parent] + [parent_of(p) for p in cls.pupils[1:]]
        # Two afternoons sharing pupils 1–3: A 16:00–17:00 (pupils 0–3), B 17:10–18:00 (1–4).
        cls.programmes = {
            "A": afternoon_programme(w, cls.pupils[:4], "足球", time(16), time(17)),
            "B": afternoon_programme(w, cls.pupils[1:], "书法", time(17, 10), time(18)),
        }

    def snapshot(self):
        return (
            list(
                Attendance.objects.order_by("id").values_list(
                    "id", "state", "signed_in_at", "released_at", "release_mode", "late_pickup"
                )
            ),
            AttendanceEvent.objects.count(),
            list(LeaveRequest.objects.order_by("id").values_list("id", "status")),
            Handover.objects.count(),
        )

    def apply(self, event, sessions, head, care):
        w = self.world
        name, *args = event
        if name == "hand_over":
            services.hand_over(
                acc=head, session=sessions[args[0]], school_class=w.class_3_1, at=at(15, 50)
            )
        elif name in ("sign_in", "release"):
            row = Attendance.objects.filter(
                session=sessions[args[1]], student=self.pupils[args[0]]
            ).first()
            if row is None:
                return
            if name == "sign_in":
                services.sign_in(acc=care, attendance=row, at=minute(args[2]))
            else:
                services.release(
                    acc=care, attendance=row, mode=args[2], guardian_name="家长", at=minute(args[3])
                )
        elif name == "leave":
            i, kind = args
            services.file_leave(
                user=self.parents[i],
                student=self.pupils[i],
                day=DAY,
                kind=kind,
                leave_at=time(16, 30) if kind == "early" else None,
                reason="家里有事",
                at=at(9),
            )
        elif name == "decide":
            leave = LeaveRequest.objects.filter(student=self.pupils[args[0]]).last()
            if leave is None:
                return
            # Pupils of 3-2 have no head teacher in the world: the principal cannot decide.
            if leave.student.school_class_id != w.class_3_1.id:
                return
            services.decide_leave(
                acc=head, leave=leave, approve=args[1], reason="" if args[1] else "不批", at=at(12)
            )
        else:
            i, consent = args
            services.set_consent(user=self.parents[i], student=self.pupils[i], consent=consent)

    @settings(max_examples=100, deadline=None)
    @given(events=EVENTS)
    def test_every_pupil_ends_in_exactly_one_final_state(self, events):
        sessions = {s.programme.name: s for s in opened(self.world)}
        sessions = {"A": sessions["足球"], "B": sessions["书法"]}
        seen_events = 0
        head, care = (
            acc_of(self.world.head_teacher, self.world),
            acc_of(self.world.afterschool, self.world),
        )
        for event in events:
            before = self.snapshot()
            try:
                self.apply(event, sessions, head, care)
            except (RuleViolation, ValidationError):
                self.assertEqual(self.snapshot(), before, f"refused {event} changed something")
                continue
            for e in AttendanceEvent.objects.order_by("id")[seen_events:]:
                step = dismissal.STEPS.get((e.event, e.from_state))
                self.assertEqual(step, e.to_state, f"{event}: {e.from_state}→{e.to_state}")
            seen_events = AttendanceEvent.objects.count()

        result = services.close_day(school=self.world.school, day=DAY, now=at(20))

        # None lost, none added: one row per allocated pupil and session.
        expected = {
            (sessions[k].id, sid)
            for k, p in self.programmes.items()
            for sid in Enrolment.objects.filter(programme=p, status="allocated").values_list(
                "student_id", flat=True
            )
        }
        rows = list(Attendance.objects.values_list("session_id", "student_id", "state", "id"))
        self.assertEqual(Counter((s, p) for s, p, _st, _id in rows), Counter(expected))
        self.assertEqual(result.rows, len(expected))
        # Exactly one final state each.
        self.assertTrue(all(state in dismissal.FINAL for _s, _p, state, _id in rows))
        self.assertEqual(set(Session.objects.values_list("status", flat=True)), {"closed"})

        # Every row's history is a path from "expected" to its state, by allowed steps.
        told = set(LeaveRequest.objects.values_list("student_id", flat=True))
        for _s, student_id, state, row_id in rows:
            current = dismissal.State.EXPECTED
            for e in AttendanceEvent.objects.filter(attendance_id=row_id).order_by("id"):
                self.assertEqual(e.from_state, current)
                if e.event == dismissal.Event.CLOSE:
                    wanted = dismissal.closing_state(current, absence_notified=student_id in told)
                else:
                    wanted = dismissal.STEPS[(e.event, current)]
                self.assertEqual(e.to_state, wanted)
                current = dismissal.State(e.to_state)
            self.assertEqual(current, state)

        # One alert per unexplained pupil, to the duty leader and each parent; never twice.
        unexplained = {p for _s, p, state, _id in rows if state == "absent_unexplained"}
        alerts = Notification.objects.filter(kind=services.UNEXPLAINED_ALERT)
        self.assertEqual(result.alerts, len(unexplained))
        self.assertEqual(alerts.filter(user=self.world.duty_leader).count(), len(unexplained))
        for i, pupil in enumerate(self.pupils):
            got = alerts.filter(user=self.parents[i]).count()
            self.assertEqual(got, 1 if pupil.id in unexplained else 0)
        sent = alerts.count()
        again = services.close_day(school=self.world.school, day=DAY, now=at(21))
        self.assertEqual((again.sessions, again.alerts), (0, 0))
        self.assertEqual(alerts.count(), sent)
