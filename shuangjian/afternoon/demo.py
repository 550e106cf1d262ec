"""Three weeks of after-school afternoons for the demo school BP001 (AS-08, AS-09), on top of
`afterschool.demo` (its programmes, slots and published allocation).

For each school day of the three weeks before `today` the sessions are opened by the service
(`open_day`), then the afternoon is written in bulk: the head teachers' hand-overs, sign-ins and
releases (mostly to a named guardian, some alone with a parent's consent, by school bus or to
extended care 延时托管), about 5% late pick-ups, approved whole-afternoon and early leave, a few
leave requests still waiting (absence notified at the close) — and, on the last of those days,
exactly one pupil who never arrived and for whom nobody asked leave.  Every day is then closed by
the service (`close_day`), which finalises the waiting rows and raises the one alert.  Today's
sessions (if today is a school day) are opened and left running for the live view: some pupils
handed over, some signed in, a few released.  A weather notice and a gate log complete AS-09.

All random choices come from one `random.Random(seed)`.
"""

import random
import time as clock
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from shuangjian.org.access import access_school, operator_access
from shuangjian.org.demo import SCHOOL_1
from shuangjian.org.models import Guardianship, Role, School, StaffRole, Student, User
from shuangjian.org.selectors import school_calendar
from shuangjian.rules.dismissal import Event, State

from . import services
from .models import (
    Attendance,
    AttendanceEvent,
    GateEntry,
    Handover,
    LeaveRequest,
    ReleaseConsent,
    SafetyNotice,
    Session,
)

WEEKS = 3
CLOSING = time(21, 0)  # the evening self-study of the junior grades ends 20:30
LEAVE_REASONS = ["看病", "家中有事", "发烧请假", "参加比赛", "走亲戚"]


def _moment(day: date, t: time, minutes: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, t) + timedelta(minutes=minutes))


def load_afternoon_demo(
    *, seed: int = 2021, today: date | None = None, stdout: TextIO | None = None
) -> dict:
    today = today or timezone.localdate()
    with transaction.atomic():
        school = School.objects.get(code=SCHOOL_1)
        return _Builder(random.Random(seed), school, today, stdout).build()


