"""The demo's direct reports, bulletins and cases (SV-01, SV-02, SV-06).

`load_reporting_demo()` runs after the indicators demo (the roll-ups must exist): the demo county
reports every two weeks from the first Monday of the term; each ended period's reports are frozen
and submitted through the services — some late, one returned, the latest one of 第二小学 missing
— the older ones accepted; the last two periods get a bulletin each (the second shows changes);
two good-practice cases are published and one awaits selection.  Submission times are then set
back to plausible days in the past, since the services stamp "now".
"""

import random
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shuangjian.org.access import access_region, access_school
from shuangjian.org.demo import SCHOOL_1, SCHOOL_2
from shuangjian.org.models import RegionRole, Role, School, Term

from . import selectors, services
from .models import ReportEvent, SchoolReport

CASES = [
    (
        "分层布置作业，书面作业60分钟内完成",
        "语文、数学按基础、提高、拓展三层设计作业，学生自选，年级组每周统筹总量。",
        "学校成立作业设计教研组，每周一由年级组长汇总各学科作业时长，超过60分钟的由班主任协调删减。"
        "作业公示栏每日更新，家长可在手机上查看。实施一个月后，按时完成书面作业的学生比例明显提高。",
        True,
    ),
    (
        "“5+2”课后服务与社团活动结合",
        "每周五天、每天两小时课后服务，第二时段开设体育、艺术、科普社团。",
        "课后服务第一时段指导学生完成书面作业，第二时段开设篮球、合唱、剪纸、科技制作等12个社团，"
        "学生自愿报名，教师弹性上下班。家长满意度调查中课后服务一项满意率超过九成。",
        True,
    ),
    (
        "家校共育：每月一次专题家长会",
        "围绕“双减”政策开展专题家长会，引导家长理性确立孩子成长目标。",
        "每月第一周举办专题家长会，由校长解读政策，班主任介绍作业与课后服务安排，家长代表交流经验。",
        False,
    ),
]


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _backdate(report: SchoolReport, when: datetime) -> None:
    """Move the latest submission of a report to `when` (the demo's past), lateness included."""
    SchoolReport.objects.filter(id=report.id).update(
        submitted_at=when, late=timezone.localdate(when) > report.due
    )
    event = report.events.filter(action=ReportEvent.Action.SUBMITTED).last()
    ReportEvent.objects.filter(id=event.id).update(at=when)


def load_reporting_demo(*, seed: int, stdout: TextIO | None = None) -> dict:
    today = timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        s1, s2 = School.objects.get(code=SCHOOL_1), School.objects.get(code=SCHOOL_2)
        county = s1.county
        term = Term.objects.filter(school=s1, start__lte=today).order_by("-start").first()
        officer = RegionRole.objects.filter(region=county, kind=RegionRole.Kind.OFFICER).first()
        role, _region = access_region(officer.user, county.id)
        services.set_schedule(
            role=role,
            region=county,
            first_day=_monday_on_or_after(term.start if term else today),
            period_days=14,
            due_days=3,
        )
        periods = selectors.recent_periods(county, today)  # latest first
        counts = {"reports": 0, "late": 0, "returned": 0, "missing": 0, "bulletins": 0}
        for n, period in enumerate(reversed(periods)):
            latest = n == len(periods) - 1
            for school in (s1, s2):
                if latest and school == s2:
                    counts["missing"] += 1
                    continue
                acc = access_school(_principal(school).user, school.id)
                report = services.freeze_report(acc=acc, period_start=period.start)
                services.submit_report(acc=acc, report=report, comment="本期数据已核对。")
                late = school == s2 and n % 2 == 1
                day = period.due + timedelta(days=2) if late else period.end + timedelta(days=1)
                _backdate(report, _at(min(day, today), rng.randrange(9, 17)))
                counts["reports"] += 1
                bureau = access_school(officer.user, school.id)
                if n == len(periods) - 2 and school == s2:
                    services.return_report(
                        acc=bureau,
                        report=report,
                        reason="课后服务参与率分母与学籍人数不符，请核对后重报。",
                    )
                    counts["returned"] += 1
                elif not latest:
                    services.accept_report(acc=bureau, report=report)
        counts["late"] = SchoolReport.objects.filter(school__county=county, late=True).count()
        main = selectors.main_indicators()
        for period in reversed(periods[:2]):
            services.issue_bulletin(
                role=role, region=county, period_start=period.start, indicator_ids=main
            )
            counts["bulletins"] += 1
        for (title, summary, body, publish), school in zip(CASES, (s1, s2, s1), strict=True):
            acc = access_school(_principal(school).user, school.id)
            case = services.submit_case(acc=acc, title=title, summary=summary, body=body)
            if publish:
                services.decide_case(
                    acc=access_school(officer.user, school.id), case=case, publish=True
                )
    if stdout is not None:
        stdout.write(
            f"直报与通报：{counts['reports']} 份报告（迟报 {counts['late']}，退回 "
            f"{counts['returned']}，未报 {counts['missing']}），{counts['bulletins']} 期通报，"
            "典型案例 3 个（已发布 2）\n"
        )
    return counts


def _principal(school: School):
    return school.staff.filter(roles__role=Role.PRINCIPAL, active=True).select_related("user")[0]


def delete_reporting_demo(region_codes) -> None:
    """The demo regions' schedules and bulletins (their officers are about to be deleted)."""
    from .models import Bulletin, ReportingSchedule

    ReportingSchedule.objects.filter(region__code__in=region_codes).delete()
    Bulletin.objects.filter(region__code__in=region_codes).delete()
