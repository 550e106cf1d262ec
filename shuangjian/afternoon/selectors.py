"""Reads for the afternoon pages and API (AS-08, AS-09)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from shuangjian.afterschool.models import Enrolment
from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import School, SchoolClass, Student, User
from shuangjian.rules import dismissal
from shuangjian.rules.dismissal import State

from .models import (
    Attendance,
    GateEntry,
    Handover,
    LeaveRequest,
    NoticeReceipt,
    ReleaseConsent,
    SafetyNotice,
    Session,
)


def session_of(school: School, session_id) -> Session | None:
    return (
        Session.objects.filter(school=school, id=session_id)
        .select_related("programme__venue", "programme__lead")
        .first()
    )


def roster(session: Session) -> list[Attendance]:
    return list(
        Attendance.objects.filter(session=session)
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student__name")
    )


@dataclass
class SessionRow:
    session: Session
    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def sessions_of_day(school: School, day: date, acc: SchoolAccess | None = None) -> list[SessionRow]:
    """The day's sessions with their pupils counted by state; with `acc`, only the sessions the
    user runs (all of them for those who watch the whole afternoon)."""
    sessions = list(
        Session.objects.filter(school=school, date=day).select_related(
            "programme__venue", "programme__lead"
        )
    )
    if acc is not None and not acc.can_watch_afternoon():
        sessions = [s for s in sessions if acc.can_run_afternoon(s.programme)]
    counts: dict[int, Counter] = {s.id: Counter() for s in sessions}
    for sid, state, n in (
        Attendance.objects.filter(session__in=sessions)
        .values_list("session_id", "state")
        .annotate(n=Count("id"))
    ):
        counts[sid][state] = n
    return [SessionRow(s, counts[s.id]) for s in sessions]


@dataclass
class LiveView:
    day: date
    sessions: list[SessionRow]
    not_signed_in: list[Attendance]  # expected or handed over, not signed in yet
    on_site: list[Attendance]  # signed in, not released yet
    late: list[Attendance]  # released after the session's end
    counts: Counter = field(default_factory=Counter)


def live_view(school: School, day: date) -> LiveView:
    """The duty leader's view: who has not been signed in, who is still on site."""
    rows = (
        Attendance.objects.filter(session__school=school, session__date=day)
        .filter(Q(state__in=list(dismissal.NOT_ARRIVED) + [State.PRESENT]) | Q(late_pickup=True))
        .select_related("student__school_class", "session__programme")
        .order_by("session__start", "session__programme__name", "student__name")
    )
    sessions = sessions_of_day(school, day)
    counts = Counter()
    for s in sessions:
        counts.update(s.counts)
    rows = list(rows)
    return LiveView(
        day=day,
        sessions=sessions,
        not_signed_in=[r for r in rows if r.state in dismissal.NOT_ARRIVED],
        on_site=[r for r in rows if r.state == State.PRESENT],
        late=[r for r in rows if r.late_pickup],
        counts=counts,
    )


@dataclass
class HandoverView:
    session: Session
    school_class: SchoolClass
    rows: list[Attendance]
    done: Handover | None


def handover_view(session: Session, klass: SchoolClass) -> HandoverView:
    rows = list(
        Attendance.objects.filter(session=session, student__school_class=klass)
        .select_related("student")
        .order_by("student__student_no")
    )
    done = Handover.objects.filter(session=session, school_class=klass).first()
    return HandoverView(session, klass, rows, done)


def head_teacher_day(acc: SchoolAccess, day: date) -> tuple[list[tuple], list[LeaveRequest]]:
    """For a head teacher: (session, class, pupils, handed over?) for their classes on the day,
    and the leave requests of their classes waiting for a decision."""
    if not acc.head_class_ids:
        return [], []
    pairs = (
        Attendance.objects.filter(
            session__school=acc.school,
            session__date=day,
            student__school_class_id__in=acc.head_class_ids,
        )
        .values_list("session_id", "student__school_class_id")
        .annotate(n=Count("id"))
        .order_by("session_id", "student__school_class_id")
    )
    sessions = Session.objects.select_related("programme").in_bulk({p[0] for p in pairs})
    classes = SchoolClass.objects.in_bulk({p[1] for p in pairs})
    done = set(
        Handover.objects.filter(session_id__in=list(sessions)).values_list(
            "session_id", "school_class_id"
        )
    )
    rows = [(sessions[s], classes[c], n, (s, c) in done) for s, c, n in pairs]
    pending = list(
        LeaveRequest.objects.filter(
            student__school_class_id__in=acc.head_class_ids, status=LeaveRequest.Status.PENDING
        ).select_related("student__school_class")
    )
    return rows, pending


def leaves_for_session(session: Session) -> list[LeaveRequest]:
    """The day's leave requests of the session's pupils (the care teacher acknowledges them)."""
    return list(
        LeaveRequest.objects.filter(
            date=session.date,
            student__in=Attendance.objects.filter(session=session).values("student"),
        ).select_related("student")
    )


@dataclass
class ChildAfternoon:
    student: Student
    day: date
    rows: list[Attendance]
    leaves: list[LeaveRequest]
    consent: ReleaseConsent | None
    notices: list[NoticeReceipt]
    enrolled: bool


def child_afternoon(student: Student, day: date, parent: User) -> ChildAfternoon:
    rows = list(
        Attendance.objects.filter(student=student, session__date=day).select_related(
            "session__programme"
        )
    )
    leaves = list(LeaveRequest.objects.filter(student=student, date__gte=day).order_by("date"))
    consent = ReleaseConsent.objects.filter(student=student, revoked_at__isnull=True).first()
    notices = list(
        NoticeReceipt.objects.filter(parent=parent, notice__school=student.school)
        .select_related("notice")
        .order_by("-notice__sent_at")[:10]
    )
    enrolled = Enrolment.objects.filter(student=student, status=Enrolment.Status.ALLOCATED).exists()
    return ChildAfternoon(student, day, rows, leaves, consent, notices, enrolled)


def notices(school: School) -> list[SafetyNotice]:
    return list(
        SafetyNotice.objects.filter(school=school)
        .select_related("programme", "sent_by")
        .annotate(
            reached=Count("receipts"),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        )[:50]
    )


def notice_of(school: School, notice_id) -> SafetyNotice | None:
    return SafetyNotice.objects.filter(school=school, id=notice_id).first()


def receipts(notice: SafetyNotice) -> tuple[list[NoticeReceipt], list[NoticeReceipt]]:
    """(read, not read yet)."""
    rows = list(notice.receipts.select_related("parent").order_by("parent__display_name"))
    return [r for r in rows if r.read_at], [r for r in rows if not r.read_at]


def gate_log(school: School, day: date) -> list[GateEntry]:
    return list(
        GateEntry.objects.filter(school=school, time_in__date=day).select_related("recorded_by")
    )
