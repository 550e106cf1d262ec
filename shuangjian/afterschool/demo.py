"""A term of after-school service for the demo school BP001 (AS-01 … AS-07, AS-13), on top of
`org.demo`.

`load_afterschool_demo()` fills the current term of 北票市实验学校: the supervision hotline and
mailbox, classroom venues, about thirty approved programmes (homework tutoring 作业辅导 for each of
grades 3–9 and clubs, sports, arts, science, reading and labour activities, most of them free), a
published service agreement, voluntary applications of about 70% of the pupils of grades 1–6 in
every state of the workflow (most signed), three ranked choices for the applicants and one
published allocation run (seed "2026秋").

One gap of the "5+2" check is deliberate: on Fridays every programme ends at 17:20, so the check
shows Friday failing "under_two_hours" and "ends_before_work" while Monday–Thursday pass.

Programmes, their approval, the agreement, the settings and the allocation go through the services
(which enforce clashes, capacities, grades and fees); the hundreds of applications, their history
and the preferences are written with bulk inserts after the same checks.  Every random choice
comes from one `random.Random(seed)`; nothing depends on the clock except `today` (which picks the
term), so the same seed, demo and `today` give the same rows.  Texts are Chinese demo content and
are not translated (like `org.demo`).
"""

import random
from datetime import date, time, timedelta
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shuangjian.org.access import access_school
from shuangjian.org.demo import SCHOOL_1, class_name
from shuangjian.org.models import (
    Guardianship,
    Role,
    School,
    Staff,
    StaffRole,
    Student,
    Term,
    User,
    Venue,
)

from . import services
from .models import (
    AgreementSignature,
    Application,
    ApplicationEvent,
    Category,
    Enrolment,
    OutsideStaff,
    Preference,
    Programme,
    ServiceAgreement,
)
from .services import SlotIn

ALLOCATION_SEED = "2026秋"
HOTLINE = "0421-5822345"
MAILBOX = "kehoufuwu@bpsyxx.edu.cn"
APPLY_SHARE = 0.7  # of the pupils of grades 1–6
CHOICES = 3
FRIDAY_END = time(17, 20)  # the deliberate "5+2" gap: Friday ends early and runs under two hours

_MON_WED = ((0, time(16, 0), time(18, 0)), (2, time(16, 0), time(18, 0)))
_TUE_THU = ((1, time(16, 0), time(18, 0)), (3, time(16, 0), time(18, 0)))
_FRIDAY = ((4, time(16, 0), FRIDAY_END),)
_WEEK = tuple((d, time(16, 0), time(18, 0)) for d in range(4)) + _FRIDAY
_EVENING = tuple((d, time(18, 30), time(20, 30)) for d in range(4))

# Venues the demo adds: (name, kind, capacity).
EXTRA_VENUES = [(f"{class_name(g, 1)}教室", Venue.Kind.CLASSROOM, 50) for g in range(3, 10)] + [
    (f"{class_name(7, 2)}教室", Venue.Kind.CLASSROOM, 50),
    (f"{class_name(9, 2)}教室", Venue.Kind.CLASSROOM, 50),
    ("劳动实践基地", Venue.Kind.FIELD, 40),
]

