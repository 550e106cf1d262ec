"""A term of homework for the demo school BP001 (HW-01 … HW-08), on top of `org.demo`.

`load_homework_demo()` fills the first term of 2026-2027 up to `today` for 北票市实验学校:
the daily items of every class (set by the class's own subject teachers, within the limit),
parents' completion reports, grading records, the school's rules on file, a few weekly audits
and the over-the-limit alerts the reports give rise to.  The patterns are the ones a homework
office sees: most classes within the limit, two chronic classes (五年级(2)班, 八年级(1)班) whose
published totals sit at the limit while parents report 20–40% more time, and some drift
between teachers' estimates and the time pupils really take.

Every random choice comes from one `random.Random(seed)`; nothing depends on the clock except
`today`, so the same seed, demo and `today` give the same rows.  Texts are Chinese demo content
and are not translated (like `org.demo`).
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shuangjian.org.demo import SCHOOL_1, SCHOOL_2, class_name
from shuangjian.org.models import (
    CareFlag,
    Guardianship,
    Role,
    School,
    SchoolClass,
    StaffRole,
    Student,
    StudentCareFlag,
    Subject,
    Term,
    User,
)
from shuangjian.rules import homework as rules

from . import selectors
from .models import (
    Alert,
    ClassWeekAudit,
    Feedback,
    FeedbackItem,
    Grading,
    Homework,
    HomeworkEvent,
    HomeworkPolicy,
    HomeworkTarget,
    HomeworkTier,
    RulesDocument,
)

DEMO_SCHOOLS = (SCHOOL_1, SCHOOL_2)
TERM_START = date(2026, 9, 1)
CHRONIC = ((5, 2), (8, 1))  # (grade, class number): published at the limit, reported above it
HELD_CLASS = (3, 1)  # banzhuren's class: two items of shuxue's day wait for her approval
HEAVY_SHARE = 0.65  # share of a chronic class's days published right at the limit
HEAVY_TAIL = 5  # … and its last school days before today are all at the limit
FEEDBACK_SHARE = 0.6  # pupils reporting on an average day
ITEMISED_SHARE = 0.3  # reports with minutes per item
AT_SCHOOL_SHARE = {"primary": 0.7, "junior": 0.5}
GRADED_SHARE = 0.85
FULL_GRADING_SHARE = {"primary": 0.95, "junior": 0.8}
ALERT_KIND = "over_limit_3_days"

Kind = Homework.Kind
Status = Homework.Status

# -- Content ---------------------------------------------------------------------------------

# Templates per stage, subject and kind.  Placeholders are filled from the class's progress
# through the subject (lesson, page, unit …), so the same template gives a different item on
# another day.  None of them may trip the forbidden-practice rules (tests check it).
WRITTEN: dict[str, dict[str, dict[str, list[str]]]] = {
    "primary": {
        "语文": {
            Kind.BASIC: [
                "完成《练习册》第{lesson}课基础练习",
                "完成第{lesson}课课后习题第{a}—{b}题",
                "听写第{lesson}课词语表中的词语，把写错的词语订正在积累本上",
                "预习第{next_lesson}课：圈出生字，标出自然段序号，读通课文",
                "默写第{lesson}课第{para}自然段中的四个好词，并各造一个句子",
            ],
            Kind.EXTENSION: [
                "小练笔：仿照第{lesson}课的写法，写一段描写{topic}的话（150字左右）",
                "阅读《{book}》第{ch}章，摘录3个好词和1个好句",
            ],
        },
        "数学": {
            Kind.BASIC: [
                "课本第{page}页练习{ex} 第{a}—{b}题",
                "完成《同步练习》第{page}页",
                "课本第{page}页“做一做”第{a}题和练习{ex}第{b}题",
                "完成口算练习第{lesson}组（20题）和课本第{page}页第{a}题",
            ],
            Kind.EXTENSION: [
                "思考题：课本第{page}页练习{ex}中带*号的题目",
                "找一找生活中用到今天所学知识的例子，编一道应用题并解答",
            ],
        },
        "英语": {
            Kind.BASIC: [
                "抄写Unit {unit}单词并背诵对话",
                "完成《活动手册》Unit {unit} Lesson {l}",
                "熟读Unit {unit} Part {part}课文，默写四会单词",
                "完成Unit {unit}课时练习第{a}—{b}题",
            ],
            Kind.EXTENSION: ["用Unit {unit}的句型写5句话介绍{topic_en}"],
        },
    },
    "junior": {
        "语文": {
            Kind.BASIC: [
                "完成《课时练》第{lesson}课基础部分",
                "积累第{lesson}课字词，完成课后“读读写写”的注音和释义",
                "文言文《{classical}》：翻译第{a}—{b}句，积累重点实词",
            ],
            Kind.EXTENSION: [
                "阅读《{book_j}》第{ch}章，写200字左右的读书笔记",
                "写一篇600字左右的周记，题目自拟",
            ],
        },
        "数学": {
            Kind.BASIC: [
                "课本第{page}页习题{ch}.{sec} 第{a}、{b}、{c}题",
                "完成《课时练》{ch}.{sec}节基础题",
            ],
            Kind.EXTENSION: ["完成《课时练》{ch}.{sec}节能力提升题第{a}—{b}题"],
        },
        "英语": {
            Kind.BASIC: [
                "背诵Unit {unit} Section {sec_ab} 2a短文，完成课时练习",
                "整理Unit {unit}的重点短语，完成《课时练》Section {sec_ab}",
                "完成《课时练》Unit {unit} Section {sec_ab} 第{a}—{b}题",
            ],
            Kind.EXTENSION: ["以“{topic_en_j}”为题写一篇80词左右的短文"],
        },
        "物理": {
            Kind.BASIC: [
                "课本第{page}页“动手动脑学物理”第{a}—{b}题",
                "完成《课时练》第{ch}章第{sec}节",
            ],
        },
        "化学": {
            Kind.BASIC: [
                "课本第{page}页“练习与应用”第{a}—{b}题",
                "完成《课时练》第{ch}单元课题{sec}",
            ],
        },
        "历史": {
            Kind.BASIC: [
                "完成《填充图册》第{lesson}课",
                "梳理第{lesson}课的知识结构图",
                "完成《课时练》第{lesson}课第{a}—{b}题",
            ],
        },
        "地理": {Kind.BASIC: ["完成《地理填充图册》第{page}页", "在空白地图上标出{geo}"]},
        "生物": {
            Kind.BASIC: ["完成《课时练》第{ch}单元第{sec}章", "课本第{page}页“练习”第{a}—{b}题"],
        },
    },
}
# Practical and reading items, done at home but not written (grades 1–2 have only these).
PRACTICAL: dict[str, list[str]] = {
    "数学": ["在家里找一找{shape}的物品，说给家人听", "和家人玩“凑十”数字游戏"],
    "道德与法治": ["帮家人做一件力所能及的家务，说说自己的感受", "和家人一起整理自己的书包和书桌"],
    "体育": ["跳绳练习：1分钟×3组", "做一做今天学的广播体操"],
    "音乐": ["把今天学的歌曲《{song}》唱给家人听"],
    "美术": ["收集三种不同形状的树叶，下节课做树叶拼贴画"],
    "科学": [
        "观察家中一种植物的叶子，画下它的形状",
        "用温度计测量一天中早、中、晚的气温并记录下来",
        "观察今晚的月亮，画出它的样子",
    ],
    "生物": [
        "观察一种常见植物的根、茎、叶，画出简图",
        "调查家中常吃的五种蔬菜，说说分别吃的是植物的哪个器官",
    ],
    "地理": ["连续三天记录本地的天气和最高、最低气温", "观察今晚的月相，画出月亮的样子"],
}
READING_LOW = ["阅读绘本《{pic_book}》，把故事讲给家人听", "读一读第{lesson}课课文，认一认生字卡片"]
ELASTIC_READING = "选做：阅读《{book}》第{ch}章"
TIERED = "分层作业：课本第{page}页练习{ex}（A层：第1—4题；B层：第1—6题）"
PERSONAL = "个别辅导：订正本周数学错题，再做课本第{page}页第{a}题"
HELD = {
    "数学": (Kind.EXTENSION, 15, "思考题：课本第{page}页练习{ex}第{b}题（拓展）"),
    "英语": (Kind.BASIC, 15, "完成《活动手册》Unit {unit} Lesson {l}"),
}

WORDS = {
    "topic": ["秋天的校园", "我的家乡北票", "一种小动物", "雨后的街道", "我的好朋友"],
    "book": ["西游记", "城南旧事", "草房子", "稻草人", "小英雄雨来", "中国古代寓言", "安徒生童话"],
    "book_j": ["朝花夕拾", "骆驼祥子", "海底两万里", "红星照耀中国", "昆虫记", "艾青诗选"],
    "classical": ["论语十二章", "诫子书", "狼", "陈太丘与友期行", "桃花源记", "三峡", "愚公移山"],
    "topic_en": ["my family", "my school", "my favourite food", "the weather today"],
    "topic_en_j": ["My Weekend", "A Good Friend", "My Dream Job", "Keeping Healthy"],
    "geo": ["我国的四大高原", "我国的主要河流", "我国的省级行政区"],
    "song": ["歌唱二小放牛郎", "我们的田野", "红蜻蜓", "让我们荡起双桨"],
    "pic_book": ["小猪唏哩呼噜", "猜猜我有多爱你", "大卫不可以", "我爸爸", "小熊很忙"],
    "shape": ["长方形", "正方形", "圆形", "三角形"],
}
GRADING_NOTES = [
    "",
    "",
    "书写认真，正确率较高",
    "个别同学单位名称漏写，已当面讲解",
    "计算错误集中在进位，明天课上集中讲评",
    "作文选出优秀习作3篇在班级展示",
    "错题较多的同学已面批订正",
    "整体完成较好，步骤书写需规范",
]
RULES_TITLE = "北票市实验学校作业管理办法"
RULES_TEXT = """\
一、总量控制：一、二年级不布置家庭书面作业，可在校内适当巩固练习；三至六年级书面作业平均完成时间不超过60分钟；七至九年级不超过90分钟。
二、统筹协调：班主任每天统筹本班各学科作业总量，各学科教师布置前查看当日剩余额度；超出总量的作业须经班主任同意后方可发布。
三、分层设计：提倡分层作业、弹性作业和个性化作业，基础题面向全体，拓展题供学有余力的学生选做。
四、作业公示：各班每天在公示栏和家校平台公示当日作业内容和预计完成时间，接受家长和社会监督。
五、全批全改：教师对布置的书面作业全批全改，小学阶段做到全批全改，对学习困难学生加强面批讲解。
六、完成反馈：家长如实反馈孩子完成作业的实际时间，年级组每周汇总，连续超时的班级及时调整。
七、禁止事项：严禁给家长布置或变相布置作业，严禁要求家长检查、批改作业；不得布置机械、重复、惩罚性作业；不得要求学生自批自改；不得用手机布置作业或要求打卡。
八、定期审核：教导处每周抽查各班作业总量和批改情况，发现问题限期整改，结果纳入教师考核。
九、本办法自2026年9月1日起施行，由教导处负责解释。
"""

_CN_NUM = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_NUM[tens] + "十")
    return head + (_CN_NUM[ones] if ones or not head else "")


def stage_of(grade: int) -> str:
    return "primary" if grade <= 6 else "junior"


class HomeworkDemoExists(ValueError):
    """The demo school has homework rows already."""


# -- The plan --------------------------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    klass: SchoolClass
    day: date
    subject: str
    teacher_id: int
    kind: str
    minutes: int
    content: str
    elastic: bool = False
    personal: list[int] = field(default_factory=list)  # pupil ids
    tiers: list[tuple[str, int, list[int]]] = field(default_factory=list)  # name, minutes, pupils
    status: str = Status.PUBLISHED
    repeated: bool = False
    published_at: datetime | None = None
    used: int = 0  # heaviest load before this item, as the publish check saw it
    total: int = 0  # … and with it
    row: Homework | None = None

    def rule(self) -> rules.Item:
        return rules.Item(
            key=id(self),
            kind=rules.Kind(self.kind),
            minutes=self.minutes,
            elastic=self.elastic,
            tiers={name: m for name, m, _p in self.tiers},
            tier_of={p: name for name, _m, pupils in self.tiers for p in pupils},
            only_for=frozenset(self.personal) if self.personal else None,
        )


def _load(items: list[_Item], pupils: list[int]) -> int:
    """The heaviest written load; a plain sum unless an item is tiered or personal."""
    if all(not i.tiers and not i.personal for i in items):
        return sum(i.rule().max_minutes() for i in items)
    return rules.heaviest_load([i.rule() for i in items], pupils)


@dataclass
class _Class:
    klass: SchoolClass
    pupils: list[int]
    slow: set[int]  # learning-difficulty pupils
    teachers: dict[str, int]  # subject name → user id
    parent_of: dict[int, int]  # pupil → parent user id
    limit: int
    chronic: bool = False
    drift: float = 1.0
    progress: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    pages: dict[str, int] = field(default_factory=dict)
    last: dict[str, date] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)  # this week's items


def load_homework_demo(
    *, seed: int = 2021, today: date | None = None, stdout: TextIO | None = None
) -> dict[str, int]:
    """Create a term of homework for BP001 in one transaction; return the row counts.

    Needs the org demo (`org.demo.load_demo`); refuses when the school has homework already.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        school = School.objects.select_related("county").get(code=SCHOOL_1)
        if Homework.objects.filter(school=school).exists():
            raise HomeworkDemoExists(
                f"School {SCHOOL_1} has homework already; reload the demo with load_demo --reset."
            )
        counts = _Builder(random.Random(seed), school, today).build()
    if stdout is not None:
        stdout.write(
            f"作业演示数据（{school.name}）：作业 {counts['homework']} 条"
            f"（待班主任审核 {counts['pending']} 条），完成反馈 {counts['feedback']} 条，"
            f"批改记录 {counts['gradings']} 条，超量预警 {counts['alerts']} 条\n"
        )
    return counts


