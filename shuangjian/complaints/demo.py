"""Complaints and the exposure board for the demo county 北票市 (SV-03, SV-04), on `org.demo`.

`load_complaints_demo()` files thirteen complaints about the two demo schools (BP001, BP002)
and walks each through the real services to a different point of the lifecycle, dated back from
`today` in working days: new ones, assigned, at the school for verification (one waiting for
the complainant's answer), awaiting the finding, being rectified (one under special supervision
by the city, one with the school's report in), closed (not substantiated; substantiated and on
the exposure board; partly substantiated, closed late and on the board), one overdue since
yesterday and one that was overdue earlier and has been escalated to the city.

Every random choice comes from one `random.Random(seed)` and every timestamp is derived from
`today`, so the same seed and `today` give the same rows.  The tracking codes are drawn from the
same stream and returned (they are stored only hashed), so a demo can show the public tracking
page.  Texts are Chinese demo content and are not translated (like `org.demo`).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shuangjian.org.demo import SCHOOL_1, SCHOOL_2
from shuangjian.org.models import Region, RegionRole, School, User

from . import services, tracking
from .models import Complaint, ExposureCase

COUNTY_CODE = "211381"
LIMIT = 15  # the default handling limit; the demo sets no stricter one


class ComplaintsDemoExists(Exception):
    pass


@dataclass
class ComplaintsDemo:
    counts: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # story label → tracking code


@dataclass(frozen=True)
class _Case:
    key: str
    school: str  # school code
    category: str
    description: str
    facts: str  # what the bureau shows the school
    name: str = ""
    contact: str = ""


CASES = [
    _Case(
        "new_anonymous",
        SCHOOL_1,
        "homework_overload",
        "我是三年级(2)班一名学生的家长。这两周孩子每天晚上写数学和语文作业要到九点半以后，"
        "数学练习册每天布置三到四页，孩子经常写到哭。希望学校按规定控制作业总量。",
        "三年级(2)班近两周数学、语文书面作业量较大，数学练习册每天布置三到四页，"
        "学生晚上完成作业时间超过一小时。",
    ),
    _Case(
        "new_real_name",
        SCHOOL_2,
        "paid_tutoring",
        "五年级一位数学老师周末在自家楼下的房子里给本班学生补课，每人每次收费一百元，"
        "说不去的话上课就跟不上。我家孩子也被叫去了。",
        "有反映称，五年级一名数学教师周末在校外场所为本班学生有偿补课，每人每次收费约一百元。",
        name="孙丽娟",
        contact="13904215678",
    ),
    _Case(
        "assigned",
        SCHOOL_1,
        "exam_ranking",
        "期中考试后，七年级(1)班班主任把全班成绩按名次发到了家长群里，"
        "还标出了后十名。孩子压力很大。",
        "七年级(1)班期中考试后，班主任在家长群发布全班成绩名次，并标注后十名。",
    ),
    _Case(
        "verifying",
        SCHOOL_1,
        "parent_homework",
        "四年级(1)班语文老师每天要求家长在群里打卡，签字检查作业并批改口算，没打卡的要在群里点名。",
        "四年级(1)班语文教师要求家长每天在群里打卡、签字检查作业并批改口算。",
    ),
    _Case(
        "paused",
        SCHOOL_2,
        "afterschool_fees",
        "学校课后服务说是自愿，但班主任说不报名的孩子四点前必须接走，"
        "另外还收了一笔资料费，没有收据。",
        "有反映称，学校课后服务要求未报名学生四点前离校，并另收资料费且未开具收据。",
    ),
    _Case(
        "finding",
        SCHOOL_1,
        "homework_overload",
        "八年级(1)班每天的作业至少要写两个半小时，周末还有大量试卷。孩子经常十一点以后才睡。",
        "八年级(1)班日常书面作业量大，周末布置多套试卷，学生完成时间较长。",
        contact="parent.bp@example.com",
    ),
    _Case(
        "closed_not_substantiated",
        SCHOOL_1,
        "phone_sleep",
        "听说学校规定学生必须带手机到校用来扫码签到，这不是违反手机管理规定吗？",
        "有反映称，学校要求学生带手机到校扫码签到。",
    ),
    _Case(
        "supervised",
        SCHOOL_1,
        "afterschool_fees",
        "学校要求全体学生必须参加课后服务，不参加要写说明，还要家长到校面谈。"
        "课后服务每月收费二百元，比县里规定的标准高。",
        "学校要求全体学生参加课后服务，未参加需书面说明并家长面谈；课后服务收费高于县定标准。",
        name="关志强",
        contact="13841219876",
    ),
    _Case(
        "rectification_reported",
        SCHOOL_2,
        "parent_homework",
        "二年级老师每天布置书面作业让回家写，还让家长批改后拍照发群里。",
        "二年级教师布置回家完成的书面作业，并要求家长批改后拍照上传班级群。",
    ),
    _Case(
        "exposed_tutoring",
        SCHOOL_1,
        "paid_tutoring",
        "九年级一位物理老师暑假在外面租了房子办补习班，只招本校学生，一个暑假收三千元。",
        "有反映称，九年级一名物理教师暑期在校外租用场所举办补习班，招收本校学生并收费。",
        name="董文华",
        contact="13998761234",
    ),
    _Case(
        "exposed_ranking",
        SCHOOL_2,
        "exam_ranking",
        "六年级期末考试后，学校在校门口的公告栏张贴了年级前五十名的名单和分数。",
        "六年级期末考试后，学校在校门口公告栏张贴年级前五十名名单及分数。",
    ),
    _Case(
        "overdue",
        SCHOOL_2,
        "homework_overload",
        "三年级的作业每天都要写一个半小时以上，还经常布置抄写课文五遍。",
        "三年级每天书面作业完成时间超过一个半小时，并有抄写课文五遍等重复性作业。",
    ),
    _Case(
        "escalated",
        SCHOOL_1,
        "other",
        "学校把周六上午安排成“自愿到校自习”，但老师会在自习时讲新课，不去的学生跟不上。",
        "有反映称，学校周六上午组织“自愿到校自习”，教师在自习时讲授新课。",
    ),
]

EXPOSURE = {
    "exposed_tutoring": (
        "北票市实验学校一教师暑期违规有偿补课",
        "经县教育局核查，北票市实验学校一名在职教师暑期在校外租用场所举办补习班，"
        "招收本校学生并收取费用，违反在职教师不得有偿补课的规定。县教育局责令其退还全部费用，"
        "对该教师给予处分、调离教学岗位并取消本年度评优评先资格，对学校校长进行约谈。",
    ),
    "exposed_ranking": (
        "北票市第二小学公开张贴考试成绩排名",
        "经县教育局核查，北票市第二小学在六年级期末考试后于校门口公告栏张贴年级前五十名名单及分数，"
        "违反考试结果不得排名、不得公布的规定。县教育局责令学校立即撤除并全校通报，"
        "对分管副校长和教导处负责人进行批评教育，学校已完成整改。",
    ),
}


def load_complaints_demo(
    *, seed: int = 2021, today: date | None = None, stdout: TextIO | None = None
) -> ComplaintsDemo:
    """Create the demo complaints in one transaction; return the counts and tracking codes.

    Needs the org demo (`org.demo.load_demo`); refuses when the demo schools have complaints.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        schools = {s.code: s for s in School.objects.filter(code__in=(SCHOOL_1, SCHOOL_2))}
        if Complaint.objects.filter(school__in=schools.values()).exists():
            raise ComplaintsDemoExists(
                "The demo schools have complaints already; reload the demo with load_demo --reset."
            )
        result = _Builder(random.Random(seed), schools, today).build()
    if stdout is not None:
        stdout.write(
            f"举报演示数据：举报 {result.counts['complaints']} 件（逾期 {result.counts['overdue']} 件，"
            f"已上报市局 {result.counts['escalated']} 件），曝光台 {result.counts['exposure']} 条\n"
        )
        for key, code in result.codes.items():
            stdout.write(f"  {key}: {code}\n")
    return result


