"""A deterministic demo data set: two schools in 北票市 with staff, pupils, parents and officials.

`load_demo()` builds it in one transaction; `manage.py load_demo` prints the demo logins.
Every random choice comes from one `random.Random(seed)`, so the same seed (on a database
without other users holding the same mobiles) gives the same data.  Names, labels and the
login table are Chinese demo content and are not translated; the refusal message is plain
English, like the other operator commands' errors.
"""

import math
import random
import re
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import (
    CareFlag,
    Guardianship,
    Region,
    RegionRole,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentCareFlag,
    Subject,
    Term,
    User,
    Vacation,
    Venue,
)

DEMO_PASSWORD = "shuangjian2021"
SCHOOL_1, SCHOOL_2 = "BP001", "BP002"
# Leaves first: the order in which a reset removes regions left empty.
REGION_CODES = ("211381", "211322", "2113", "21")
DEMO_USERNAMES = (
    "principal", "jiaowu", "nianji3", "banzhuren", "shuxue", "kehou", "zhiban",
    "parent", "parent2", "duxue", "jiaoyuju", "shi", "outsider",
)  # fmt: skip

# Surnames with their weight (about per 10,000 people: the national ranking, nudged towards
# the north-east, where 于 孙 姜 董 宋 关 佟 are more common and 黄 林 罗 梁 less).
SURNAMES: list[tuple[str, int]] = [
    (s, int(w))
    for s, w in re.findall(
        r"(\D)(\d+)",
        "王760李720张700刘600陈380杨300赵280黄150周180吴160徐170孙210胡120朱130高170林80"
        "何90郭120马150罗50梁60宋110郑80谢50韩100唐60冯80于150董100肖40程50曹60袁40邓40"
        "许60傅30沈40曾20彭40吕50苏50卢40蒋30蔡30贾50丁50魏50薛30叶20阎40余20潘40杜50"
        "戴20夏30钟20汪20田60任50姜100范40方30石50姚40谭30廖10邹30熊20金50陆20郝50孔30"
        "白50崔60康30毛20邱20秦30江20史40顾20侯40邵30孟50龙10万20段30雷20钱20汤20尹30"
        "常40武40乔30贺30付60齐30关40佟30包20",
    )
]
# Given-name characters of children born 2011–2020, boys' and girls' leaning (a few shared).
BOY_CHARS = (
    "浩宇轩子梓博文杰俊豪明睿泽一辰然晨阳航皓铭恒瑞嘉鑫旭天昊逸诚凯鹏伟磊宏志晟煜宸锦钰泓奕峻"
    "程骏瀚霖哲毅远帅翔越鸿栋彬卓朗琛烨诺佑安乐川晖景耀钧德斌森林智坤伦振洋海强健政永庆硕涛"
    "超鸣宁家凡兴"
)
GIRL_CHARS = (
    "涵欣怡雨萱诗琪佳悦可馨思雅婷彤依语妍若梦晨晓雪紫嘉心宁静淑慧瑶琳颖菲露月婉蕊珊洁丹娜薇"
    "茜芮蓉瑾萌茹琦倩璐玥玲蕾芳艺楚乐桐安希沐歆娅婧昕晴岚妮媛秋春艳丽曼菁玉珂子梓一诺瑜"
)
LEADING_ONLY = "子梓一思若诗可紫依沐"  # first of two characters, never alone or second
# Parents' and teachers' generation (born 1965–1995), and grandparents' whole given names.
MAN_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志海东峰亮成文博力永新春立"
)
WOMAN_CHARS = "静丽艳敏芳娟霞燕玲丹萍红娜婷雪琳晶颖莉慧洁倩梅英华秀兰玉凤桂云琴佳欣晓冬月"
ELDER_MEN = (
    "德胜 福林 国庆 长海 振华 玉林 树森 宝山 凤山 永福 立新 建华 志刚 庆祥 文华 广才 春生 金贵"
)
ELDER_WOMEN = "桂兰 淑珍 玉兰 凤英 秀英 淑芬 桂芝 玉珍 秀兰 素梅 翠花 桂英 淑华 凤兰 秀珍 玉梅"
MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 155 156 157 158 159 "
    "166 176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)