# (name, category, grade_from, grade_to, capacity, venue, slots, fee, popularity)
ACTIVITIES = [
    ("篮球", Category.SPORTS, 3, 6, 40, "体育馆", _MON_WED, 0, 5),
    ("乒乓球", Category.SPORTS, 3, 9, 30, "体育馆", _TUE_THU, 0, 4),
    ("田径", Category.SPORTS, 4, 9, 40, "体育馆", _FRIDAY, 0, 2),
    ("足球", Category.SPORTS, 3, 6, 40, "操场", _MON_WED, 0, 6),
    ("跳绳", Category.SPORTS, 1, 3, 50, "操场", _TUE_THU, 0, 4),
    ("武术", Category.SPORTS, 1, 6, 40, "操场", _FRIDAY, 0, 3),
    ("合唱", Category.ARTS, 1, 6, 50, "音乐教室", _MON_WED, 0, 3),
    ("舞蹈", Category.ARTS, 1, 6, 30, "音乐教室", _TUE_THU, 0, 5),
    ("书法", Category.ARTS, 3, 9, 40, "美术教室", _MON_WED, 0, 3),
    ("国画", Category.ARTS, 3, 6, 30, "美术教室", _TUE_THU, 0, 3),
    ("剪纸", Category.ARTS, 1, 4, 35, "美术教室", _FRIDAY, 0, 3),
    ("机器人", Category.SCIENCE, 4, 8, 24, "科学实验室", _MON_WED, 150, 7),
    ("科学小实验", Category.SCIENCE, 1, 4, 40, "科学实验室", _TUE_THU, 0, 6),
    ("编程", Category.SCIENCE, 5, 8, 30, "科学实验室", _FRIDAY, 100, 5),
    ("绘本阅读", Category.READING, 1, 2, 40, "图书馆", _MON_WED, 0, 4),
    ("经典诵读", Category.READING, 1, 6, 50, "图书馆", _TUE_THU, 0, 2),
    ("围棋", Category.CLUB, 2, 6, 30, "图书馆", _FRIDAY, 0, 3),
    ("象棋", Category.CLUB, 3, 9, 30, "报告厅", _MON_WED, 0, 3),
    ("课本剧", Category.ARTS, 3, 6, 40, "报告厅", _TUE_THU, 0, 2),
    ("趣味数学", Category.SCIENCE, 3, 6, 40, "报告厅", _FRIDAY, 0, 2),
    ("种植", Category.LABOUR, 1, 6, 30, "劳动实践基地", _MON_WED, 0, 3),
    (
        "初中数学拓展",
        Category.SUBJECT_EXTENSION,
        7,
        9,
        45,
        f"{class_name(7, 2)}教室",
        _MON_WED,
        0,
        0,
    ),
    (
        "初中英语拓展",
        Category.SUBJECT_EXTENSION,
        7,
        9,
        45,
        f"{class_name(7, 2)}教室",
        _TUE_THU,
        0,
        0,
    ),
    ("九年级晚自习", Category.EVENING_STUDY, 9, 9, 50, f"{class_name(9, 2)}教室", _EVENING, 0, 0),
]

# Shares of the applications in each state (the rest: signed the agreement).
STATE_SHARES = [
    (Application.Status.SUBMITTED, 0.05),
    (Application.Status.CLASS_REVIEWED, 0.05),
    (Application.Status.APPROVED, 0.08),
    (Application.Status.RETURNED, 0.03),
    (Application.Status.DECLINED, 0.02),
]
RETURN_REASONS = ["请补充接送人联系方式。", "备注中的离校时间请与家长再确认。"]
DECLINE_REASONS = ["学生已办理转学手续，本学期不再参加。", "家长来电撤回申请。"]
NOTES = ["", "", "", "父母下班晚，无人接送。", "希望参加作业辅导。", "孩子对机器人很感兴趣。"]

AGREEMENT = (
    "北票市实验学校课后服务协议（2026-2027学年第一学期）\n"
    "一、课后服务坚持学生自愿、家长申请、班级审核、学校统一实施的原则。\n"
    "二、安全：学生在校期间由课后服务教师负责看护，按时点名；学生不得擅自离开活动场地。\n"
    "三、紧急情况：学生身体不适或发生意外时，学校立即处置并通知家长，必要时拨打120。\n"
    "四、提前离校：家长需提前离校接孩子的，应向班主任说明并在门卫处签字接领。\n"
    "五、收费：公益性项目不收费；有材料费的项目按规定标准收取，困难家庭学生免收。\n"
    "六、监督：监督电话 0421-5822345，监督邮箱 kehoufuwu@bpsyxx.edu.cn。"
)


def _term(school: School, today: date) -> Term:
    terms = list(Term.objects.filter(school=school).order_by("start"))
    for t in terms:
        if t.start <= today <= t.end:
            return t
    return terms[0]


def load_afterschool_demo(
    *, seed: int = 2021, today: date | None = None, stdout: TextIO | None = None
) -> dict:
    """Create the after-school demo for BP001 in one transaction; returns counts."""
    today = today or timezone.localdate()
    with transaction.atomic():
        school = School.objects.get(code=SCHOOL_1)
        return _Builder(random.Random(seed), school, _term(school, today), stdout).build()