class _Builder:
    def __init__(self, rng: random.Random, schools: dict[str, School], today: date) -> None:
        self.rng = rng
        self.schools = schools
        self.today = today
        self.officer = User.objects.get(username="jiaoyuju")
        self.city_officer = User.objects.get(username="shi")
        county = Region.objects.get(code=COUNTY_CODE)
        assert RegionRole.objects.filter(user=self.officer, region=county).exists()
        self.principal = {
            SCHOOL_1: User.objects.get(username="principal"),
            SCHOOL_2: User.objects.get(username="outsider"),  # BP002's principal in org.demo
        }

    # Dates -------------------------------------------------------------------------------------
    def wd(self, n: int) -> date:
        """The n-th working day before today (0: today)."""
        return self.before(self.today, n)

    @staticmethod
    def before(d: date, n: int) -> date:
        """A working day from which `n` working days lead to `d`."""
        while n > 0:
            d -= timedelta(days=1)
            if services.is_working_day(d):
                n -= 1
        return d

    def at(self, d: date, hour: int) -> datetime:
        minute = self.rng.randrange(0, 60)
        return timezone.make_aware(datetime.combine(d, time(hour, minute)))

    # Steps -------------------------------------------------------------------------------------
    def file(self, case: _Case, d: date, hour: int = 20) -> Complaint:
        filing = services.file_complaint(
            school=self.schools[case.school],
            category=case.category,
            description=case.description,
            real_name=bool(case.name),
            complainant_name=case.name,
            complainant_contact=case.contact,
            now=self.at(d, hour),
        )
        code = tracking.new_code(self.rng)
        Complaint.objects.filter(id=filing.complaint.id).update(code_hash=tracking.code_hash(code))
        self.codes[case.key] = code
        return filing.complaint

    def to_school(self, c: Complaint, case: _Case, assigned: date, asked: date) -> None:
        services.assign(
            actor=self.officer, complaint=c, owner=self.officer, now=self.at(assigned, 9)
        )
        services.request_verification(
            actor=self.officer,
            complaint=c,
            request="请学校于五个工作日内核实上述情况，书面报告核查经过、事实和处理意见，并附相关材料。",
            description_for_school=case.facts,
            now=self.at(asked, 10),
        )

    def school_says(self, c: Complaint, text: str, d: date) -> None:
        services.submit_school_verification(
            actor=self.principal[c.school.code], complaint=c, report=text, now=self.at(d, 15)
        )

    def build(self) -> ComplaintsDemo:
        self.codes: dict[str, str] = {}
        cases = {c.key: c for c in CASES}
        made: dict[str, Complaint] = {}
        wd = self.wd

        made["new_anonymous"] = self.file(cases["new_anonymous"], wd(1), 21)
        made["new_real_name"] = self.file(cases["new_real_name"], wd(0), 7)

        c = made["assigned"] = self.file(cases["assigned"], wd(3))
        services.assign(actor=self.officer, complaint=c, owner=self.officer, now=self.at(wd(2), 9))

        c = made["verifying"] = self.file(cases["verifying"], wd(6))
        self.to_school(c, cases["verifying"], wd(5), wd(4))

        c = made["paused"] = self.file(cases["paused"], wd(8))
        self.to_school(c, cases["paused"], wd(7), wd(6))
        services.pause_for_complainant(
            actor=self.officer,
            complaint=c,
            question="请问资料费是哪个月收取的、金额多少？是否有缴费记录（如转账截图）可以提供？",
            now=self.at(wd(2), 11),
        )

        c = made["finding"] = self.file(cases["finding"], wd(10))
        services.assign(actor=self.officer, complaint=c, owner=self.officer, now=self.at(wd(9), 9))
        services.pause_for_complainant(
            actor=self.officer,
            complaint=c,
            question="请说明是哪几天、哪些学科的作业量较大，以便核查。",
            now=self.at(wd(9), 15),
        )
        services.reply_as_complainant(
            complaint=c,
            text="主要是上周一到周四，数学和英语，每天各有两张卷子。",
            now=self.at(wd(7), 20),
        )
        services.request_verification(
            actor=self.officer,
            complaint=c,
            request="请学校核查八年级(1)班近两周各学科作业布置记录及作业公示情况，书面报告。",
            description_for_school=cases["finding"].facts,
            now=self.at(wd(6), 10),
        )
        self.school_says(
            c,
            "经查作业公示记录，八年级(1)班上周一至周四数学、英语各布置试卷两张，"
            "日书面作业总量约120分钟，超出90分钟的规定。已要求年级组统筹。",
            wd(3),
        )

        c = made["closed_not_substantiated"] = self.file(cases["closed_not_substantiated"], wd(30))
        self.to_school(c, cases["closed_not_substantiated"], wd(29), wd(28))
        self.school_says(
            c,
            "学校签到使用电子学生证刷卡，不要求学生带手机；经查各班未有要求带手机的情况。",
            wd(25),
        )
        services.record_finding(
            actor=self.officer,
            complaint=c,
            finding="not_substantiated",
            text="督学到校查看签到设备并随机询问学生，签到使用电子学生证，未发现要求带手机到校的情况。",
            now=self.at(wd(22), 14),
        )
        services.close(
            actor=self.officer,
            complaint=c,
            reply="经核查，学校使用电子学生证签到，未要求学生带手机到校，反映情况不属实。感谢您的监督。",
            now=self.at(wd(21), 16),
        )

        for key, filed, steps in (
            ("supervised", 14, (13, 12, 9, 7, 6)),
            ("rectification_reported", 13, (12, 11, 8, 6, 5)),
            ("exposed_tutoring", 45, (44, 43, 40, 37, 36)),
            ("exposed_ranking", 70, (69, 68, 64, 60, 58)),
        ):
            case = cases[key]
            assigned, asked, answered, found, required = steps
            c = made[key] = self.file(case, wd(filed))
            self.to_school(c, case, wd(assigned), wd(asked))
            self.school_says(c, "经学校核查，反映情况基本属实，学校已成立整改小组。", wd(answered))
            services.record_finding(
                actor=self.officer,
                complaint=c,
                finding="partly" if key == "exposed_ranking" else "substantiated",
                text="经督学到校核查，调阅相关记录并访谈教师和学生，反映的主要问题属实。",
                now=self.at(wd(found), 14),
            )
            services.require_rectification(
                actor=self.officer,
                complaint=c,
                requirement="请学校立即纠正，十个工作日内报送整改报告，并在全校教师会上通报。",
                now=self.at(wd(required), 10),
            )
        services.set_special_supervision(
            actor=self.city_officer,
            complaint=made["supervised"],
            on=True,
            note="群众反映强烈，市局挂牌督办，请县局每周报告进展。",
            now=self.at(wd(5), 9),
        )
        for key, reported, closed, published in (
            ("rectification_reported", 2, None, None),
            ("exposed_tutoring", 31, 30, 29),
            ("exposed_ranking", 53, 51, 50),
        ):
            c = made[key]
            services.submit_rectification(
                actor=self.principal[c.school.code],
                complaint=c,
                report="已停止相关做法，对涉事教师批评教育，并在全校教师会上通报整改情况。",
                now=self.at(wd(reported), 16),
            )
            if closed is None:
                continue
            services.close(
                actor=self.officer,
                complaint=c,
                reply="经核查，您反映的问题属实，县教育局已责令学校整改并处理相关人员。感谢您的监督。",
                now=self.at(wd(closed), 15),
            )
            title, summary = EXPOSURE[key]
            services.publish_exposure(
                actor=self.officer,
                complaint=c,
                title=title,
                summary=summary,
                now=self.at(wd(published), 10),
            )

        # One case overdue since yesterday, one overdue before the last escalation run.
        last_run = wd(1)
        c = made["overdue"] = self.file(cases["overdue"], self.before(last_run, LIMIT))
        self.to_school(
            c, cases["overdue"], self.before(last_run, LIMIT - 1), self.before(last_run, LIMIT - 2)
        )
        c = made["escalated"] = self.file(cases["escalated"], self.before(wd(4), LIMIT))
        services.assign(
            actor=self.officer,
            complaint=c,
            owner=self.officer,
            now=self.at(self.before(wd(4), LIMIT - 1), 9),
        )
        services.escalate_overdue(today=last_run, now=self.at(last_run, 23))

        complaints = Complaint.objects.filter(id__in=[c.id for c in made.values()])
        return ComplaintsDemo(
            counts={
                "complaints": complaints.count(),
                "overdue": sum(1 for c in complaints if c.is_overdue(self.today)),
                "escalated": complaints.filter(escalated_to__isnull=False).count(),
                "supervised": complaints.filter(special_supervision=True).count(),
                "exposure": ExposureCase.objects.filter(complaint__in=complaints).count(),
            },
            codes=self.codes,
        )