BOY_SHARE = 0.51
# Shares of pupils carrying each care flag, for a county of northern Liaoning.  These are
# illustrative estimates, not official statistics: Liaoning sends fewer workers away than the
# inland labour-exporting provinces (where left-behind shares reach 20–30%), and a county-seat
# school takes in families moving from the villages.  A pupil may carry several flags.
CARE_FLAG_SHARES: dict[str, float] = {
    CareFlag.LEFT_BEHIND: 0.08,  # 留守儿童: one or both parents work away (沈阳, 大连, …)
    CareFlag.MIGRANT: 0.06,  # 随迁子女: moved with working parents from villages / other counties
    CareFlag.IN_DIFFICULTY: 0.01,  # 困境儿童 (most are also low-income below)
    CareFlag.RETURNED: 0.01,  # 返乡儿童: back from a city school, living at home again
    CareFlag.DISABILITY: 0.01,  # 随班就读 pupils with a disability
    CareFlag.LOW_INCOME: 0.04,  # 家庭经济困难 (低保 / 建档立卡 households)
    CareFlag.LEARNING_DIFFICULTY: 0.05,  # 学困生 as teachers mark them
}

# Subjects, the grades that take them (2022 curriculum), and the per-school Subject table.
SUBJECT_GRADES: dict[str, range] = {
    "语文": range(1, 10),
    "数学": range(1, 10),
    "英语": range(3, 10),
    "道德与法治": range(1, 10),
    "科学": range(1, 7),
    "物理": range(8, 10),
    "化学": range(9, 10),
    "历史": range(7, 10),
    "地理": range(7, 10),
    "生物": range(7, 10),
    "体育": range(1, 10),
    "音乐": range(1, 10),
    "美术": range(1, 10),
    "信息科技": range(3, 9),
}
MAIN_SUBJECTS = ("语文", "数学", "英语")  # taught per grade, one teacher for one or two classes
# Specialist subjects: how many classes one teacher takes.  Primary 道德与法治 is taught by
# each class's head teacher instead.
SPECIALIST_LOADS = {
    "道德与法治": 6, "科学": 6, "物理": 6, "化学": 3, "历史": 9, "地理": 9, "生物": 9,
    "体育": 9, "音乐": 14, "美术": 14, "信息科技": 12,
}  # fmt: skip

VENUES = {
    SCHOOL_1: [
        ("操场", Venue.Kind.FIELD, 400), ("体育馆", Venue.Kind.GYM, 120),
        ("图书馆", Venue.Kind.LIBRARY, 80), ("科学实验室", Venue.Kind.LAB, 45),
        ("音乐教室", Venue.Kind.CLASSROOM, 50), ("美术教室", Venue.Kind.CLASSROOM, 50),
        ("报告厅", Venue.Kind.HALL, 300),
    ],
    SCHOOL_2: [
        ("操场", Venue.Kind.FIELD, 300), ("图书室", Venue.Kind.LIBRARY, 40),
        ("科学实验室", Venue.Kind.LAB, 45), ("音乐教室", Venue.Kind.CLASSROOM, 50),
    ],
}  # fmt: skip

CALENDAR = [  # (name, start, end, vacation kind or None for a term)
    ("2025-2026学年第二学期", date(2026, 3, 1), date(2026, 7, 10), None),
    ("2026年暑假", date(2026, 7, 11), date(2026, 8, 31), Vacation.Kind.SUMMER),
    ("2026-2027学年第一学期", date(2026, 9, 1), date(2027, 1, 22), None),
    ("2027年寒假", date(2027, 1, 23), date(2027, 2, 28), Vacation.Kind.WINTER),
    ("2026-2027学年第二学期", date(2027, 3, 1), date(2027, 7, 9), None),
    ("2027年暑假", date(2027, 7, 10), date(2027, 8, 31), Vacation.Kind.SUMMER),
]
SCHOOL_YEAR = 2026  # the school year the classes are in (2026-09 … 2027-08)