class _Builder:
    def __init__(self, rng: random.Random, school: School, today: date) -> None:
        self.rng = rng
        self.school = school
        self.today = today

    # Setup -----------------------------------------------------------------------------------
    def days(self) -> tuple[list[date], list[date]]:
        """(school days with homework, of them the days before today with reports)."""
        term = Term.objects.filter(school=self.school, start=TERM_START).first()
        end = term.end if term else TERM_START + timedelta(days=140)
        if self.today < TERM_START - timedelta(days=1):
            return [], []
        kinds = selectors.day_kinds(self.school, TERM_START, end)
        school_days = sorted(d for d, k in kinds.items() if k == rules.DayKind.SCHOOL_DAY)
        upto = [d for d in school_days if d <= self.today]
        later = [d for d in school_days if d > self.today][:1]
        return upto + later, [d for d in upto if d < self.today]

    def classes(self) -> list[_Class]:
        classes = list(SchoolClass.objects.filter(school=self.school).order_by("grade", "number"))
        pupils: dict[int, list[int]] = defaultdict(list)
        for sid, cid in (
            Student.objects.filter(school=self.school, active=True)
            .order_by("school_class_id", "student_no")
            .values_list("id", "school_class_id")
        ):
            pupils[cid].append(sid)
        slow = set(
            StudentCareFlag.objects.filter(
                student__school=self.school, flag=CareFlag.LEARNING_DIFFICULTY
            ).values_list("student_id", flat=True)
        )
        teachers: dict[int, dict[str, int]] = defaultdict(dict)
        for cid, subject, user_id in (
            StaffRole.objects.filter(
                role=Role.SUBJECT_TEACHER, staff__school=self.school, staff__active=True
            )
            .order_by("-staff__staff_no")  # the lowest staff number wins
            .values_list("school_class_id", "subject__name", "staff__user_id")
        ):
            teachers[cid][subject] = user_id
        parent_of: dict[int, int] = {}
        for sid, uid in (
            Guardianship.objects.filter(student__school=self.school)
            .order_by("-user__username")  # "parent" before "parent2"
            .values_list("student_id", "user_id")
        ):
            parent_of[sid] = uid
        overrides = selectors.overrides_for(self.school)
        out = []
        for k in classes:
            limit = rules.limit_for(k.grade, rules.DayKind.SCHOOL_DAY, overrides).minutes or 0
            chronic = (k.grade, k.number) in CHRONIC
            c = _Class(
                klass=k,
                pupils=pupils[k.id],
                slow={p for p in pupils[k.id] if p in slow},
                teachers=teachers[k.id],
                parent_of={p: parent_of[p] for p in pupils[k.id] if p in parent_of},
                limit=limit,
                chronic=chronic,
            )
            c.drift = (
                self.rng.uniform(1.2, 1.4)
                if chronic
                else (self.rng.uniform(0.8, 1.1) if self.rng.random() < 0.9 else 0.75)
            )
            out.append(c)
        return out

    # Content ---------------------------------------------------------------------------------
    def words(self, c: _Class, subject: str, day: date) -> dict[str, object]:
        """The class's place in a subject's textbook, moving on with each day of homework."""
        rng = self.rng
        if c.last.get(subject) != day:
            c.last[subject] = day
            c.progress[subject] += 1
            c.pages[subject] = c.pages.get(subject, rng.randint(2, 5)) + rng.randint(1, 2)
        used = c.progress[subject] - 1
        lesson = min(1 + used // 3, 28)
        a = rng.randint(1, 4)
        return {
            "lesson": lesson,
            "next_lesson": lesson + 1,
            "para": rng.randint(2, 6),
            "page": c.pages[subject],
            "ex": cn_number(min(1 + used // 4, 25)),
            "a": a,
            "b": a + rng.randint(2, 4),
            "c": a + rng.randint(5, 7),
            "unit": min(1 + used // 7, 8),
            "l": rng.randint(1, 3),
            "part": rng.choice("ABC"),
            "ch": min(1 + used // 12, 8),
            "sec": 1 + (used // 3) % 4,
            "sec_ab": rng.choice("AB"),
            **{key: rng.choice(values) for key, values in WORDS.items()},
        }

    def text(self, c: _Class, subject: str, template: str, day: date) -> str:
        words = self.words(c, subject, day)
        if "{book" in template:  # the class reads on through one book, then the next
            reads = c.progress["阅读"]
            c.progress["阅读"] += 1
            words["book"] = WORDS["book"][(reads // 10 + c.klass.number) % len(WORDS["book"])]
            words["book_j"] = WORDS["book_j"][(reads // 10 + c.klass.number) % len(WORDS["book_j"])]
            words["ch"] = reads % 10 + 1
        return template.format(**words)

    def fresh_text(self, c: _Class, subject: str, templates: list[str], day: date) -> str:
        """An item text; a teacher avoids repeating an item within the week (a few still do)."""
        for _attempt in range(4):
            text = self.text(c, subject, self.rng.choice(templates), day)
            key = (subject, rules.normalise_content(text))
            if key not in c.seen:
                break
        c.seen.add(key)
        return text

    def item(
        self,
        c: _Class,
        day: date,
        subject: str,
        kind: str,
        minutes: int,
        templates: list[str],
        **kw,
    ) -> _Item:
        text = self.fresh_text(c, subject, templates, day)
        return _Item(c.klass, day, subject, c.teachers[subject], kind, minutes, text, **kw)

    def written(self, c: _Class, day: date, subject: str, kind: str, minutes: int) -> _Item:
        templates = WRITTEN[stage_of(c.klass.grade)][subject]
        return self.item(
            c, day, subject, kind, minutes, templates.get(kind) or templates[Kind.BASIC]
        )

    # Days ------------------------------------------------------------------------------------
    def split(self, total: int, subjects: list[str]) -> dict[str, int]:
        """Share a day's total (a multiple of 5) among subjects: multiples of 5, each ≥ 10."""
        weights = {"语文": 4, "数学": 4, "英语": 3}
        w = [weights.get(s, 2) * self.rng.uniform(0.8, 1.2) for s in subjects]
        share = {
            s: max(10, 5 * round(total * x / sum(w) / 5)) for s, x in zip(subjects, w, strict=True)
        }
        while (diff := total - sum(share.values())) != 0:
            if diff > 0:
                share[self.rng.choice(subjects)] += 5
            else:
                s = max(subjects, key=lambda s: share[s])
                share[s] -= 5
        return share

    def low_grade_day(self, c: _Class, day: date) -> list[_Item]:
        """Grades 1–2: a reading or practical item on most days, never written work."""
        rng = self.rng
        if rng.random() >= 0.6:
            return []
        items: list[_Item] = []
        for _n in range(2 if rng.random() < 0.15 else 1):
            if rng.random() < 0.5 and "语文" in c.teachers:
                subject, kind, templates = "语文", Kind.READING, READING_LOW
            else:
                subject = rng.choice([s for s in PRACTICAL if s in c.teachers and s != "科学"])
                kind, templates = Kind.PRACTICAL, PRACTICAL[subject]
            if all(i.subject != subject for i in items):
                items.append(self.item(c, day, subject, kind, rng.choice((10, 15, 20)), templates))
        return items

    def day(self, c: _Class, day: date, heavy: bool, held: bool) -> list[_Item]:
        """One class's items for one day; the published ones stay within the limit."""
        rng = self.rng
        if c.limit == 0:
            return self.low_grade_day(c, day)
        junior = c.klass.grade >= 7
        if junior:
            others = [s for s in ("物理", "化学", "历史", "地理", "生物") if s in c.teachers]
            extra = rng.sample(others, min(len(others), rng.choice((1, 2, 2))))
            subjects = ["语文", "数学", "英语", *extra]
            total = 5 * rng.randint(12, 17)  # 60–85
        else:
            subjects = ["语文", "数学"] + (["英语"] if rng.random() < 0.6 else [])
            total = 5 * (12 if rng.random() < 0.08 else rng.randint(7, 11))  # 35–55, or 60
        if c.chronic:
            total = c.limit if heavy else 5 * round(c.limit * rng.uniform(0.6, 0.75) / 5)
        subjects = [s for s in subjects if s in c.teachers]
        personal = []
        if held:
            subjects, total = ["语文", "数学"], 50
        elif not heavy and len(c.slow) >= 2 and rng.random() < 0.08 and "数学" in c.teachers:
            personal = sorted(rng.sample(sorted(c.slow), min(len(c.slow), rng.choice((2, 3)))))
            total = min(total, c.limit - 10)  # the named pupils' day stays within the limit
        total = max(total, 10 * len(subjects))
        items: list[_Item] = []
        for subject, minutes in self.split(total, subjects).items():
            if minutes >= 20 and rng.random() < 0.3 and subject in ("语文", "数学", "英语"):
                extension = rng.choice((5, 10)) if minutes >= 25 else 5
                items.append(self.written(c, day, subject, Kind.BASIC, minutes - extension))
                items.append(self.written(c, day, subject, Kind.EXTENSION, extension))
            else:
                items.append(self.written(c, day, subject, Kind.BASIC, minutes))
        maths = next((i for i in items if i.subject == "数学" and i.kind == Kind.BASIC), None)
        if maths and maths.minutes >= 15 and not held and rng.random() < 0.06:
            pupils = list(c.pupils)
            rng.shuffle(pupils)
            half = len(pupils) // 2
            maths.content = self.fresh_text(c, "数学", [TIERED], day)
            maths.tiers = [
                ("A层", maths.minutes - 5, sorted(pupils[:half])),
                ("B层", maths.minutes, sorted(pupils[half:])),
            ]
        if personal:
            items.append(self.item(c, day, "数学", Kind.BASIC, 10, [PERSONAL], personal=personal))
        if "语文" in c.teachers and rng.random() < (0.15 if junior else 0.25):
            minutes = rng.choice((20, 30))
            reading = self.item(
                c, day, "语文", Kind.READING, minutes, [ELASTIC_READING], elastic=True
            )
            items.append(reading)
        practical = rng.choice(("生物", "地理")) if junior else "科学"
        if practical in c.teachers and rng.random() < (0.05 if junior else 0.1):
            templates = PRACTICAL[practical]
            items.append(self.item(c, day, practical, Kind.PRACTICAL, 15, templates))
        if held:
            for subject, (kind, minutes, template) in HELD.items():
                if subject in c.teachers:
                    pending = self.item(
                        c, day, subject, kind, minutes, [template], status=Status.PENDING
                    )
                    items.append(pending)
        return items

    def publish(self, c: _Class, day: date, items: list[_Item], week: list[_Item]) -> None:
        """Publishing order and times, the load before and after each item, repeats this week."""
        rng = self.rng
        order = list(items)
        rng.shuffle(order)
        order.sort(key=lambda i: i.status == Status.PENDING)  # held items come last
        if day < self.today:
            start, span = datetime.combine(day, time(11, 30)), 330
        else:  # today's and the next school day's items: this morning, before lessons
            start, span = datetime.combine(self.today, time(6, 50)), 70
        stamps = sorted(rng.randrange(span) for _ in order)
        published: list[_Item] = []
        for item, minute in zip(order, stamps, strict=True):
            item.used = _load(published, c.pupils)
            item.total = _load([*published, item], c.pupils)
            norm = rules.normalise_content(item.content)
            item.repeated = any(
                w.subject == item.subject and rules.normalise_content(w.content) == norm
                for w in week
            )
            week.append(item)
            if item.status == Status.PUBLISHED:
                assert item.total <= c.limit or not item.rule().counts, (c.klass, day)
                item.published_at = timezone.make_aware(start + timedelta(minutes=minute))
                published.append(item)
            else:
                assert item.total > c.limit, "a held item must be over the limit"

    # Feedback --------------------------------------------------------------------------------
    def feedback(
        self, classes: list[_Class], report_days: list[date], by_day: dict
    ) -> tuple[list[Feedback], list[tuple[Feedback, list[tuple[_Item, int]]]]]:
        rng = self.rng
        rows: list[Feedback] = []
        itemised: list[tuple[Feedback, list[tuple[_Item, int]]]] = []
        bias: dict[int, float] = {}
        for c in classes:
            if c.limit == 0:
                continue
            for t in sorted(set(c.teachers.values())):
                bias.setdefault(t, rng.uniform(0.9, 1.12))
            # Some families report nearly every day, some now and then; linked parents often.
            keen = {
                p: 0.9 if p in c.parent_of else min(0.95, max(0.2, rng.gauss(FEEDBACK_SHARE, 0.2)))
                for p in c.pupils
            }
            speed = {
                p: rng.uniform(1.15, 1.35)
                if p in c.slow
                else min(1.25, max(0.8, rng.gauss(1, 0.08)))
                for p in c.pupils
            }
            at_school = AT_SCHOOL_SHARE[stage_of(c.klass.grade)]
            for day in report_days:
                items = [i for i in by_day[(c.klass.id, day)] if i.status == Status.PUBLISHED]
                counted = [(i, i.rule()) for i in items]
                for p in c.pupils:
                    if rng.random() >= keen[p]:
                        continue
                    spent = []
                    for item, rule in counted:
                        estimate = rule.minutes_for(p)
                        if estimate:
                            factor = c.drift * bias[item.teacher_id] * speed[p]
                            noise = min(1.5, max(0.6, rng.gauss(1, 0.12)))
                            spent.append((item, max(1, round(estimate * factor * noise))))
                    if not spent:
                        continue
                    total = sum(m for _i, m in spent)
                    detailed = rng.random() < ITEMISED_SHARE
                    if not detailed and rng.random() < 0.6:
                        total = max(5, 5 * round(total / 5))  # "about 50 minutes"
                    fb = Feedback(
                        student_id=p,
                        school_class_id=c.klass.id,
                        date=day,
                        minutes=min(total, 600),
                        mostly_at_school=rng.random() < at_school,
                        reporter_id=c.parent_of.get(p),
                    )
                    rows.append(fb)
                    if detailed:
                        itemised.append((fb, spent))
        return rows, itemised

    # The whole term --------------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        rng = self.rng
        days, report_days = self.days()
        classes = self.classes()
        held_day = next((d for d in days if d >= self.today), None)  # today, or the next day
        items: list[_Item] = []
        by_day: dict[tuple[int, date], list[_Item]] = defaultdict(list)
        tail = set(report_days[-HEAVY_TAIL:])
        for c in classes:
            weeks: dict[date, list[_Item]] = defaultdict(list)
            for day in days:
                if not weeks[selectors.week_start(day)]:
                    c.seen = set()
                heavy = c.chronic and (day in tail or rng.random() < HEAVY_SHARE)
                held = (c.klass.grade, c.klass.number) == HELD_CLASS and day == held_day
                day_items = self.day(c, day, heavy, held)
                self.publish(c, day, day_items, weeks[selectors.week_start(day)])
                by_day[(c.klass.id, day)] = day_items
                items += day_items
        feedback, itemised = self.feedback(classes, report_days, by_day)
        return self.save(classes, items, feedback, itemised, report_days)

    # Writing ---------------------------------------------------------------------------------
    def save(self, classes, items, feedback, itemised, report_days) -> dict[str, int]:
        rng = self.rng
        school = self.school
        subjects = {s.name: s for s in Subject.objects.filter(school=school)}
        for item in items:
            item.row = Homework(
                school_id=school.id,
                school_class_id=item.klass.id,
                subject_id=subjects[item.subject].id,
                teacher_id=item.teacher_id,
                date=item.day,
                day_kind=rules.DayKind.SCHOOL_DAY.value,
                content=item.content,
                kind=str(item.kind),
                minutes=max([item.minutes, *[m for _n, m, _p in item.tiers]]),
                elastic=item.elastic,
                personal=bool(item.personal),
                status=str(item.status),
                repeated=item.repeated,
                published_at=item.published_at,
            )
        Homework.objects.bulk_create([i.row for i in items])

        tiers = [
            (HomeworkTier(homework=i.row, name=name, minutes=m), pupils)
            for i in items
            for name, m, pupils in i.tiers
        ]
        HomeworkTier.objects.bulk_create([t for t, _p in tiers])
        Through = HomeworkTier.pupils.through
        tier_pupils = [Through(homeworktier_id=t.id, student_id=p) for t, ps in tiers for p in ps]
        Through.objects.bulk_create(tier_pupils)
        targets = [
            HomeworkTarget(homework_id=i.row.id, student_id=p) for i in items for p in i.personal
        ]
        HomeworkTarget.objects.bulk_create(targets)
        limits = {c.klass.id: c.limit for c in classes}
        events = [
            HomeworkEvent(
                homework_id=i.row.id,
                actor_id=i.teacher_id,
                action="published" if i.status == Status.PUBLISHED else "held",
                detail={"total": i.total, "limit": limits[i.klass.id], "used": i.used},
            )
            for i in items
        ]
        HomeworkEvent.objects.bulk_create(events)

        Feedback.objects.bulk_create(feedback)
        feedback_items = [
            FeedbackItem(feedback_id=fb.id, homework_id=item.row.id, minutes=m)
            for fb, spent in itemised
            for item, m in spent
        ]
        FeedbackItem.objects.bulk_create(feedback_items)

        gradings = []
        for i in items:
            if i.day >= self.today or i.status != Status.PUBLISHED or not i.row.is_written:
                continue
            if rng.random() >= GRADED_SHARE:
                continue
            stage = stage_of(i.klass.grade)
            gradings.append(
                Grading(
                    homework=i.row,
                    full=rng.random() < FULL_GRADING_SHARE[stage],
                    face_to_face=rng.randint(0, 8),
                    feedback_note=rng.choice(GRADING_NOTES),
                    recorded_by_id=i.teacher_id,
                )
            )
        Grading.objects.bulk_create(gradings)

        alerts = self.alerts(classes, feedback, report_days)
        audits = self.audits(classes, items, feedback, report_days)
        jiaowu = User.objects.filter(username="jiaowu").first()
        RulesDocument.objects.create(
            school=school,
            title=RULES_TITLE,
            text=RULES_TEXT,
            adopted_on=date(2026, 8, 28),
            uploaded_by=jiaowu,
        )
        HomeworkPolicy.objects.update_or_create(
            school=school, defaults={"over_limit": HomeworkPolicy.OverLimit.HOLD}
        )
        return {
            "homework": len(items),
            "pending": sum(i.status == Status.PENDING for i in items),
            "tiers": len(tiers),
            "tier_pupils": len(tier_pupils),
            "targets": len(targets),
            "events": len(events),
            "feedback": len(feedback),
            "feedback_items": len(feedback_items),
            "gradings": len(gradings),
            "alerts": alerts,
            "audits": audits,
            "rules_documents": 1,
        }

    def alerts(self, classes: list[_Class], feedback: list[Feedback], report_days) -> int:
        """The alerts the reports would have raised (services._raise_streak_alert), once per
        class and last day: candidates from the reports in memory, confirmed by the selector."""
        sums: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        for fb in feedback:
            s = sums[(fb.school_class_id, fb.date)]
            s[0] += fb.minutes
            s[1] += 1
        rows = []
        for c in classes:
            if not c.limit:
                continue
            over = [
                sums[(c.klass.id, d)][1]
                and sums[(c.klass.id, d)][0] / sums[(c.klass.id, d)][1] > c.limit
                for d in report_days
            ]
            for n in range(2, len(report_days)):
                if not all(over[n - 2 : n + 1]):
                    continue
                streak = selectors.over_limit_streak(c.klass, report_days[n])
                if streak is None:
                    continue
                rows.append(
                    Alert(
                        school_class=c.klass,
                        kind=ALERT_KIND,
                        last_day=report_days[n],
                        detail={"days": [[d.isoformat(), m, lim] for d, m, lim in streak]},
                    )
                )
        Alert.objects.bulk_create(rows)
        return len(rows)

    def audits(self, classes, items, feedback, report_days) -> int:
        """The academic office looked at a few classes' past weeks; one chronic class must
        correct its estimates."""
        auditor = User.objects.filter(username="jiaowu").first()
        weeks = sorted({selectors.week_start(d) for d in report_days})
        full_weeks = [w for w in weeks if w + timedelta(days=4) < self.today]
        if not full_weeks:
            return 0
        rows = []
        reported: dict[tuple[int, date], list[int]] = defaultdict(list)
        for fb in feedback:
            reported[(fb.school_class_id, selectors.week_start(fb.date))].append(fb.minutes)
        chronic = next(c for c in classes if (c.klass.grade, c.klass.number) == CHRONIC[0])
        others = [c for c in classes if not c.chronic and c.limit]
        for w in full_weeks[-3:]:
            for c in self.rng.sample(others, 3):
                rows.append(
                    ClassWeekAudit(
                        school_class=c.klass,
                        week_start=w,
                        verdict=ClassWeekAudit.Verdict.OK,
                        findings="每日书面作业总量在限额内；作业公示及时，批改记录完整。",
                        auditor=auditor,
                    )
                )
        w = full_weeks[-1]
        published = [
            i
            for i in items
            if i.klass is chronic.klass
            and selectors.week_start(i.day) == w
            and i.status == Status.PUBLISHED
            and i.rule().counts
        ]
        per_day: dict[date, int] = defaultdict(int)
        for i in published:
            per_day[i.day] += i.rule().max_minutes()
        minutes = reported[(chronic.klass.id, w)]
        mean = sum(minutes) / len(minutes) if minutes else 0
        planned = sum(per_day.values()) / len(per_day) if per_day else 0
        rows.append(
            ClassWeekAudit(
                school_class=chronic.klass,
                week_start=w,
                verdict=ClassWeekAudit.Verdict.CORRECT,
                findings=(
                    f"{class_name(chronic.klass.grade, chronic.klass.number)}本周公示的书面作业"
                    f"平均每天{planned:.0f}分钟，贴着{chronic.limit}分钟的上限；家长反馈平均用时"
                    f"{mean:.0f}分钟，比预估多{(mean / planned - 1) * 100 if planned else 0:.0f}%。"
                ),
                corrections=(
                    "各学科教师按学生实际用时重新核定预估时间；班主任每天统筹，书面作业总量"
                    f"控制在{chronic.limit - 10}分钟以内，并增加分层作业；教导处下周复查。"
                ),
                auditor=auditor,
            )
        )
        ClassWeekAudit.objects.bulk_create(rows)
        return len(rows)
