"""Letters to parents for the demo school BP001 (SV-07), on top of `org.demo`.

`load_letters_demo()` writes three sent letters of 北票市实验学校, dated relative to `today`:

- 致家长的一封信 on the 双减 policy, to the whole school, receipt asked; its reply-by date has
  passed, about 80% of pupils confirmed, and one reminder went out on the way;
- 课后服务意向征询 to grade 3, a form letter (join the after-school service or not), still open,
  with about two thirds of the answers in;
- 家长会通知 of the head teacher `banzhuren` to 三年级(1)班, sent yesterday.

The demo school has few parent accounts (org.demo links about fifty), so most receipts are
paper slips (回执单) the head teachers recorded; pupils with an account confirmed online.  The
demo family: the father `parent` confirmed the older child's 双减 letter and the mother
`parent2` the younger child's, so `parent` sees "already confirmed by 母亲 …"; the two open
letters of the younger child are still waiting for a reply.

Every random choice comes from one `random.Random(seed)`; nothing depends on the clock except
`today`.  Texts are Chinese demo content and are not translated (like `org.demo`).
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shuangjian.notify.models import Notification
from shuangjian.org.demo import SCHOOL_1
from shuangjian.org.models import Guardianship, Role, School, SchoolClass, StaffRole, Student, User

from .models import Delivery, Letter, Reminder

TZ = ZoneInfo(settings.TIME_ZONE)

POLICY_TITLE = "致家长的一封信：落实“双减”政策，共促孩子健康成长"
POLICY_BODY = """尊敬的各位家长：

您好！为贯彻落实中共中央办公厅、国务院办公厅《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（“双减”），切实减轻学生过重的作业负担和校外培训负担，我校从本学期起全面落实以下措施，恳请您理解、支持和配合。

一、控制作业总量。一、二年级不布置书面家庭作业；三至六年级书面作业平均完成时间不超过60分钟；初中不超过90分钟。作业由班主任统筹，不布置机械、重复、惩罚性作业，不要求家长批改作业。

二、提供课后服务。学校每个工作日提供课后服务，时间一般不早于当地正常下班时间，内容包括作业辅导、阅读、体育、艺术、科普等，家长自愿申请。

三、保证充足睡眠。请督促孩子按时作息：小学生每天睡眠10小时、初中生9小时；小学生就寝时间一般不晚于21:20，初中生不晚于22:00。

四、理性对待校外培训。请不要盲目报班，不参加违规学科类培训；如发现违规培训，可向县教育局举报。

五、加强家校协作。学校将通过家长会、家访和本平台与您保持沟通，倾听您对“双减”工作的意见和建议。

请您阅读后在回执中确认。感谢您的理解与支持！

北票市实验学校"""

SERVICE_TITLE = "三年级课后服务意向征询"
SERVICE_BODY = """各位家长：

根据“双减”工作要求，学校本学期继续开展课后服务。服务时间为每周一至周五下午放学后至17:30，内容为作业辅导、阅读和体育艺术活动，由本校教师和经审核的校外专业人员承担，按规定收取服务费用，家庭经济困难学生免收。

家长自愿报名。请根据家庭实际情况，在回执中选择是否参加。

北票市实验学校教导处"""
SERVICE_QUESTION = "您是否同意孩子参加本学期学校课后服务？"
SERVICE_OPTIONS = ["参加学校课后服务", "暂不参加"]

MEETING_TITLE = "三年级(1)班家长会通知"
MEETING_BODY = """各位家长：

本班定于本周五下午16:00在三年级(1)班教室召开家长会，介绍本学期“双减”工作安排、作业管理和课后服务情况，并听取家长的意见和建议。

请至少一位家长准时参加，不要带孩子同来。如确实不能参加，请提前与班主任联系。