_CN_DIGITS = "一二三四五六七八九"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class DemoDataExists(ValueError):
    """The demo schools or demo logins are already in the database (load with reset=True)."""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    sees: str


def class_name(grade: int, number: int) -> str:
    """三年级(1)班."""
    return f"{_CN_DIGITS[grade - 1]}年级({number})班"


def id_check_digit(body: str) -> str:
    """The last character of an 18-character resident ID (GB 11643, ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


@dataclass(eq=False)
class _Pupil:
    klass: SchoolClass
    seat: int
    surname: str
    given: str
    male: bool
    birth: date
    registry_no: str = ""
    flags: list[str] = field(default_factory=list)
    guardian: str = ""
    relation: str = ""
    mobile: str = ""

    @property
    def name(self) -> str:
        return self.surname + self.given


@dataclass(eq=False)
class _Person:
    """A user to create: a member of staff (with roles), an official or a parent."""

    name: str
    mobile: str
    username: str = ""
    roles: list[tuple[str, int | None, SchoolClass | None, str | None]] = field(
        default_factory=list
    )  # (role, grade, class, subject name)

    def has(self, role: str, klass: SchoolClass | None = None, subject: str | None = None) -> bool:
        return any(
            r == role and (klass is None or k is klass) and (subject is None or s == subject)
            for r, _g, k, s in self.roles
        )

    def leads(self, grade: int) -> bool:
        return any(r == Role.GRADE_LEADER and g == grade for r, g, _k, _s in self.roles)


# --- Loading and removing ------------------------------------------------------------------------


def demo_exists() -> bool:
    return (
        School.objects.filter(code__in=(SCHOOL_1, SCHOOL_2)).exists()
        or User.objects.filter(username__in=DEMO_USERNAMES).exists()
    )


def delete_demo() -> None:
    """Remove the demo schools, their staff and parents, the demo logins and emptied regions."""
    from .synthetic import DEMO_PREFIX, delete_synthetic  # synthetic imports demo

    delete_synthetic(prefix=DEMO_PREFIX)
    schools = School.objects.filter(code__in=(SCHOOL_1, SCHOOL_2))
    user_ids = set(Staff.objects.filter(school__in=schools).values_list("user_id", flat=True))
    user_ids |= set(
        Guardianship.objects.filter(student__school__in=schools).values_list("user_id", flat=True)
    )
    user_ids |= set(User.objects.filter(username__in=DEMO_USERNAMES).values_list("id", flat=True))
    Student.objects.filter(school__in=schools).delete()
    schools.delete()
    from shuangjian.reporting.demo import delete_reporting_demo  # reporting imports demo

    delete_reporting_demo(REGION_CODES)
    User.objects.filter(id__in=user_ids).delete()
    for code in REGION_CODES:  # only regions nothing else uses any more
        Region.objects.filter(
            code=code, schools__isnull=True, children__isnull=True, officials__isnull=True
        ).delete()


def load_demo(
    *, seed: int = 2021, reset: bool = False, stdout: TextIO | None = None
) -> list[DemoLogin]:
    """Create the demo data in one transaction and return the demo logins."""
    with transaction.atomic():
        if demo_exists():
            if not reset:
                raise DemoDataExists(
                    f"Demo data already exists (school {SCHOOL_1}/{SCHOOL_2} or a demo login). "
                    "Run load_demo --reset to delete it and load it again."
                )
            delete_demo()
        return _Builder(random.Random(seed), stdout).build()


class _Builder:
    """Draws the whole data set from one random stream, then writes it with bulk inserts."""

    def __init__(self, rng: random.Random, stdout: TextIO | None) -> None:
        self.rng = rng
        self.stdout = stdout
        self.surnames = [s for s, _w in SURNAMES]
        self.cum_weights = [sum(w for _s, w in SURNAMES[: i + 1]) for i in range(len(SURNAMES))]
        self.mobiles = set(User.objects.exclude(mobile=None).values_list("mobile", flat=True))
        self.mobiles |= set(
            User.objects.filter(username__regex=r"^1\d{10}$").values_list("username", flat=True)
        )
        self.registry_nos: set[str] = set()
        self.prefixes = MOBILE_PREFIXES.split()

    # Names and numbers -----------------------------------------------------------------------
    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.cum_weights)[0]

    def given(self, chars: str, two_share: float) -> str:
        """A one- or two-character given name; 子, 梓, 思… only ever lead a two-character name."""
        if self.rng.random() >= two_share:
            return self.rng.choice([c for c in chars if c not in LEADING_ONLY])
        first = self.rng.choice(chars)
        second = self.rng.choice(chars)
        while second == first or second in LEADING_ONLY:
            second = self.rng.choice(chars)
        return first + second

    def adult(self, *, female: bool, surname: str = "") -> str:
        return (surname or self.surname()) + self.given(WOMAN_CHARS if female else MAN_CHARS, 0.7)

    def elder(self, *, female: bool, surname: str = "") -> str:
        return (surname or self.surname()) + self.rng.choice(
            (ELDER_WOMEN if female else ELDER_MEN).split()
        )

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(self.prefixes) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def person(self, female_share: float) -> _Person:
        return _Person(self.adult(female=self.rng.random() < female_share), self.mobile())

    def registry_no(self, county_code: str, birth: date, male: bool) -> str:
        """学籍号: G + a resident-ID-shaped number (county, birth date, sequence, check digit)."""
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if male else 0)  # odd for boys, as in IDs
            body = f"{county_code}{birth:%Y%m%d}{seq:03d}"
            check = id_check_digit(body)
            if check != "X" and body not in self.registry_nos:
                self.registry_nos.add(body)
                return f"G{body}{check}"

    # The data set ----------------------------------------------------------------------------
    def build(self) -> list[DemoLogin]:
        province = self.region("21", "辽宁省", Region.Level.PROVINCE, None)
        city = self.region("2113", "朝阳市", Region.Level.CITY, province)
        county = self.region("211381", "北票市", Region.Level.COUNTY, city)
        self.region("211322", "建平县", Region.Level.COUNTY, city)
        s1 = School.objects.create(
            name="北票市实验学校", code=SCHOOL_1, county=county, stage=School.Stage.NINE_YEAR
        )
        s2 = School.objects.create(
            name="北票市第二小学", code=SCHOOL_2, county=county, stage=School.Stage.PRIMARY
        )
        classes = {s1: self.school_setup(s1, 3), s2: self.school_setup(s2, 2)}
        pupils = {
            s1: self.pupils(classes[s1], county.code, 42, 48),
            s2: self.pupils(classes[s2], county.code, 28, 32),
        }
        father, mother, children = self.demo_family(pupils[s1])

        staff = {s1: self.staff_school_1(classes[s1]), s2: self.staff_school_2(classes[s2])}
        officials = [
            (self.person(0.4), county, RegionRole.Kind.OFFICER, "jiaoyuju"),
            (self.person(0.4), county, RegionRole.Kind.INSPECTOR, "duxue"),
            (self.person(0.4), city, RegionRole.Kind.OFFICER, "shi"),
        ]
        for person, _region, _kind, username in officials:
            person.username = username
        parents = [(father, c, "父亲") for c in children] + [(mother, children[0], "母亲")]
        candidates = [
            p
            for school in (s1, s2)
            for p in pupils[school]
            if p.relation in ("父亲", "母亲") and p not in children
        ]
        for pupil in self.rng.sample(candidates, 50):
            parent = _Person(pupil.guardian, pupil.mobile, pupil.mobile)
            parents.append((parent, pupil, pupil.relation))

        self.save(staff, officials, pupils, parents)
        self.report(staff, pupils, parents)
        return self.logins(father, mother, children)

    def region(self, code: str, name: str, level: str, parent: Region | None) -> Region:
        region, _created = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent}
        )
        return region

    def school_setup(self, school: School, per_grade: int) -> list[SchoolClass]:
        """Calendar, subjects, venues and classes of one school; returns the classes."""
        terms, vacations = [], []
        for name, start, end, kind in CALENDAR:
            if kind is None:
                terms.append(Term(school=school, name=name, start=start, end=end))
            else:
                vacations.append(
                    Vacation(school=school, kind=kind, name=name, start=start, end=end)
                )
        Term.objects.bulk_create(terms)
        Vacation.objects.bulk_create(vacations)
        grades = school.grade_range
        Subject.objects.bulk_create(
            Subject(school=school, name=name)
            for name, taught in SUBJECT_GRADES.items()
            if set(taught) & set(grades)
        )
        Venue.objects.bulk_create(
            Venue(school=school, name=name, kind=kind, capacity=capacity)
            for name, kind, capacity in VENUES[school.code]
        )
        return SchoolClass.objects.bulk_create(
            SchoolClass(school=school, grade=g, number=n)
            for g in grades
            for n in range(1, per_grade + 1)
        )

    def pupils(
        self, classes: list[SchoolClass], county_code: str, low: int, high: int
    ) -> list[_Pupil]:
        """Rosters of every class, then care flags and guardians for the whole school."""
        rng = self.rng
        pupils: list[_Pupil] = []
        for klass in classes:
            born_from = date(SCHOOL_YEAR - 6 - klass.grade, 9, 1)  # grade 1: 2019-09-01
            span = (date(born_from.year + 1, 8, 31) - born_from).days + 1
            size = rng.randint(low, high)
            boys = [True] * round(size * BOY_SHARE) + [False] * (size - round(size * BOY_SHARE))
            rng.shuffle(boys)
            names: set[str] = set()
            for seat, male in enumerate(boys, start=1):
                while True:
                    surname = self.surname()
                    given = self.given(BOY_CHARS if male else GIRL_CHARS, 0.88)
                    if surname + given not in names:
                        break
                names.add(surname + given)
                birth = born_from + timedelta(days=rng.randrange(span))
                pupils.append(_Pupil(klass, seat, surname, given, male, birth))
                pupils[-1].registry_no = self.registry_no(county_code, birth, male)
        self.care_flags(pupils)
        for pupil in pupils:
            self.guardian(pupil)
        return pupils

    def care_flags(self, pupils: list[_Pupil]) -> None:
        """Exactly round(share × pupils) of each flag, with the overlaps that make sense."""
        rng, n = self.rng, len(pupils)

        def mark(flag: str, pool: list[_Pupil], first: list[_Pupil] | None = None) -> list[_Pupil]:
            want = round(CARE_FLAG_SHARES[flag] * n)
            chosen = (first or [])[:want]
            rest = [p for p in pool if p not in chosen]
            chosen += rng.sample(rest, min(want - len(chosen), len(rest)))
            for pupil in chosen:
                pupil.flags.append(flag)
            return chosen

        left = mark(CareFlag.LEFT_BEHIND, pupils)
        migrant = mark(CareFlag.MIGRANT, [p for p in pupils if p not in left])
        mark(CareFlag.RETURNED, [p for p in pupils if p not in migrant])
        difficulty = mark(CareFlag.IN_DIFFICULTY, pupils)
        # Most children in difficulty are also from low-income families.
        mark(CareFlag.LOW_INCOME, pupils, first=difficulty[: max(1, len(difficulty) * 3 // 4)])
        mark(CareFlag.DISABILITY, pupils)
        mark(CareFlag.LEARNING_DIFFICULTY, pupils)

    def guardian(self, pupil: _Pupil) -> None:
        """Father (same surname) or mother; grandparents for most left-behind children."""
        roll = self.rng.random()
        if CareFlag.LEFT_BEHIND in pupil.flags and roll < 0.8:
            roll = 1.0  # the grandparents are the guardians at home
        if roll < 0.56:
            pupil.relation, pupil.guardian = "父亲", self.adult(female=False, surname=pupil.surname)
        elif roll < 0.95:
            pupil.relation, pupil.guardian = "母亲", self.adult(female=True)
        elif self.rng.random() < 0.5:
            pupil.relation, pupil.guardian = "祖父", self.elder(female=False, surname=pupil.surname)
        else:
            pupil.relation, pupil.guardian = "祖母", self.elder(female=True)
        pupil.mobile = self.mobile()

    def demo_family(self, pupils: list[_Pupil]) -> tuple[_Person, _Person, list[_Pupil]]:
        """Siblings in 三年级(1)班 and 七年级(2)班, their father (parent) and mother (parent2)."""
        younger = self.rng.choice(
            [p for p in pupils if p.klass.grade == 3 and p.klass.number == 1 and not p.flags]
        )
        older = self.rng.choice(
            [p for p in pupils if p.klass.grade == 7 and p.klass.number == 2 and not p.flags]
        )
        taken = {p.name for p in pupils if p.klass is older.klass}
        older.surname = younger.surname
        while older.name in taken:
            older.given = self.given(BOY_CHARS if older.male else GIRL_CHARS, 0.88)
        father = _Person(self.adult(female=False, surname=younger.surname), self.mobile(), "parent")
        mother = _Person(self.adult(female=True), self.mobile(), "parent2")
        for child in (younger, older):
            child.relation, child.guardian, child.mobile = "父亲", father.name, father.mobile
        return father, mother, [younger, older]

    # Staff -----------------------------------------------------------------------------------
    def teachers(self, classes: list[SchoolClass], grade_leaders: bool) -> list[_Person]:
        """Teachers for every subject of every class, head teachers and grade leaders.

        语文, 数学 and 英语 are taught within a grade, one teacher to two classes (语文 in
        primary grades: one teacher per class, who is its head teacher).  Each class's head
        teacher is its first 语文/数学/英语 teacher who heads no other class.
        """
        people: list[_Person] = []

        def teacher(subject: str, klasses: list[SchoolClass]) -> _Person:
            person = self.person(0.7)
            person.roles += [(Role.SUBJECT_TEACHER, None, k, subject) for k in klasses]
            people.append(person)
            return person

        for grade in sorted({k.grade for k in classes}):
            in_grade = [k for k in classes if k.grade == grade]
            taught: dict[tuple[str, int], _Person] = {}
            for subject in MAIN_SUBJECTS:
                if grade not in SUBJECT_GRADES[subject]:
                    continue
                size = 1 if subject == "语文" and grade <= 6 else 2
                for i in range(0, len(in_grade), size):
                    chunk = in_grade[i : i + size]
                    person = teacher(subject, chunk)
                    taught.update({(subject, k.number): person for k in chunk})
            heads: list[_Person] = []
            for klass in in_grade:
                for subject in MAIN_SUBJECTS:
                    person = taught.get((subject, klass.number))
                    if person is not None and not any(person is h for h in heads):
                        person.roles.append((Role.HEAD_TEACHER, None, klass, None))
                        if grade <= 6:
                            person.roles.append((Role.SUBJECT_TEACHER, None, klass, "道德与法治"))
                        heads.append(person)
                        break
            if grade_leaders:  # an experienced head teacher: the one of class 2
                heads[min(1, len(heads) - 1)].roles.append((Role.GRADE_LEADER, grade, None, None))

        for subject, load in SPECIALIST_LOADS.items():
            needing = [
                k
                for k in classes
                if k.grade in SUBJECT_GRADES[subject]
                and not (subject == "道德与法治" and k.grade <= 6)
            ]
            count = math.ceil(len(needing) / load)
            for i in range(count):
                teacher(
                    subject, needing[i * len(needing) // count : (i + 1) * len(needing) // count]
                )
        return people

    def staff_school_1(self, classes: list[SchoolClass]) -> list[_Person]:
        def post(role: str, username: str = "", female_share: float = 0.5) -> _Person:
            person = self.person(female_share)
            person.roles.append((role, None, None, None))
            person.username = username
            return person

        leaders = [
            post(Role.PRINCIPAL, "principal", 0.35),
            post(Role.ACADEMIC, "jiaowu", 0.6),
            post(Role.ACADEMIC, female_share=0.6),
            post(Role.DUTY_LEADER, "zhiban", 0.4),
            post(Role.DUTY_LEADER, female_share=0.4),
        ]
        teachers = self.teachers(classes, grade_leaders=True)
        after = [post(Role.AFTERSCHOOL, "kehou", 0.6)]
        after += [post(Role.AFTERSCHOOL, female_share=0.6) for _ in range(2)]
        c31, c32 = [k for k in classes if k.grade == 3 and k.number <= 2]
        named = {
            "banzhuren": next(p for p in teachers if p.has(Role.HEAD_TEACHER, c31)),
            "shuxue": next(p for p in teachers if p.has(Role.SUBJECT_TEACHER, c31, "数学")),
            "nianji3": next(p for p in teachers if p.leads(3)),
        }
        assert len({id(p) for p in named.values()}) == 3
        assert named["banzhuren"].has(Role.SUBJECT_TEACHER, c31, "语文")
        assert named["shuxue"].has(Role.SUBJECT_TEACHER, c32, "数学")
        for username, person in named.items():
            person.username = username
        return leaders + teachers + after

    def staff_school_2(self, classes: list[SchoolClass]) -> list[_Person]:
        principal = self.person(0.4)
        principal.roles.append((Role.PRINCIPAL, None, None, None))
        principal.username = "outsider"
        return [principal, *self.teachers(classes, grade_leaders=False)]

    # Writing ---------------------------------------------------------------------------------
    def save(
        self,
        staff: dict[School, list[_Person]],
        officials: list[tuple[_Person, Region, str, str]],
        pupils: dict[School, list[_Pupil]],
        parents: list[tuple[_Person, _Pupil, str]],
    ) -> None:
        # Hashed once, for every demo user; the salt comes from the seed too (the password is
        # public anyway), so that a reload gives byte-identical rows.
        alphabet = string.ascii_letters + string.digits
        salt = "".join(self.rng.choice(alphabet) for _ in range(22))
        password = make_password(DEMO_PASSWORD, salt)
        users: dict[int, User] = {}  # id(person) → user

        def user(person: _Person, username: str) -> None:
            if id(person) not in users:
                users[id(person)] = User(
                    username=person.username or username,
                    display_name=person.name,
                    mobile=person.mobile,
                    password=password,
                )

        for school, people in staff.items():
            for i, person in enumerate(people, start=1):
                user(person, f"{school.code}-T{i:04d}")
        for person, *_rest in officials:
            user(person, person.username)
        for person, _pupil, _relation in parents:
            user(person, person.mobile)
        User.objects.bulk_create(users.values())

        posts = {
            id(person): Staff(
                school=school,
                user=users[id(person)],
                staff_no=f"T{i:04d}",
                name=person.name,
            )
            for school, people in staff.items()
            for i, person in enumerate(people, start=1)
        }
        Staff.objects.bulk_create(posts.values())
        subjects = {
            (s.school_id, s.name): s for s in Subject.objects.filter(school__in=list(staff))
        }
        StaffRole.objects.bulk_create(
            StaffRole(
                staff=posts[id(person)],
                role=role,
                grade=grade,
                school_class=klass,
                subject=subjects[(school.id, subject)] if subject else None,
            )
            for school, people in staff.items()
            for person in people
            for role, grade, klass, subject in person.roles
        )
        RegionRole.objects.bulk_create(
            RegionRole(user=users[id(person)], region=region, kind=kind)
            for person, region, kind, _username in officials
        )

        rows = {
            id(p): Student(
                school=school,
                school_class=p.klass,
                name=p.name,
                gender=Student.Gender.MALE if p.male else Student.Gender.FEMALE,
                student_no=f"{SCHOOL_YEAR}{p.klass.grade:02d}{p.klass.number:02d}{p.seat:02d}",
                registry_no=p.registry_no,
                birth_date=p.birth,
                guardian_name=p.guardian,
                guardian_mobile=p.mobile,
            )
            for school, school_pupils in pupils.items()
            for p in school_pupils
        }
        Student.objects.bulk_create(rows.values())
        StudentCareFlag.objects.bulk_create(
            StudentCareFlag(student=rows[id(p)], flag=flag)
            for school_pupils in pupils.values()
            for p in school_pupils
            for flag in p.flags
        )
        Guardianship.objects.bulk_create(
            Guardianship(user=users[id(person)], student=rows[id(pupil)], relation=relation)
            for person, pupil, relation in parents
        )

    def report(
        self,
        staff: dict[School, list[_Person]],
        pupils: dict[School, list[_Pupil]],
        parents: list[tuple[_Person, _Pupil, str]],
    ) -> None:
        if self.stdout is None:
            return
        for school, people in staff.items():
            classes = len({id(p.klass) for p in pupils[school]})
            self.stdout.write(
                f"{school.name}（{school.code}）：{classes} 个班，"
                f"{len(pupils[school])} 名学生，{len(people)} 名教职工\n"
            )
        accounts = len({id(person) for person, _pupil, _relation in parents})
        self.stdout.write(f"家长账号 {accounts} 个，家长与孩子的绑定 {len(parents)} 条\n")

    def logins(self, father: _Person, mother: _Person, children: list[_Pupil]) -> list[DemoLogin]:
        def kid(p: _Pupil) -> str:
            return f"{p.name}（{class_name(p.klass.grade, p.klass.number)}）"

        younger, older = children
        rows = [
            ("校长", "principal", "北票市实验学校全校管理、名册导入、密码重置、审计记录"),
            ("教导处", "jiaowu", "全校名册与关爱标记、名册导入导出、校历"),
            ("年级组长", "nianji3", "三年级各班名册（兼三年级(2)班班主任、语文）"),
            ("班主任", "banzhuren", "三年级(1)班名册、关爱标记、家长联系方式、家长绑定码；教语文"),
            ("数学教师", "shuxue", "三年级(1)(2)班数学，只看任教班级名册，看不到关爱标记"),
            ("课后服务", "kehou", "本校课后服务"),
            ("值周领导", "zhiban", "本校值周检查"),
            ("家长", "parent", f"{father.name}：孩子 {kid(younger)}、{kid(older)}"),
            ("家长", "parent2", f"{mother.name}：孩子 {kid(younger)}（与 parent 同一个孩子）"),
            ("督学", "duxue", "北票市各校督导"),
            ("县教育局", "jiaoyuju", "北票市各校（两所演示学校和 18 所生成的学校）"),
            ("市教育局", "shi", "朝阳市下属各县区的学校"),
            ("外校校长", "outsider", "北票市第二小学全校管理；看不到北票市实验学校"),
        ]
        return [DemoLogin(role, username, DEMO_PASSWORD, sees) for role, username, sees in rows]
