"""A completed parent survey for the demo county (SV-05), on top of `org.demo`.

`load_surveys_demo()` has the 北票市 bureau (officer `jiaoyuju`) run the standard national
questionnaire over 北票市实验学校 (BP001) in November 2026: a code for every pupil, about 70%
of families answering over two weeks, then closed.  The answers tell the national story
(about 97% satisfied, 99% "no homework for parents", after-school service and anxiety less
rosy), and one class answered so little (九年级(3)班) that its results — and, to protect it,
a neighbour's — are held back.

Every random choice comes from one `random.Random(seed)`, so the same seed gives the same
responses.  The answers are written in bulk, as the answer page would write them one by one.  Texts
are Chinese demo content and are not translated (like `org.demo`).
"""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from shuangjian.org.demo import SCHOOL_1
from shuangjian.org.models import Region, School, SchoolClass, User

from . import services
from .models import Answer, Invitation, Question, Response, Survey

COUNTY = "211381"
OFFICER = "jiaoyuju"
DEMO_TITLE = "2026年秋季学期“双减”工作家长满意度调查（无记名）"
OPENED = date(2026, 11, 9)  # a Monday; answers come in over two weeks
CLOSED = date(2026, 11, 20)
RESPONSE_RATE = 0.70
LOW_CLASS = (9, 3)  # (grade, class number): few families answered; its results are held back
LOW_RATE = 0.15

# Per question (by indicator key), the weights of the choices in the standard order.
WEIGHTS = {
    "homework_for_parents": [99.3, 0.7],  # 没有 / 有
    "afterschool_satisfaction": [55, 30, 5, 2, 8],  # … / 孩子没有参加课后服务
    "burden_eased": [42, 35, 19, 4],
    "anxiety_eased": [33, 39, 23, 5],
    "satisfaction": [63, 34, 2.4, 0.6],
}
WITHIN_TIME = {  # 能 / 有时不能 / 经常不能 / 一、二年级
    "lower": [3, 1, 0.2, 96],  # grades 1–2: no written homework to take home
    "primary": [93, 6, 1, 0],
    "junior": [86, 11, 3, 0],
}
SUGGESTIONS = [
    "希望课后服务多开设一些体育和艺术类的活动。",
    "孩子作业明显少了，回家能早点睡觉，感谢老师们！",
    "建议课后服务结束时间再灵活一些，我们下班比较晚。",
    "希望学校多组织一些亲子阅读和劳动实践活动。",
    "作业少了以后有点担心孩子的成绩，希望老师多反馈孩子在校的学习情况。",
    "个别科目作业时间偏长，建议各科老师之间再协调一下。",
    "课后服务的托管时间很好地解决了我们接孩子难的问题。",
    "希望减少需要用手机完成的作业和打卡。",
    "建议多开展一些科普和兴趣小组活动。",
    "孩子很喜欢课后服务的社团活动，希望继续保持。",
]
SUGGESTION_SHARE = 0.12


def _answers(rng: random.Random, questions: list[Question], grade: int) -> list[Answer]:
    answers = []
    for q in questions:
        choices = list(q.choices.all())
        if q.kind == Question.Kind.TEXT:
            if rng.random() < SUGGESTION_SHARE:
                answers.append(Answer(question=q, text=rng.choice(SUGGESTIONS)))
            continue
        if q.indicator == "homework_within_time":
            stage = "lower" if grade <= 2 else "primary" if grade <= 6 else "junior"
            weights = WITHIN_TIME[stage]
        else:
            weights = WEIGHTS[q.indicator]
        answers.append(Answer(question=q, choice=rng.choices(choices, weights=weights)[0]))
    return answers


def load_surveys_demo(*, seed: int = 2021) -> Survey:
    """The closed demo survey (replacing an earlier one), after `org.demo.load_demo()`."""
    rng = random.Random(seed)
    with transaction.atomic():
        county = Region.objects.get(code=COUNTY)
        officer = User.objects.get(username=OFFICER)
        school = School.objects.get(code=SCHOOL_1)
        Survey.objects.filter(region=county, title=DEMO_TITLE).delete()
        survey = services.create_standard_survey(actor=officer, region=county, title=DEMO_TITLE)
        classes = list(SchoolClass.objects.filter(school=school).order_by("grade", "number"))
        services.invite_parents(survey=survey, classes=classes)
        services.open_survey(survey=survey)
        questions = list(survey.questions.prefetch_related("choices").order_by("position"))
        invited = Counter(
            Invitation.objects.filter(survey=survey).values_list("school_class_id", flat=True)
        )
        # The families' answers, written in bulk as `services.submit_response` would write them
        # one by one (closing the survey then removes every code, used or not).
        responses, answers = [], []
        for klass in classes:
            low = (klass.grade, klass.number) == LOW_CLASS
            rate = LOW_RATE if low else RESPONSE_RATE + rng.uniform(-0.12, 0.12)
            for _family in range(invited[klass.id]):
                if rng.random() >= rate:
                    continue
                day = OPENED + timedelta(days=rng.choice((0, 1, 2, 3, 4, 7, 8, 9, 10, 11)))
                response = Response(
                    survey=survey,
                    school=school,
                    grade=klass.grade,
                    school_class=klass,
                    week=services.week_of(day),
                )
                responses.append(response)
                for answer in _answers(rng, questions, klass.grade):
                    answer.response = response
                    answers.append(answer)
        Response.objects.bulk_create(responses, batch_size=500)
        Answer.objects.bulk_create(answers, batch_size=1000)
        services.close_survey(survey=survey)
        tz = timezone.get_current_timezone()
        Survey.objects.filter(id=survey.id).update(
            created_at=datetime.combine(OPENED - timedelta(days=3), time(9), tz),
            opened_at=datetime.combine(OPENED, time(8), tz),
            closed_at=datetime.combine(CLOSED, time(17), tz),
        )
        survey.refresh_from_db()
        return survey