三年级(1)班班主任"""


@dataclass(frozen=True)
class _Plan:
    title: str
    body: str
    kind: str
    audience: str
    author: str  # username
    sent_days_ago: int
    sent_at: time
    reply_days: int  # reply-by date = sent date + this
    share: float  # of pupils confirmed by `today`
    question: str = ""
    options: tuple[str, ...] = ()
    yes_share: float = 0.0  # of answers choosing the first option
    grade: int | None = None
    klass: tuple[int, int] | None = None
    remind_after_days: int | None = None


PLANS = [
    _Plan(
        POLICY_TITLE,
        POLICY_BODY,
        Letter.Kind.RECEIPT,
        Letter.Audience.SCHOOL,
        "principal",
        sent_days_ago=12,
        sent_at=time(17, 0),
        reply_days=6,
        share=0.8,
        remind_after_days=3,
    ),
    _Plan(
        SERVICE_TITLE,
        SERVICE_BODY,
        Letter.Kind.FORM,
        Letter.Audience.GRADES,
        "principal",
        sent_days_ago=3,
        sent_at=time(16, 30),
        reply_days=7,
        share=0.65,
        question=SERVICE_QUESTION,
        options=tuple(SERVICE_OPTIONS),
        yes_share=0.88,
        grade=3,
    ),
    _Plan(
        MEETING_TITLE,
        MEETING_BODY,
        Letter.Kind.RECEIPT,
        Letter.Audience.CLASSES,
        "banzhuren",
        sent_days_ago=1,
        sent_at=time(12, 10),
        reply_days=4,
        share=0.45,
        klass=(3, 1),
    ),
]


class LettersDemoExists(ValueError):
    """The demo school has letters already."""


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=TZ)


def load_letters_demo(
    *, seed: int = 2021, today: date | None = None, stdout: TextIO | None = None
) -> dict[str, int]:
    """Create the demo letters of BP001 in one transaction; return the row counts.

    Needs the org demo (`org.demo.load_demo`); refuses when the school has letters already.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        school = School.objects.get(code=SCHOOL_1)
        if Letter.objects.filter(school=school).exists():
            raise LettersDemoExists(
                f"School {SCHOOL_1} has letters already; reload the demo with load_demo --reset."
            )
        counts = _Builder(random.Random(seed), school, today).build()
    if stdout is not None:
        stdout.write(
            f"致家长的一封信演示数据（{school.name}）：信 {counts['letters']} 封，"
            f"送达 {counts['deliveries']} 人次，回执 {counts['confirmed']} 份\n"
        )
    return counts