class _Builder:
    def __init__(self, rng: random.Random, school: School, today: date, stdout) -> None:
        self.rng, self.school, self.today, self.stdout = rng, school, today, stdout
        self.acc = operator_access(school)
        self.heads = {
            r.school_class_id: r.staff.user
            for r in StaffRole.objects.filter(
                staff__school=school, role=Role.HEAD_TEACHER
            ).select_related("staff__user")
        }
        self.carer = (
            StaffRole.objects.filter(staff__school=school, role=Role.AFTERSCHOOL)
            .select_related("staff__user")
            .first()
            .staff.user
        )
        self.duty = (
            StaffRole.objects.filter(staff__school=school, role=Role.DUTY_LEADER)
            .select_related("staff__user")
            .first()
            .staff.user
        )
        self.parents = dict(
            Guardianship.objects.filter(student__school=school).values_list("student_id", "user")
        )
        self.classes = dict(
            Student.objects.filter(school=school).values_list("id", "school_class_id")
        )

    def build(self) -> dict:
        self.consents()
        start = self.today - timedelta(weeks=WEEKS)
        days = [
            d.day
            for d in school_calendar(self.school, start, self.today - timedelta(days=1)).days
            if d.is_school_day
        ]
        closes, sessions, unexplained = [], 0, 0
        for i, day in enumerate(days):
            opened = services.open_day(acc=self.acc, day=day)
            sessions += len(opened)
            self.afternoon(opened, day, absent_one=i == len(days) - 1)
            started = clock.perf_counter()
            result = services.close_day(
                school=self.school, day=day, actor=self.duty, now=_moment(day, CLOSING)
            )
            closes.append((clock.perf_counter() - started) * 1000)
            unexplained += result.alerts
        live = 0
        if school_calendar(self.school, self.today, self.today).days[0].is_school_day:
            live = len(services.open_day(acc=self.acc, day=self.today))
            self.running(self.today)
        self.safety()
        counts = {
            "days": len(days),
            "sessions": sessions,
            "rows": Attendance.objects.filter(session__school=self.school).count(),
            "late_pickups": Attendance.objects.filter(
                session__school=self.school, late_pickup=True
            ).count(),
            "unexplained": unexplained,
            "today_sessions": live,
            "close_ms_max": round(max(closes), 1) if closes else 0.0,
        }
        if self.stdout is not None:
            self.stdout.write(
                f"课后服务日常演示数据（{self.school.name}）：{counts['days']} 个服务日，"
                f"{sessions} 场次，{counts['rows']} 人次，延迟接走 {counts['late_pickups']} 人次，"
                f"无故缺席 {unexplained} 人次；今日进行中 {live} 场；"
                f"日终核对每天最长 {counts['close_ms_max']} 毫秒\n"
            )
        return counts

    def consents(self) -> None:
        """About one pupil in ten of grades 4 and above may go home alone."""
        pupils = Student.objects.filter(
            school=self.school, active=True, school_class__grade__gte=4, id__in=list(self.parents)
        ).order_by("id")
        ReleaseConsent.objects.bulk_create(
            ReleaseConsent(student_id=sid, given_by_id=self.parents[sid])
            for sid in pupils.values_list("id", flat=True)
            if self.rng.random() < 0.1
        )
        self.alone = set(
            ReleaseConsent.objects.filter(student__school=self.school).values_list(
                "student_id", flat=True
            )
        )

    def afternoon(self, opened: list[Session], day: date, *, absent_one: bool) -> None:
        rng = self.rng
        sessions = {s.id: s for s in opened}
        rows = list(
            Attendance.objects.filter(session__in=opened, state=State.EXPECTED).order_by("id")
        )
        by_pupil = defaultdict(list)
        for r in rows:
            by_pupil[r.student_id].append(r)
        leaves, events, handed = [], [], defaultdict(int)
        missing = rng.choice(sorted(by_pupil)) if absent_one and by_pupil else None

        def move(r, event, to, at, actor, note=""):
            events.append((r, event, r.state, to, actor, at, note))
            r.state = to

        for sid, pupil_rows in by_pupil.items():
            parent = self.parents.get(sid)
            head = self.heads.get(self.classes[sid])
            roll = rng.random()
            if sid == missing:
                continue  # never arrives, nobody asked: unexplained at the close
            if parent and head and roll < 0.03:
                leave = LeaveRequest(
                    student_id=sid,
                    date=day,
                    kind=LeaveRequest.Kind.WHOLE,
                    reason=rng.choice(LEAVE_REASONS),
                    status=LeaveRequest.Status.APPROVED,
                    filed_by_id=parent,
                    decided_by=head,
                    decided_at=_moment(day, time(12)),
                    acknowledged_by=self.carer,
                    acknowledged_at=_moment(day, time(15)),
                )
                leaves.append(leave)
                for r in pupil_rows:
                    move(r, Event.LEAVE, State.ON_LEAVE, leave.decided_at, head, leave.reason)
                continue
            if parent and roll < 0.04:  # asked in the morning, still waiting at the close
                leaves.append(
                    LeaveRequest(
                        student_id=sid,
                        date=day,
                        kind=LeaveRequest.Kind.WHOLE,
                        reason=rng.choice(LEAVE_REASONS),
                        filed_by_id=parent,
                    )
                )
                continue
            early = parent and head and roll < 0.06
            if early:
                leave_at = time(16, 40)
                leaves.append(
                    LeaveRequest(
                        student_id=sid,
                        date=day,
                        kind=LeaveRequest.Kind.EARLY,
                        leave_at=leave_at,
                        reason=rng.choice(LEAVE_REASONS),
                        status=LeaveRequest.Status.APPROVED,
                        filed_by_id=parent,
                        decided_by=head,
                        decided_at=_moment(day, time(11)),
                    )
                )
            for r in pupil_rows:
                s = sessions[r.session_id]
                if head and r.state == State.EXPECTED:
                    move(r, Event.HAND_OVER, State.HANDED_OVER, _moment(day, s.start, -10), head)
                    handed[(s.id, self.classes[sid])] += 1
                r.signed_in_at = _moment(day, s.start, rng.randint(0, 5))
                move(r, Event.SIGN_IN, State.PRESENT, r.signed_in_at, self.carer)
                if early and _moment(day, leave_at) < _moment(day, s.end):
                    r.released_at = max(_moment(day, leave_at), r.signed_in_at)
                    r.release_mode, r.guardian_name = "guardian", "家长"
                else:
                    late = rng.random() < 0.05
                    minutes = rng.randint(20, 55) if late else rng.randint(-10, 10)
                    r.released_at = _moment(day, s.end, minutes)
                    r.late_pickup = late
                    r.release_mode = self.mode(sid, late)
                    r.guardian_name = "家长" if r.release_mode == "guardian" else ""
                move(
                    r,
                    Event.RELEASE,
                    State.RELEASED,
                    r.released_at,
                    self.carer,
                    r.guardian_name or r.release_mode,
                )
        LeaveRequest.objects.bulk_create(leaves)
        # One parameterised UPDATE for all rows: Django's bulk_update builds a CASE expression
        # per row and field, which takes a minute for a few thousand rows.
        fields = ["state", "signed_in_at", "released_at", "release_mode", "guardian_name"]
        fields.append("late_pickup")
        columns = ", ".join(f"{f} = %s" for f in fields)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Attendance._meta.db_table} SET {columns} WHERE id = %s",
                [[getattr(r, f) for f in fields] + [r.id] for r in rows],
            )
        AttendanceEvent.objects.bulk_create(
            (
                AttendanceEvent(
                    attendance=r, event=e, from_state=a, to_state=b, actor=who, at=at, note=note
                )
                for r, e, a, b, who, at, note in events
            ),
            batch_size=1000,
        )
        Handover.objects.bulk_create(
            Handover(
                session_id=session_id,
                school_class_id=class_id,
                handed_by=self.heads[class_id],
                at=_moment(day, sessions[session_id].start, -10),
                pupils=n,
            )
            for (session_id, class_id), n in handed.items()
        )

    def mode(self, sid: int, late: bool) -> str:
        if late:
            return self.rng.choice(["guardian", "extended_care"])
        roll = self.rng.random()
        if sid in self.alone and roll < 0.5:
            return "alone"
        if roll < 0.08:
            return "bus"
        if roll < 0.2:
            return "extended_care"
        return "guardian"

    def running(self, day: date) -> None:
        """Today: a third of the classes handed over, their pupils half signed in."""
        rows = list(
            Attendance.objects.filter(
                session__school=self.school, session__date=day, state=State.EXPECTED
            )
            .select_related("session")
            .order_by("id")
        )
        events = []
        for r in rows:
            head = self.heads.get(self.classes[r.student_id])
            if head is None or self.classes[r.student_id] % 3:
                continue
            at = _moment(day, r.session.start, -10)
            events.append(
                AttendanceEvent(
                    attendance=r,
                    event=Event.HAND_OVER,
                    from_state=r.state,
                    to_state=State.HANDED_OVER,
                    actor=head,
                    at=at,
                )
            )
            r.state = State.HANDED_OVER
            if self.rng.random() < 0.5:
                r.signed_in_at = _moment(day, r.session.start, 2)
                events.append(
                    AttendanceEvent(
                        attendance=r,
                        event=Event.SIGN_IN,
                        from_state=r.state,
                        to_state=State.PRESENT,
                        actor=self.carer,
                        at=r.signed_in_at,
                    )
                )
                r.state = State.PRESENT
        groups = defaultdict(list)
        for r in rows:
            groups[(r.state, r.signed_in_at)].append(r.id)
        for (state, signed_in_at), ids in groups.items():
            Attendance.objects.filter(id__in=ids).update(state=state, signed_in_at=signed_in_at)
        AttendanceEvent.objects.bulk_create(events, batch_size=1000)
        handed = defaultdict(int)
        for r in rows:
            if r.state != State.EXPECTED:
                handed[(r.session_id, self.classes[r.student_id])] += 1
        Handover.objects.bulk_create(
            Handover(
                session_id=sid,
                school_class_id=cid,
                handed_by=self.heads[cid],
                at=_moment(day, time(15, 50)),
                pupils=n,
            )
            for (sid, cid), n in handed.items()
        )

    def safety(self) -> None:
        """A snow warning sent through the service; four parents in five have read it."""
        principal = User.objects.filter(
            staff_posts__school=self.school, staff_posts__roles__role=Role.PRINCIPAL
        ).first()
        notice = services.send_notice(
            acc=access_school(principal, self.school.id),
            kind=SafetyNotice.Kind.WEATHER,
            scope=SafetyNotice.Scope.SCHOOL,
            title="暴雪预警：今日课后服务提前结束",
            body="气象台发布暴雪黄色预警，今日课后服务16:30结束，请家长提前到校接孩子，注意交通安全。",
        )
        receipts = list(notice.receipts.order_by("id").values_list("id", flat=True))
        read = [rid for rid in receipts if self.rng.random() < 0.8]
        notice.receipts.filter(id__in=read).update(read_at=notice.sent_at)
        base = _moment(self.today, time(16, 10))
        GateEntry.objects.bulk_create(
            [
                GateEntry(
                    school=self.school,
                    name="刘师傅",
                    purpose="维修操场照明",
                    host="总务处",
                    time_in=base,
                    time_out=base + timedelta(minutes=50),
                    recorded_by=self.duty,
                ),
                GateEntry(
                    school=self.school,
                    name="王女士",
                    purpose="家长会面",
                    host="三年级一班班主任",
                    time_in=base + timedelta(minutes=30),
                    recorded_by=self.duty,
                ),
            ]
        )