class _Builder:
    def __init__(self, rng: random.Random, school: School, term: Term, stdout) -> None:
        self.rng, self.school, self.term, self.stdout = rng, school, term, stdout
        self.principal = self._user_with(Role.PRINCIPAL)
        self.proposer = self._user_with(Role.AFTERSCHOOL)
        self.manager = access_school(self.principal, school.id)
        self.staff_acc = access_school(self.proposer, school.id)

    def _user_with(self, role: str) -> User:
        row = (
            StaffRole.objects.filter(staff__school=self.school, staff__active=True, role=role)
            .select_related("staff__user")
            .order_by("staff_id")
            .first()
        )
        return row.staff.user

    def outside_staff(self) -> int:
        """Three admitted outside teachers beside the lead teachers, and one still waiting."""
        until = timezone.localdate() + timedelta(days=365)
        people = [
            (
                "王淑芬",
                OutsideStaff.Kind.HERITAGE_BEARER,
                "13904210001",
                "朝阳剪纸市级非遗传承人，从事剪纸教学20年",
                "剪纸",
            ),
            (
                "李国强",
                OutsideStaff.Kind.COACH,
                "13904210002",
                "国家二级武术裁判，区业余体校教练",
                "武术",
            ),
            (
                "赵文华",
                OutsideStaff.Kind.RETIRED_TEACHER,
                "13904210003",
                "退休小学语文高级教师，书法协会会员",
                "书法",
            ),
        ]
        for name, kind, mobile, qualification, programme in people:
            person = services.register_outside_staff(
                acc=self.staff_acc,
                name=name,
                kind=kind,
                mobile=mobile,
                qualification=qualification,
                valid_until=until,
                background_check_confirmed=True,
            )
            services.approve_outside_staff(acc=self.manager, person=person)
            Programme.objects.filter(
                school=self.school, term=self.term, name__contains=programme
            ).update(outside_staff=person)
        services.register_outside_staff(
            acc=self.staff_acc,
            name="孙丽",
            kind=OutsideStaff.Kind.PARENT_VOLUNTEER,
            mobile="13904210004",
            qualification="学生家长，市图书馆阅读推广志愿者",
            valid_until=until,
        )
        return len(people) + 1

    def build(self) -> dict:
        services.save_settings(acc=self.manager, hotline=HOTLINE, mailbox=MAILBOX)
        programmes, popularity = self.programmes()
        outside = self.outside_staff()
        agreement = services.publish_agreement(acc=self.manager, term=self.term, text=AGREEMENT)
        apps = self.applications(agreement)
        prefs = self.preferences(apps, programmes, popularity)
        run = services.run_allocation(
            school=self.school, term=self.term, seed=ALLOCATION_SEED, actor=self.proposer
        )
        services.publish_allocation(run=run, actor=self.principal)
        allocated = Enrolment.objects.filter(
            programme__term=self.term, status=Enrolment.Status.ALLOCATED
        ).count()
        counts = {
            "term": self.term.name,
            "programmes": len(programmes),
            "outside_staff": outside,
            "applications": len(apps),
            "preferences": prefs,
            "allocation_run": run.seed,
            "allocated": allocated,
        }
        if self.stdout is not None:
            self.stdout.write(
                f"课后服务演示数据（{self.school.name}，{self.term.name}）：项目 {len(programmes)} 个，"
                f"校外人员 {outside} 人，申请 {len(apps)} 份，志愿 {prefs} 份，"
                f"已分配名额 {allocated} 个（方案“{run.seed}”，已公布）\n"
            )
        return counts

    # -- Programmes -------------------------------------------------------------------------

    def programmes(self) -> tuple[list[Programme], dict[int, int]]:
        existing = set(Venue.objects.filter(school=self.school).values_list("name", flat=True))
        Venue.objects.bulk_create(
            Venue(school=self.school, name=name, kind=kind, capacity=capacity)
            for name, kind, capacity in EXTRA_VENUES
            if name not in existing
        )
        venues = {v.name: v for v in Venue.objects.filter(school=self.school)}
        specs = [
            (
                f"作业辅导（{class_name(g, 1)[:3]}）",
                Category.HOMEWORK,
                g,
                g,
                45,
                f"{class_name(g, 1)}教室",
                _WEEK,
                0,
                0,
            )
            for g in range(3, 10)
        ] + ACTIVITIES
        # One lead per programme: the after-school staff first, then teachers drawn at random,
        # so that no lead ever holds two programmes at the same time.
        after = list(
            Staff.objects.filter(
                school=self.school, active=True, roles__role=Role.AFTERSCHOOL
            ).order_by("id")
        )
        teachers = list(
            Staff.objects.filter(
                school=self.school,
                active=True,
                roles__role__in=[Role.HEAD_TEACHER, Role.SUBJECT_TEACHER],
            )
            .exclude(id__in=[s.id for s in after])
            .distinct()
            .order_by("id")
        )
        leads = after + self.rng.sample(teachers, len(specs) - len(after))
        made, popularity = [], {}
        for spec, lead in zip(specs, leads, strict=True):
            name, category, g_from, g_to, capacity, venue, slots, fee, pop = spec
            p = services.create_programme(
                acc=self.staff_acc,
                term=self.term,
                name=name,
                category=category,
                grade_from=g_from,
                grade_to=g_to,
                capacity=capacity,
                venue=venues[venue],
                lead=lead,
                fee=Decimal(fee),
                slots=[SlotIn(d, s, e) for d, s, e in slots],
            )
            made.append(services.approve_programme(acc=self.manager, programme=p))
            popularity[p.id] = pop
        return made, popularity

    # -- Applications -----------------------------------------------------------------------

    def _guardians(self, pupils: list[Student]) -> dict[int, User]:
        """A parent account per applicant: the demo's own parents where they exist, otherwise an
        account (no usable password; the parent activates it with a code) for the guardian."""
        have: dict[int, User] = {}
        for g in (
            Guardianship.objects.filter(student__in=pupils)
            .select_related("user")
            .order_by("student_id", "id")
        ):
            have.setdefault(g.student_id, g.user)
        missing = [p for p in pupils if p.id not in have]
        users = []
        for p in missing:
            u = User(username=f"jz{p.student_no}", display_name=p.guardian_name or "家长")
            u.set_unusable_password()
            users.append(u)
        User.objects.bulk_create(users)
        made = {
            u.username: u for u in User.objects.filter(username__in=[u.username for u in users])
        }
        Guardianship.objects.bulk_create(
            Guardianship(user=made[f"jz{p.student_no}"], student=p, relation="监护人")
            for p in missing
        )
        for p in missing:
            have[p.id] = made[f"jz{p.student_no}"]
        return have

    def applications(self, agreement: ServiceAgreement) -> list[Application]:
        pupils = list(
            Student.objects.filter(
                school=self.school, active=True, school_class__grade__lte=6
            ).order_by("school_class__grade", "school_class__number", "student_no")
        )
        pupils = sorted(
            self.rng.sample(pupils, round(len(pupils) * APPLY_SHARE)), key=lambda p: p.id
        )
        parents = self._guardians(pupils)
        heads = {
            r.school_class_id: r.staff.user
            for r in StaffRole.objects.filter(
                staff__school=self.school, role=Role.HEAD_TEACHER
            ).select_related("staff__user")
        }
        S = Application.Status
        rows, steps = [], []
        for p in pupils:
            draw, state = self.rng.random(), S.AGREEMENT_SIGNED
            for s, share in STATE_SHARES:
                if draw < share:
                    state = s
                    break
                draw -= share
            reason = ""
            if state == S.RETURNED:
                reason = self.rng.choice(RETURN_REASONS)
            elif state == S.DECLINED:
                reason = self.rng.choice(DECLINE_REASONS)
            rows.append(
                Application(
                    student=p,
                    term=self.term,
                    wants_homework_tutoring=p.school_class.grade >= 3 and self.rng.random() < 0.6,
                    note=self.rng.choice(NOTES),
                    status=state,
                    reason=reason,
                    applied_by=parents[p.id],
                )
            )
            parent, head = parents[p.id], heads.get(p.school_class_id)
            path = [(S.SUBMITTED, parent, "")]
            if state == S.RETURNED:
                path.append((S.RETURNED, head, reason))
            elif state != S.SUBMITTED:
                path.append((S.CLASS_REVIEWED, head, ""))
                if state == S.DECLINED:
                    path.append((S.DECLINED, self.principal, reason))
                elif state != S.CLASS_REVIEWED:
                    path.append((S.APPROVED, self.principal, ""))
                    if state == S.AGREEMENT_SIGNED:
                        path.append((S.AGREEMENT_SIGNED, parent, ""))
            steps.append(path)
        Application.objects.bulk_create(rows)
        apps = list(
            Application.objects.filter(term=self.term, student__school=self.school)
            .select_related("student__school_class")
            .order_by("student_id")
        )
        by_student = {a.student_id: a for a in apps}
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(
                application=by_student[row.student_id], status=st, reason=why, actor=actor
            )
            for row, path in zip(rows, steps, strict=True)
            for st, actor, why in path
        )
        AgreementSignature.objects.bulk_create(
            AgreementSignature(application=a, agreement=agreement, signer=parents[a.student_id])
            for a in apps
            if a.status == S.AGREEMENT_SIGNED
        )
        return apps

    # -- Preferences ------------------------------------------------------------------------

    def preferences(
        self, apps: list[Application], programmes: list[Programme], popularity: dict[int, int]
    ) -> int:
        """Three ranked choices for every applicant still in the process, drawn by popularity
        among the activities offered to the pupil's grade."""
        offered = [p for p in programmes if popularity.get(p.id, 0) > 0]
        S = Application.Status
        rows = []
        for a in apps:
            if a.status in (S.RETURNED, S.DECLINED):
                continue
            grade = a.student.school_class.grade
            pool = [p for p in offered if grade in p.grades]
            picked: list[int] = []
            while len(picked) < min(CHOICES, len(pool)):
                left = [p for p in pool if p.id not in picked]
                (choice,) = self.rng.choices(left, weights=[popularity[p.id] for p in left])
                picked.append(choice.id)
            rows.append(
                Preference(
                    student=a.student, term=self.term, choices=picked, submitted_by=a.applied_by
                )
            )
        Preference.objects.bulk_create(rows)
        return len(rows)