class _Builder:
    def __init__(self, rng: random.Random, school: School, today: date) -> None:
        self.rng = rng
        self.school = school
        self.today = today
        self.users = {
            u.username: u for u in User.objects.filter(username__in=["principal", "banzhuren"])
        }
        self.head_teachers = dict(
            StaffRole.objects.filter(
                staff__school=school, role=Role.HEAD_TEACHER, staff__active=True
            ).values_list("school_class_id", "staff__user_id")
        )
        self.guardians: dict[int, list[Guardianship]] = defaultdict(list)
        for g in Guardianship.objects.filter(student__school=school, user__is_active=True).order_by(
            "id"
        ):
            self.guardians[g.student_id].append(g)
        family = Guardianship.objects.filter(
            student__school=school, user__username__in=["parent", "parent2"]
        )
        by_pupil: dict[int, dict[str, Guardianship]] = defaultdict(dict)
        for g in family.select_related("user"):
            by_pupil[g.student_id][g.user.username] = g
        self.younger = next((s for s, gs in by_pupil.items() if len(gs) == 2), None)
        self.older = next((s for s, gs in by_pupil.items() if len(gs) == 1), None)
        self.family = by_pupil

    def pupils(self, plan: _Plan) -> list[tuple[int, int]]:
        qs = Student.objects.filter(school=self.school, active=True)
        if plan.grade is not None:
            qs = qs.filter(school_class__grade=plan.grade)
        if plan.klass is not None:
            qs = qs.filter(school_class__grade=plan.klass[0], school_class__number=plan.klass[1])
        return list(
            qs.order_by("school_class__grade", "school_class__number", "student_no").values_list(
                "id", "school_class_id"
            )
        )

    def build(self) -> dict[str, int]:
        counts = defaultdict(int)
        for plan in PLANS:
            self.letter(plan, counts)
        return dict(counts)

    def letter(self, plan: _Plan, counts: dict) -> None:
        rng = self.rng
        sent_day = self.today - timedelta(days=plan.sent_days_ago)
        sent_at = _at(sent_day, plan.sent_at)
        reply_by = sent_day + timedelta(days=plan.reply_days)
        author = self.users[plan.author]
        letter = Letter.objects.create(
            school=self.school,
            author=author,
            title=plan.title,
            body=plan.body,
            kind=plan.kind,
            question=plan.question,
            answer_kind=Letter.AnswerKind.CHOICE if plan.options else "",
            options=list(plan.options),
            audience=plan.audience,
            grades=[plan.grade] if plan.grade else [],
            reply_by=reply_by,
            state=Letter.State.SENT,
            sent_at=sent_at,
            sent_by=author,
        )
        Letter.objects.filter(id=letter.id).update(created_at=sent_at - timedelta(hours=2))
        if plan.klass is not None:
            letter.classes.set(
                SchoolClass.objects.filter(
                    school=self.school, grade=plan.klass[0], number=plan.klass[1]
                )
            )
        # Receipts come in until the reply-by date, and only up to this morning.
        last = min(_at(reply_by, time(21, 0)), _at(self.today, time(7, 30)))
        span = max((last - sent_at).total_seconds(), 60.0)
        rows = []
        for sid, cid in self.pupils(plan):
            d = Delivery(letter=letter, student_id=sid, school_class_id=cid)
            forced = self.family_receipt(plan, sid)
            confirm = forced is not None if sid in (self.younger, self.older) else None
            if confirm is None:
                confirm = rng.random() < plan.share
            if confirm:
                at = sent_at + timedelta(seconds=rng.random() * span)
                link = forced or (self.guardians[sid][0] if self.guardians[sid] else None)
                d.confirmed_at = at
                if link is not None:
                    d.confirmed_by_id, d.relation = link.user_id, link.relation
                    d.channel = Delivery.Channel.ONLINE
                else:  # a paper slip, entered by the head teacher
                    d.confirmed_by_id = self.head_teachers.get(cid, author.id)
                    d.channel = Delivery.Channel.PAPER
                if plan.options:
                    first = rng.random() < plan.yes_share
                    d.answer = plan.options[0] if first else plan.options[1]
                    d.answered_at = at
            rows.append(d)
        Delivery.objects.bulk_create(rows, batch_size=1000)
        counts["letters"] += 1
        counts["deliveries"] += len(rows)
        counts["confirmed"] += sum(1 for d in rows if d.confirmed_at)
        self.notify(letter, plan, rows, counts)

    def family_receipt(self, plan: _Plan, sid: int) -> Guardianship | None:
        """The demo family: on the 双减 letter the father confirmed the older child, the mother
        the younger; the open letters still wait for them."""
        if plan.title != POLICY_TITLE:
            return None
        if sid == self.older:
            return self.family[sid].get("parent")
        if sid == self.younger:
            return self.family[sid].get("parent2")
        return None

    def notify(self, letter: Letter, plan: _Plan, rows: list[Delivery], counts: dict) -> None:
        with translation.override("zh-hans"):
            title = _("Letter from %(school)s: %(title)s") % {
                "school": self.school.name,
                "title": letter.title,
            }
            body = _("Please read it and reply by %(date)s.") % {
                "date": letter.reply_by.isoformat()
            }
        parents = sorted({g.user_id for d in rows for g in self.guardians[d.student_id]})
        made = Notification.objects.bulk_create(
            Notification(
                user_id=u,
                kind="letter",
                title=title[:200],
                body=body,
                url=reverse("parent_letters"),
            )
            for u in parents
        )
        Notification.objects.filter(id__in=[n.id for n in made]).update(created_at=letter.sent_at)
        counts["notifications"] += len(made)
        if plan.remind_after_days is None:
            return
        at = _at(
            letter.sent_at.astimezone(TZ).date() + timedelta(days=plan.remind_after_days),
            time(8, 0),
        )
        if at.date() > self.today:
            return
        waiting = [d for d in rows if d.confirmed_at is None or d.confirmed_at > at]
        accounts = sorted({g.user_id for d in waiting for g in self.guardians[d.student_id]})
        Reminder.objects.create(
            letter=letter,
            sent_by=letter.sent_by,
            at=at,
            day=at.date(),
            pupils=len(waiting),
            parents=len(accounts),
        )
        counts["reminders"] += 1
