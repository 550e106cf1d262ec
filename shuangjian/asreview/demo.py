"""Demo data for after-school teachers and inspection (AS-11, AS-12), on top of the afterschool
demo (programmes, places) and whatever afternoon sessions exist (none are created here).

For each demo school with approved programmes: the subsidy rate of their term, the demo parent
("parent") appointed as a parent inspector, an effectiveness assessment per programme, parents'
ratings, and — over the sessions already held — duty-leader patrols with a few rule breaches and
exactly one bad-influence event, plus one flexible-hours record after the latest late duty.
Everything comes from one `random.Random(seed)` and the rows already in the database.
"""

import random
from datetime import time
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shuangjian.afternoon.models import Session
from shuangjian.afterschool.models import Enrolment, Programme
from shuangjian.afterschool.selectors import work_end_times
from shuangjian.org.access import access_school
from shuangjian.org.demo import SCHOOL_1, SCHOOL_2
from shuangjian.org.models import Guardianship, Role, School, StaffRole, User

from . import services

RATE, OUTSIDE_RATE = Decimal("30"), Decimal("50")
PATROL_SHARE = 0.3  # of the sessions held
BREACH_SHARE = 0.1  # of the patrols
RATING_SHARE = 0.6  # of the parents of pupils with a place
RATING_WEIGHTS = {5: 50, 4: 30, 3: 12, 2: 5, 1: 3}
LATER_START = time(9, 30)
BREACH_NOTES = [
    "教师晚到5分钟，未按时点名。",
    "活动结束前学生在走廊追跑，未及时制止。",
    "签到表未填写完整。",
]
BAD_INFLUENCE_NOTE = "放学时接送家长在校门口聚集，堵塞交通，引起周边居民投诉。"
EVIDENCE = [
    "学期末成果展示，学生作品全部展出。",
    "参加区级比赛，两名学生获奖。",
    "学生作业完成率明显提高，班主任反馈良好。",
    "按计划完成全部教学内容，学生技能测试合格率高。",
]


def load_asreview_demo(*, seed: int = 2021, stdout: TextIO | None = None) -> dict:
    """Create the demo rows in one transaction; returns counts (summed over the schools)."""
    rng = random.Random(seed)
    totals: dict = {}
    with transaction.atomic():
        for school in School.objects.filter(code__in=(SCHOOL_1, SCHOOL_2)).order_by("code"):
            if not Programme.objects.filter(school=school, status="approved").exists():
                continue
            counts = _School(rng, school).build()
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if stdout is not None:
                stdout.write(
                    f"课后服务考评演示数据（{school.name}）：补助标准 {counts['rates']} 个，"
                    f"巡查 {counts['patrols']} 次（违规 {counts['breaches']} 项，不良影响 "
                    f"{counts['bad_influence']} 项），成效评定 {counts['assessments']} 个，"
                    f"家长评价 {counts['ratings']} 份，弹性上下班 {counts['flexible_hours']} 条\n"
                )
    return totals


def _user_with(school: School, role: str) -> User | None:
    row = (
        StaffRole.objects.filter(staff__school=school, staff__active=True, role=role)
        .select_related("staff__user")
        .order_by("staff_id")
        .first()
    )
    return row.staff.user if row else None


class _School:
    def __init__(self, rng: random.Random, school: School) -> None:
        self.rng, self.school = rng, school
        self.acc = access_school(_user_with(school, Role.PRINCIPAL), school.id)
        self.programmes = list(
            Programme.objects.filter(school=school, status="approved")
            .select_related("term")
            .order_by("term__start", "name")
        )
        self.held = list(
            Session.objects.filter(
                school=school, date__lte=timezone.localdate(), programme__in=self.programmes
            )
            .exclude(status=Session.Status.CANCELLED)
            .select_related("programme")
            .order_by("date", "start", "programme__name")
        )

    def build(self) -> dict:
        terms = sorted({p.term for p in self.programmes}, key=lambda t: t.start)
        for term in terms:
            services.set_subsidy_rate(acc=self.acc, term=term, rate=RATE, outside_rate=OUTSIDE_RATE)
        inspectors = self.parent_inspectors(terms)
        for p in self.programmes:
            services.assess(
                acc=self.acc,
                programme=p,
                points=Decimal(self.rng.randrange(140, 200, 5)) / 10,
                evidence=self.rng.choice(EVIDENCE),
            )
        patrols, breaches, bad = self.patrols()
        return {
            "rates": len(terms),
            "parent_inspectors": inspectors,
            "assessments": len(self.programmes),
            "ratings": self.ratings(),
            "patrols": patrols,
            "breaches": breaches,
            "bad_influence": bad,
            "flexible_hours": self.flexible_hours(),
        }

    def parent_inspectors(self, terms) -> int:
        parent = User.objects.filter(username="parent", mobile__isnull=False).first()
        is_parent = (
            parent is not None
            and Guardianship.objects.filter(user=parent, student__school=self.school).exists()
        )
        if not is_parent:
            return 0
        for term in terms:
            services.appoint_parent_inspector(acc=self.acc, term=term, mobile=parent.mobile)
        return len(terms)

    def ratings(self) -> int:
        values, weights = zip(*RATING_WEIGHTS.items(), strict=True)
        n = 0
        for p in self.programmes:
            places = (
                Enrolment.objects.filter(programme=p, status=Enrolment.Status.ALLOCATED)
                .select_related("student")
                .order_by("student__student_no")
            )
            for e in places:
                parent = Guardianship.objects.filter(student=e.student).order_by("user_id").first()
                if parent is None or self.rng.random() >= RATING_SHARE:
                    continue
                value = self.rng.choices(values, weights)[0]
                services.rate_programme(
                    user=parent.user, student=e.student, programme=p, value=value
                )
                n += 1
        return n

    def patrols(self) -> tuple[int, int, int]:
        leader = _user_with(self.school, Role.DUTY_LEADER)
        if leader is None or not self.held:
            return 0, 0, 0
        patroller = services.patroller_for(leader, self.school.id)
        chosen = [s for s in self.held if self.rng.random() < PATROL_SHARE] or self.held[:1]
        bad_at = self.rng.randrange(len(chosen))
        breaches = 0
        for i, s in enumerate(chosen):
            breach = i != bad_at and self.rng.random() < BREACH_SHARE
            services.record_patrol(
                patroller=patroller,
                session=s,
                staff_present=True,
                activity_held=True,
                rules_kept=not breach,
                breaches=int(breach),
                bad_influence=int(i == bad_at),
                note=(
                    BAD_INFLUENCE_NOTE
                    if i == bad_at
                    else self.rng.choice(BREACH_NOTES)
                    if breach
                    else ""
                ),
            )
            breaches += breach
        return len(chosen), breaches, 1

    def flexible_hours(self) -> int:
        """After the latest late duty followed by a school day: its lead teacher starts later."""
        end_times = work_end_times(self.school)
        for s in reversed(self.held):
            late = s.end >= end_times.end_of_work(s.date)
            if late and services.next_school_day(self.school, s.date) is not None:
                services.record_flexible_hours(
                    acc=self.acc,
                    session=s,
                    staff=s.programme.lead,
                    start_at=LATER_START,
                    note="课后服务至下班后，次日弹性到岗",
                )
                return 1
        return 0
