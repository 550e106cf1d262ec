"""A synthetic county: schools, people and a term of records, generated from a seed.

One generator, used twice:
  - the benchmark (bench/county.py): a county of 200 schools and 300,000 pupils with a term of
    homework, parent feedback, after-school programmes, sessions and attendance on PostgreSQL;
  - the demo (`load_synthetic_demo`): about eighteen small schools added to 北票市 beside the two
    real demo schools, with a few weeks of records, so that the county bulletin has a real
    bottom ten and the weekly trends have a shape.

Every school has a *profile* drawn from the county's seed: stage, size, a "discipline" between 0
and 1 (how well it keeps the homework rules), a trend (positive: it improves over the term, as
schools named in a bulletin do) and its after-school participation.  A school with low
discipline posts loads over the limit on more days, forgets to post the notice on more days,
its parents report more time than the notice says, and its pupils are more often absent from
after-school sessions without explanation.

Everything one school needs is drawn from its own `random.Random` (seed and school number), so a
school's rows do not depend on the others, and each school is written in its own transaction
with bulk inserts: memory stays bounded by a school (two on PostgreSQL, see `generate`).  The
rows respect the models' constraints and the services' rules where they matter to the figures:
classes within the national size standard, programme capacity within the venue and never
exceeded, one head teacher per class, every closed session's attendance in a final state.
Loads over the limit are what a head teacher approved (the item carries the note), as the
homework services allow.
Names and texts are Chinese demo content and are not translated (like `org.demo`).
"""

import math
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import TextIO

from django.apps import apps
from django.db import connection, transaction
from django.db.models import SET_NULL, DateField, DateTimeField, TimeField
from django.utils import timezone

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import (
    Category,
    Enrolment,
    OutsideStaff,
    Programme,
    ProgrammeSlot,
)
from shuangjian.homework.demo import cn_number as cn
from shuangjian.homework.models import Feedback, Homework
from shuangjian.rules import calendar as national
from shuangjian.rules import homework as hw_rules

from .demo import (
    BOY_CHARS,
    GIRL_CHARS,
    LEADING_ONLY,
    MAN_CHARS,
    SPECIALIST_LOADS,
    SUBJECT_GRADES,
    SURNAMES,
    WOMAN_CHARS,
    class_name,
)
from .models import (
    Guardianship,
    Region,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    Subject,
    Term,
    User,
    Venue,
)

BATCH = 5000
WORKERS = 2  # schools built at once on PostgreSQL (see `generate`)
UNUSABLE_PASSWORD = "!synthetic"  # generated accounts cannot log in (no password to guess)
# National class-size standards (GB/T and 教育部 大班额 rules): 45 in primary, 50 in junior.
CLASS_MAX = {"primary": 45, "junior": 50}
PROGRAMME_CAPACITY = 50  # a classroom; a grade's participants are split into groups of ≤ 45
GROUP_SIZE = 45
STAGE_SHARES = (
    (School.Stage.PRIMARY, 0.6),
    (School.Stage.JUNIOR, 0.25),
    (School.Stage.NINE_YEAR, 0.15),
)
SLOT_START, SLOT_END = time(16, 0), time(18, 0)  # two hours, to the end of work ("5+2")
SHORT_FRIDAY = time(17, 20)  # schools keeping the rules poorly close early on Fridays
WEEKDAY_PAIRS = ((0, 2), (1, 3), (2, 4), (0, 3), (1, 4))
ACTIVITIES = (
    (Category.SPORTS, "篮球"), (Category.ARTS, "合唱"), (Category.READING, "经典诵读"),
    (Category.SCIENCE, "科学小实验"), (Category.LABOUR, "种植"), (Category.SPORTS, "跳绳"),
    (Category.ARTS, "书法"), (Category.CLUB, "围棋"), (Category.SPORTS, "乒乓球"),
)  # fmt: skip
JUNIOR_SUBJECTS = ("物理", "化学", "历史", "地理", "生物")
OUTSIDE_KINDS = (
    (OutsideStaff.Kind.RETIRED_TEACHER, "退休小学高级教师"),
    (OutsideStaff.Kind.COACH, "区业余体校教练，国家二级裁判"),
    (OutsideStaff.Kind.HERITAGE_BEARER, "市级非遗传承人（剪纸）"),
    (OutsideStaff.Kind.ARTIST, "书法家协会会员"),
)
TOWNS = (
    "台吉", "大板", "宝国老", "北四家子", "东官营", "黑城子", "大三家", "哈尔脑", "龙潭",
    "南八家子", "泉巨永", "上园", "五间房", "西官营", "小塔子", "章吉营", "长皋", "娄家店",
    "台吉营", "常河营", "凉水河", "蒙古营", "三宝营", "马友营",
)  # fmt: skip
APPROVED_NOTE = "班主任已同意超出当日总量"
# Column order of the rows the fast writer inserts.
STUDENT_COLUMNS = (
    "id",
    "school_id",
    "school_class_id",
    "name",
    "gender",
    "student_no",
    "registry_no",
    "birth_date",
    "guardian_name",
    "guardian_mobile",
    "active",
)
HOMEWORK_COLUMNS = (
    "school_id",
    "school_class_id",
    "subject_id",
    "teacher_id",
    "date",
    "day_kind",
    "content",
    "kind",
    "minutes",
    "elastic",
    "personal",
    "status",
    "repeated",
    "note",
    "created_at",
    "published_at",
)
FEEDBACK_COLUMNS = (
    "student_id",
    "school_class_id",
    "date",
    "minutes",
    "mostly_at_school",
    "reporter_id",
    "created_at",
)
ENROLMENT_COLUMNS = (
    "programme_id",
    "student_id",
    "status",
    "source",
    "position",
    "created_at",
    "updated_at",
)
SESSION_COLUMNS = (
    "id",
    "school_id",
    "programme_id",
    "date",
    "start",
    "end",
    "status",
    "opened_at",
    "closed_at",
    "closed_by_id",
)
ATTENDANCE_COLUMNS = (
    "session_id", "student_id", "state", "signed_in_at", "released_at", "release_mode",
    "guardian_name", "late_pickup", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One school as the county plan draws it."""

    number: int  # 1, 2, … within the county
    code: str
    name: str
    stage: str
    pupils: int
    discipline: float  # 0 (ignores the homework rules) … 1 (keeps them)
    trend: float  # > 0: gets better over the term; < 0: worse
    participation: float  # share of pupils in an after-school programme
    outside_staff: int  # outside teachers admitted (AS-07)

    def pressure(self, progress: float) -> float:
        """How far from the rules the school is at a point of the term (0 start … 1 end)."""
        return (1 - self.discipline) ** 2 * max(0.0, 1 - self.trend * progress)


@dataclass(frozen=True)
class Spec:
    """What to generate.  Records (homework, feedback, sessions) cover the school days from
    `first` (or the term start) up to `last`, both inclusive; everything in it is past."""

    county: Region
    seed: int
    schools: int
    pupils: int  # in total
    term_name: str
    term_start: date
    term_end: date
    last: date
    weeks: int
    prefix: str
    feedback_per_class: int = 3  # pupils of each class whose parents report most days
    parents_per_school: int = 0  # parent accounts (the demo's), linked to reporting pupils

    @property
    def first(self) -> date:
        return max(self.term_start, self.last - timedelta(days=7 * self.weeks - 1))


def plan_county(spec: Spec) -> list[Profile]:
    """The schools' profiles: deterministic for the seed, sizes summing to `spec.pupils`."""
    rng = random.Random(f"{spec.seed}:county")
    stages = [s for s, _ in STAGE_SHARES]
    drawn = rng.choices(stages, weights=[w for _, w in STAGE_SHARES], k=spec.schools)
    weights = [rng.uniform(0.5, 1.5) * (1.4 if s == School.Stage.JUNIOR else 1) for s in drawn]
    total = sum(weights)
    sizes = [int(spec.pupils * w / total) for w in weights]
    for i in range(spec.pupils - sum(sizes)):
        sizes[i % spec.schools] += 1
    numbers = Counter()
    profiles = []
    for n, (stage, size) in enumerate(zip(drawn, sizes, strict=True), start=1):
        numbers[stage] += 1
        discipline = rng.betavariate(4, 1.6)
        improving = discipline < 0.6 and rng.random() < 0.6
        trend = rng.uniform(0.5, 0.9) if improving else rng.uniform(-0.4, 0.2)
        profiles.append(
            Profile(
                number=n,
                code=f"{spec.prefix}{n:03d}",
                name=school_name(spec.county.name, stage, numbers[stage], rng),
                stage=stage,
                pupils=size,
                discipline=round(discipline, 4),
                trend=round(trend, 4),
                participation=round(
                    min(0.95, max(0.3, rng.gauss(0.45 + 0.4 * discipline, 0.1))), 4
                ),
                outside_staff=rng.choice((0, 0, 1, 2)),
            )
        )
    return profiles


def school_name(county: str, stage: str, n: int, rng: random.Random) -> str:
    """北票市台吉中心小学, 北票市第五中学, 北票市大板九年一贯制学校 … (n: the school's number
    within its stage)."""
    numbered = rng.random() < 0.5 and n + 2 <= 99 and stage != School.Stage.NINE_YEAR
    kind = {School.Stage.PRIMARY: "小学", School.Stage.JUNIOR: "中学"}.get(stage, "九年一贯制学校")
    if numbered:
        return f"{county}第{cn(n + 2)}{kind}"  # 第一 and 第二 are the real schools' numbers
    round_ = "" if n <= len(TOWNS) else f"第{cn((n - 1) // len(TOWNS) + 1)}"
    central = "中心" if stage == School.Stage.PRIMARY else ""
    return f"{county}{TOWNS[(n - 1) % len(TOWNS)]}{round_}{central}{kind}"


def school_days(start: date, end: date, term_end: date) -> list[date]:
    """National working days from start to end (inside the term)."""
    if end < start:
        return []
    return [d.day for d in national.days(start, min(end, term_end)) if d.is_working_day]


def generate(spec: Spec, *, stdout: TextIO | None = None) -> dict[str, int]:
    """Create every school of the spec, one transaction per school; returns rows per table.

    On PostgreSQL, called outside a transaction (as the benchmark does), WORKERS schools are
    built at once, each in a thread with its own connection: while one thread's Python draws
    and formats rows, the server writes another's, so the build uses more than one core.  A
    school's rows depend only on its own random generator, so only the ids differ."""
    days = school_days(spec.first, spec.last, spec.term_end)
    profiles = plan_county(spec)

    def build(profile: Profile) -> Counter:
        with _bulk_transaction():
            return _SchoolBuilder(spec, profile, days).build()

    def build_apart(profile: Profile) -> Counter:
        try:
            return build(profile)
        finally:
            connection.close()  # the thread's own connection

    counts: Counter = Counter()
    apart = WORKERS > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    pool = ThreadPoolExecutor(WORKERS) if apart else None
    try:
        built = pool.map(build_apart, profiles) if pool else map(build, profiles)
        for n, school in enumerate(built, start=1):
            counts.update(school)
            if stdout is not None and n % 20 == 0:
                stdout.write(f"  {n}/{spec.schools} schools\n")
                stdout.flush()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)  # after a failure: no more schools
    return dict(counts)


def synthetic_schools(prefix: str, county: Region | None = None):
    schools = School.objects.filter(code__startswith=prefix)
    return schools.filter(county=county) if county is not None else schools


def delete_synthetic(*, prefix: str, county: Region | None = None) -> None:
    """Remove generated schools (by their code prefix), everything in them and their generated
    accounts, in plain SQL: hundreds of thousands of rows, and no per-row signals."""
    where, params = "code LIKE %s", [prefix + "%"]
    if county is not None:
        where, params = where + " AND county_id = %s", [*params, county.id]
    codes = list(synthetic_schools(prefix, county).values_list("code", flat=True))
    if not codes:
        return
    with _bulk_transaction(), connection.cursor() as cursor:
        # Tables with no rows hold nothing to delete, nor do the tables referring to them.
        empty = {
            m for m in apps.get_models(include_auto_created=True) if not m._base_manager.exists()
        }
        purge = partial(_purge, cursor, empty=empty)
        purge(School, where, params)
        for i in range(0, len(codes), 100):  # the schools' accounts: "<code>-T0001" …
            chunk = codes[i : i + 100]
            accounts = "(" + " OR ".join(["username LIKE %s"] * len(chunk)) + ")"
            purge(User, accounts, [code + "-%" for code in chunk])


@contextmanager
def _bulk_transaction():
    """A transaction writing or deleting a school's worth of rows (hundreds of thousands).

    On PostgreSQL, when it is a transaction of its own (not part of a caller's, as in the demo
    loader and the tests), two settings local to it make the bulk cheaper:
      - no wait for the commit to reach the disk (`synchronous_commit`): a crash may lose the
        last schools written, never leave half of one, and a rebuild replaces them anyway;
      - for a superuser, no per-row foreign-key triggers (`session_replication_role`, as
        `pg_restore --disable-triggers` does): the constraints are deferred, so every inserted
        or deleted row is otherwise checked once more at commit, which took a third of the
        county's build.  The generator only refers to rows it has just written or read, and
        `tests/test_synthetic.py` checks every reference of a generated county."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                if connection.connection.info.parameter_status("is_superuser") == "on":
                    cursor.execute("SET LOCAL session_replication_role = replica")
        yield


def _purge(cursor, model, where: str, params: list, *, empty: set, path: tuple = ()) -> None:
    """Delete the rows of `model` that the condition `where` (on its table) selects, after every
    row referring to them (whatever its on_delete: the whole tree goes), or clear the reference
    (SET_NULL)."""
    table, pk = model._meta.db_table, model._meta.pk.column
    ids = f"SELECT {pk} FROM {table} WHERE {where}"
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        child, column = rel.related_model, rel.field.column
        if child in empty or child in path:
            continue
        if rel.on_delete is SET_NULL:
            cursor.execute(
                f"UPDATE {child._meta.db_table} SET {column} = NULL WHERE {column} IN ({ids})",
                params,
            )
        else:
            _purge(cursor, child, f"{column} IN ({ids})", params, empty=empty, path=(*path, model))
    cursor.execute(f"DELETE FROM {table} WHERE {where}", params)


# -- One school ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _moment(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@lru_cache(maxsize=65536)
def _aware(day: date, at: time, minutes: int = 0) -> datetime:
    return _moment(day, at) + timedelta(minutes=minutes)


@lru_cache(maxsize=1024)
def _moments(day: date, end: time) -> tuple[list[datetime], list[datetime]]:
    """A session's possible sign-in moments (its first 6 minutes) and release moments (up to
    55 minutes after its end)."""
    return [_aware(day, SLOT_START, m) for m in range(6)], [_aware(day, end, m) for m in range(55)]


@lru_cache(maxsize=16)
def _singles(chars: str) -> str:
    """Characters that may stand alone as a given name."""
    return "".join(c for c in chars if c not in LEADING_ONLY)


def _stage(grade: int) -> str:
    return "primary" if grade <= 6 else "junior"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(v) -> str:
    """A value in PostgreSQL's COPY text format."""
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "t" if v else "f"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    if isinstance(v, int):
        return str(v)
    return v.isoformat()  # dates, times, aware datetimes


def _copy_text(rows: list[tuple]) -> str:
    """Rows in COPY text format.  Apart from ids, the values recur (states, names, a school's
    few hundred moments), so each is converted once: several times faster than converting
    every value."""
    seen: dict = {}

    def text(v) -> str:
        if type(v) is int:  # not bool: True == 1 must not find "1" (or 1 find "t")
            return str(v)
        try:
            return seen[v]
        except KeyError:
            seen[v] = converted = _copy_value(v)
            return converted

    return "".join(["\t".join([text(v) for v in row]) + "\n" for row in rows])


@lru_cache(maxsize=65536)
def _adapt_datetime(value: datetime) -> str:
    """A moment as SQLite stores it (the same few moments recur: each is converted once)."""
    return connection.ops.adapt_datetimefield_value(value)


class _Writer:
    """Plain writes for the big tables (pupils, homework, feedback, enrolments, sessions,
    attendance): ids drawn in advance, then COPY on PostgreSQL or one executemany elsewhere.
    Rows are tuples in the order of `columns`; every column without a database default is
    given (the ORM's `auto_now` fields too)."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def ids(self, model, n: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # one writer: SQLite
            first = cursor.fetchone()[0] + 1
            return list(range(first, first + n))

    def write(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for i in range(0, len(rows), BATCH):
                        copy.write(_copy_text(rows[i : i + BATCH]))
                return
            adapt = [self.adapter(model, c) for c in columns]
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                [
                    tuple(
                        f(v) if f and v is not None else v for f, v in zip(adapt, row, strict=True)
                    )
                    for row in rows
                ],
            )

    @staticmethod
    def adapter(model, column: str):
        field = next(f for f in model._meta.concrete_fields if f.column == column)
        if isinstance(field, DateTimeField):
            return _adapt_datetime
        if isinstance(field, DateField):
            return connection.ops.adapt_datefield_value
        if isinstance(field, TimeField):
            return connection.ops.adapt_timefield_value
        return None


class _SchoolBuilder:
    def __init__(self, spec: Spec, profile: Profile, days: list[date]) -> None:
        self.spec, self.p, self.days = spec, profile, days
        self.rng = random.Random(f"{spec.seed}:{profile.number}")
        self.surnames = [s for s, _w in SURNAMES]
        self.cum = [sum(w for _s, w in SURNAMES[: i + 1]) for i in range(len(SURNAMES))]
        self.counts: Counter = Counter()
        self.before = _aware(spec.term_start - timedelta(days=7), time(9))
        self.now = timezone.now()
        self.writer = _Writer()

    def fast(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        self.writer.write(model, columns, rows)
        self.counts[model._meta.label] += len(rows)

    def bulk(self, model, rows: list) -> list:
        model.objects.bulk_create(rows, batch_size=BATCH)
        self.counts[model._meta.label] += len(rows)
        return rows

    def build(self) -> Counter:
        p, spec = self.p, self.spec
        (school,) = self.bulk(
            School, [School(name=p.name, code=p.code, county=spec.county, stage=p.stage)]
        )
        (self.term,) = self.bulk(
            Term,
            [Term(school=school, name=spec.term_name, start=spec.term_start, end=spec.term_end)],
        )
        self.school = school
        classes = self.classes(school)
        staff = self.staff(school, classes)
        pupils = self.pupils(school, classes)
        self.homework(classes, pupils)
        self.afterschool(classes, pupils, staff)
        return self.counts

    # People ------------------------------------------------------------------------------------
    def name(self, chars: str, two_share: float) -> str:
        rng = self.rng
        surname = rng.choices(self.surnames, cum_weights=self.cum)[0]
        if rng.random() >= two_share:
            return surname + rng.choice(_singles(chars))
        return surname + rng.choice(chars) + rng.choice(_singles(chars))

    def classes(self, school: School) -> list[SchoolClass]:
        grades = list(school.grade_range)
        per_grade = [self.p.pupils // len(grades)] * len(grades)
        for i in range(self.p.pupils - sum(per_grade)):
            per_grade[i] += 1
        self.sizes: dict[tuple[int, int], int] = {}
        for grade, n in zip(grades, per_grade, strict=True):
            count = max(1, math.ceil(n / CLASS_MAX[_stage(grade)]))
            for k in range(count):
                self.sizes[(grade, k + 1)] = n // count + (1 if k < n % count else 0)
        Subject.objects.bulk_create(
            Subject(school=school, name=name)
            for name, taught in SUBJECT_GRADES.items()
            if set(taught) & set(grades)
        )
        self.subjects = {s.name: s for s in Subject.objects.filter(school=school)}
        self.counts["org.Subject"] += len(self.subjects)
        classes = self.bulk(
            SchoolClass, [SchoolClass(school=school, grade=g, number=k) for g, k in self.sizes]
        )
        self.venues = {
            k.id: v
            for k, v in zip(
                classes,
                self.bulk(
                    Venue,
                    [
                        Venue(
                            school=school,
                            name=f"{class_name(k.grade, k.number)}教室",
                            kind=Venue.Kind.CLASSROOM,
                            capacity=PROGRAMME_CAPACITY,
                        )
                        for k in classes
                    ],
                ),
                strict=True,
            )
        }
        return classes

    def staff(self, school: School, classes: list[SchoolClass]) -> dict:
        """Leaders, after-school staff and teachers: the subject teachers of every class (语文,
        数学, 英语 one per one or two classes of a grade; specialists over several classes) and a
        head teacher per class, the first of its main-subject teachers heading no other."""
        people: list[tuple[str, list[tuple]]] = []  # (name, roles)

        def person(roles: list[tuple]) -> list[tuple]:
            female = self.rng.random() < 0.7
            people.append((self.name(WOMAN_CHARS if female else MAN_CHARS, 0.7), roles))
            return roles

        person([(Role.PRINCIPAL, None, None, None)])
        person([(Role.ACADEMIC, None, None, None)])
        for _ in range(2):
            person([(Role.AFTERSCHOOL, None, None, None)])
        self.teacher_of: dict[tuple[int, str], int] = {}  # (class id, subject) → person index
        self.head_of: dict[int, int] = {}  # class id → person index
        for grade in sorted({k.grade for k in classes}):
            in_grade = [k for k in classes if k.grade == grade]
            for subject in ("语文", "数学", "英语"):
                if grade not in SUBJECT_GRADES[subject]:
                    continue
                size = 1 if subject == "语文" and grade <= 6 else 2
                for i in range(0, len(in_grade), size):
                    chunk = in_grade[i : i + size]
                    person([(Role.SUBJECT_TEACHER, None, k, subject) for k in chunk])
                    self.teacher_of.update({(k.id, subject): len(people) - 1 for k in chunk})
            heads: set[int] = set()
            for k in in_grade:
                for subject in ("语文", "数学", "英语"):
                    who = self.teacher_of.get((k.id, subject))
                    if who is not None and who not in heads:
                        people[who][1].append((Role.HEAD_TEACHER, None, k, None))
                        if grade <= 6:  # primary 道德与法治 is the head teacher's
                            people[who][1].append((Role.SUBJECT_TEACHER, None, k, "道德与法治"))
                            self.teacher_of[(k.id, "道德与法治")] = who
                        self.head_of[k.id] = who
                        heads.add(who)
                        break
        for subject, load in SPECIALIST_LOADS.items():
            needing = [
                k
                for k in classes
                if k.grade in SUBJECT_GRADES[subject]
                and not (subject == "道德与法治" and k.grade <= 6)
            ]
            count = math.ceil(len(needing) / load)
            for i in range(count):
                chunk = needing[i * len(needing) // count : (i + 1) * len(needing) // count]
                person([(Role.SUBJECT_TEACHER, None, k, subject) for k in chunk])
                self.teacher_of.update({(k.id, subject): len(people) - 1 for k in chunk})

        users = self.bulk(
            User,
            [
                User(username=f"{school.code}-T{i:04d}", display_name=n, password=UNUSABLE_PASSWORD)
                for i, (n, _roles) in enumerate(people, start=1)
            ],
        )
        posts = self.bulk(
            Staff,
            [
                Staff(school=school, user=u, staff_no=f"T{i:04d}", name=n)
                for i, ((n, _roles), u) in enumerate(zip(people, users, strict=True), start=1)
            ],
        )
        self.bulk(
            StaffRole,
            [
                StaffRole(
                    staff=post,
                    role=role,
                    grade=grade,
                    school_class=klass,
                    subject=self.subjects[subject] if subject else None,
                )
                for post, (_n, roles) in zip(posts, people, strict=True)
                for role, grade, klass, subject in roles
            ],
        )
        self.users, self.posts = users, posts
        return {"principal": users[0], "afterschool": users[2]}

    def pupils(self, school: School, classes: list[SchoolClass]) -> dict[int, list[int]]:
        """Each class's pupils (ids by seat)."""
        rng = self.rng
        start = self.spec.term_start
        year = start.year if start.month >= 8 else start.year - 1  # the school year
        ids = iter(self.writer.ids(Student, sum(self.sizes.values())))
        rows, out = [], {}
        for k in classes:
            born = date(year - 6 - k.grade, 9, 1)
            out[k.id] = []
            for seat in range(1, self.sizes[(k.grade, k.number)] + 1):
                male = rng.random() < 0.51
                pk = next(ids)
                out[k.id].append(pk)
                rows.append(
                    (
                        pk, school.id, k.id, self.name(BOY_CHARS if male else GIRL_CHARS, 0.88),
                        Student.Gender.MALE if male else Student.Gender.FEMALE,
                        f"{year}{k.grade:02d}{k.number:02d}{seat:02d}", "",
                        born + timedelta(days=rng.randrange(365)), "", "", True,
                    )
                )  # fmt: skip
        self.fast(Student, STUDENT_COLUMNS, rows)
        return out

    # Homework and feedback -----------------------------------------------------------------
    def progress(self, day: date) -> float:
        span = (self.days[-1] - self.days[0]).days if self.days else 0
        return (day - self.days[0]).days / span if span else 0.0

    def homework(self, classes: list[SchoolClass], pupils: dict[int, list[Student]]) -> None:
        """Each class's items of each school day, and its reporting pupils' feedback.

        A day is normal (written load 45–95% of the limit), over (108–140%, approved by the head
        teacher) or forgotten (nothing posted, though parents still report the time spent)."""
        rng, p = self.rng, self.p
        items: list[tuple] = []
        feedback: list[tuple] = []
        parents = self.parents(classes, pupils)
        for k in classes:
            limit = hw_rules.default_limit(k.grade)
            panel = rng.sample(pupils[k.id], min(self.spec.feedback_per_class, len(pupils[k.id])))
            subjects = self.written_subjects(k)
            for day in self.days:
                pressure = p.pressure(self.progress(day))
                forgot = rng.random() < 0.02 + 0.35 * pressure
                over = bool(limit) and rng.random() < 0.01 + 0.6 * pressure
                load = round(limit * (rng.uniform(1.08, 1.4) if over else rng.uniform(0.45, 0.95)))
                if not forgot:
                    items += self.day_items(k, day, limit, load, subjects)
                if not limit:
                    continue  # grades 1–2: no written homework, nothing to report
                factor = 1 + 0.35 * (1 - p.discipline)
                for pupil in panel:
                    if rng.random() < 0.8:
                        spent = round(load * min(2.0, max(0.5, rng.gauss(factor, 0.12))))
                        at_school = rng.random() < 0.55
                        feedback.append(
                            (pupil, k.id, day, min(600, spent), at_school, parents.get(pupil),
                             self.now)
                        )  # fmt: skip
        self.fast(Homework, HOMEWORK_COLUMNS, items)
        self.fast(Feedback, FEEDBACK_COLUMNS, feedback)

    def written_subjects(self, k: SchoolClass) -> list[str]:
        main = [s for s in ("语文", "数学", "英语") if k.grade in SUBJECT_GRADES[s]]
        return main + [s for s in JUNIOR_SUBJECTS if k.grade in SUBJECT_GRADES[s]]

    def day_items(
        self, k: SchoolClass, day: date, limit: int, load: int, subjects: list[str]
    ) -> list[tuple]:
        rng = self.rng

        def item(
            subject: str, kind: str, minutes: int, content: str, elastic=False, note=""
        ) -> tuple:
            return (
                self.school.id, k.id, self.subjects[subject].id,
                self.users[self.teacher_of[(k.id, subject)]].id, day,
                hw_rules.DayKind.SCHOOL_DAY.value, content, kind, minutes, elastic, False,
                Homework.Status.PUBLISHED, False, note, self.now,
                _aware(day, time(11, 30), rng.randrange(330)),
            )  # fmt: skip

        if not limit:  # grades 1–2: reading or practical work only
            if rng.random() < 0.5:
                return [
                    item("语文", Homework.Kind.READING, 15, "读一读今天学的课文，认一认生字卡片")
                ]
            return [item("数学", Homework.Kind.PRACTICAL, 10, "和家人玩“凑十”数字游戏")]
        today = subjects[:3] if k.grade <= 6 else [*subjects[:3], rng.choice(subjects[3:])]
        weights = [rng.uniform(0.7, 1.3) * (1.4 if s in ("语文", "数学") else 1) for s in today]
        minutes = [max(5, int(load * w / sum(weights))) for w in weights]
        minutes[0] = max(5, load - sum(minutes[1:]))
        out = []
        for i, (subject, m) in enumerate(zip(today, minutes, strict=True)):
            lesson = (day - self.spec.term_start).days // 2 + 1
            pushed_over = sum(minutes[: i + 1]) > limit >= sum(minutes[:i])
            out.append(
                item(
                    subject,
                    Homework.Kind.BASIC if rng.random() < 0.8 else Homework.Kind.EXTENSION,
                    m,
                    f"{subject}：完成第{lesson}课课后练习",
                    note=APPROVED_NOTE if pushed_over else "",
                )
            )
        if rng.random() < 0.2:
            out.append(
                item("语文", Homework.Kind.READING, 20, "选做：课外阅读20分钟", elastic=True)
            )
        return out

    def parents(self, classes, pupils) -> dict[int, int]:
        """The demo's few parent accounts (pupil id → user id): the guardian of the first pupil
        of some classes."""
        n = min(self.spec.parents_per_school, len(classes))
        chosen = [pupils[k.id][0] for k in classes[-n:]] if n else []
        users = self.bulk(
            User,
            [
                User(
                    username=f"{self.p.code}-P{i:02d}",
                    display_name=self.name(WOMAN_CHARS, 0.7),
                    password=UNUSABLE_PASSWORD,
                )
                for i in range(1, len(chosen) + 1)
            ],
        )
        self.bulk(
            Guardianship,
            [
                Guardianship(user=u, student_id=s, relation="母亲")
                for u, s in zip(users, chosen, strict=True)
            ],
        )
        return {s: u.id for s, u in zip(chosen, users, strict=True)}

    # After school ----------------------------------------------------------------------------
    def afterschool(self, classes, pupils, staff) -> None:
        """Per grade, the participating pupils split into groups of at most 45, each a programme
        in a classroom of the grade, led by that class's head teacher, meeting twice a week;
        a closed session on each of those school days with every enrolled pupil's final state."""
        rng, p = self.rng, self.p
        programmes, members, slots = [], [], []
        by_grade: dict[int, list[SchoolClass]] = {}
        for k in classes:
            by_grade.setdefault(k.grade, []).append(k)
        for grade, in_grade in sorted(by_grade.items()):
            joined = [s for k in in_grade for s in pupils[k.id] if rng.random() < p.participation]
            # groups ≤ classes (one classroom each), so a group may reach 50, a class's size
            groups = min(math.ceil(len(joined) / GROUP_SIZE), len(in_grade))
            for g in range(groups):
                klass = in_grade[g]
                category, activity = (
                    (Category.HOMEWORK, "作业辅导")
                    if grade >= 3 and g == 0
                    else ACTIVITIES[(grade + g) % len(ACTIVITIES)]
                )
                programmes.append(
                    Programme(
                        school=self.school,
                        term=self.term,
                        name=f"{activity}（{class_name(grade, g + 1)[:3]}{g + 1}组）",
                        category=category,
                        grade_from=grade,
                        grade_to=grade,
                        capacity=PROGRAMME_CAPACITY,
                        venue=self.venues[klass.id],
                        lead=self.posts[self.head_of[klass.id]],
                        status=Programme.Status.APPROVED,
                        proposed_by=staff["afterschool"],
                        approved_by=staff["principal"],
                    )
                )
                members.append(joined[g * len(joined) // groups : (g + 1) * len(joined) // groups])
                slots.append(WEEKDAY_PAIRS[(grade + g) % len(WEEKDAY_PAIRS)])
        self.bulk(Programme, programmes)
        self.outside_staff(programmes, staff)
        self.bulk(
            ProgrammeSlot,
            [
                ProgrammeSlot(programme=prog, weekday=d, start=SLOT_START, end=self.slot_end(d))
                for prog, pair in zip(programmes, slots, strict=True)
                for d in pair
            ],
        )
        # Programmes and places exist from before the records start (auto_now_add is "now").
        Programme.objects.filter(school=self.school).update(created_at=self.before)
        self.fast(
            Enrolment,
            ENROLMENT_COLUMNS,
            [
                (prog.id, pupil, Enrolment.Status.ALLOCATED, Enrolment.Source.ALLOCATION, None,
                 self.before, self.before)
                for prog, group in zip(programmes, members, strict=True)
                for pupil in group
            ],
        )  # fmt: skip
        leads = {post.id: user.id for post, user in zip(self.posts, self.users, strict=True)}
        held = [
            (prog, group, day)
            for prog, group, pair in zip(programmes, members, slots, strict=True)
            for day in self.days
            if day.weekday() in pair
        ]
        ids = self.writer.ids(Session, len(held))
        self.fast(
            Session,
            SESSION_COLUMNS,
            [
                (pk, self.school.id, prog.id, day, SLOT_START, self.slot_end(day.weekday()),
                 Session.Status.CLOSED, self.now, _aware(day, SLOT_END, 25), leads[prog.lead_id])
                for pk, (prog, _group, day) in zip(ids, held, strict=True)
            ],
        )  # fmt: skip
        rows = []
        for pk, (prog, group, day) in zip(ids, held, strict=True):
            unexplained = 0.001 + 0.03 * p.pressure(self.progress(day))
            end = self.slot_end(day.weekday())
            rows += self.roll(pk, group, day, end, prog.grade_from, unexplained)
        self.fast(Attendance, ATTENDANCE_COLUMNS, rows)

    def slot_end(self, weekday: int) -> time:
        return SHORT_FRIDAY if weekday == 4 and self.p.discipline < 0.45 else SLOT_END

    def roll(
        self, session: int, group: list[int], day: date, end: time, grade: int, unexplained: float
    ) -> list[tuple]:
        """Each pupil's final state after the end-of-day close: mostly released, some on leave,
        a few absences notified by the parents, rarely an unexplained one."""
        S, M = Attendance.State, Attendance.ReleaseMode
        random, now = self.rng.random, self.now
        signed_in, released = _moments(day, end)
        rows = []
        for pupil in group:
            r = random()
            if r < unexplained + 0.06:
                state = (
                    S.ABSENT_UNEXPLAINED
                    if r < unexplained
                    else S.ABSENT_NOTIFIED
                    if r < unexplained + 0.02
                    else S.ON_LEAVE
                )
                rows.append((session, pupil, state, None, None, "", "", False, now))
                continue
            r2 = random()
            extra, signed = int(r2 * 15), signed_in[int(r2 * 6)]
            if r > 0.97:
                row = (M.EXTENDED_CARE, "", True, released[40 + extra])
            elif r > 0.85 and grade >= 5:
                row = (M.ALONE, "", False, released[extra])
            else:
                row = (M.GUARDIAN, "家长", False, released[extra])
            mode, guardian, late, out = row
            rows.append((session, pupil, S.RELEASED, signed, out, mode, guardian, late, now))
        return rows

    def outside_staff(self, programmes: list[Programme], staff: dict) -> None:
        """AS-07: admitted outside teachers, each beside the lead of an activity programme."""
        activities = [prog for prog in programmes if prog.category != Category.HOMEWORK]
        n = min(self.p.outside_staff, len(activities))
        if not n:
            return
        people = []
        for i in range(n):
            kind, qualification = OUTSIDE_KINDS[(self.p.number + i) % len(OUTSIDE_KINDS)]
            people.append(
                OutsideStaff(
                    school=self.school,
                    name=self.name(MAN_CHARS, 0.7),
                    kind=kind,
                    mobile=f"139{self.p.number:04d}{i:04d}",
                    qualification=qualification,
                    background_check_confirmed=True,
                    confirmed_by=staff["principal"],
                    confirmed_on=self.spec.term_start - timedelta(days=10),
                    valid_until=self.spec.term_end + timedelta(days=180),
                    status=OutsideStaff.Status.APPROVED,
                    decided_by=staff["principal"],
                    created_by=staff["afterschool"],
                )
            )
        self.bulk(OutsideStaff, people)
        OutsideStaff.objects.filter(school=self.school).update(created_at=self.before)
        for prog, person in zip(activities, people, strict=False):
            prog.outside_staff = person
        Programme.objects.bulk_update(activities[:n], ["outside_staff"])


# -- The demo ----------------------------------------------------------------------------------

DEMO_PREFIX = "BPS"  # the generated demo schools' codes: BPS001 …
DEMO_COUNTY = "211381"  # 北票市
DEMO_SCHOOLS = 18
DEMO_PUPILS = 2700  # village and township schools: 150 pupils on average
DEMO_WEEKS = 6


def demo_spec(*, seed: int, today: date, schools: int, pupils: int) -> Spec:
    county = Region.objects.get(code=DEMO_COUNTY)
    term = Term.objects.filter(school__code="BP001", start__lte=today).order_by("-start").first()
    return Spec(
        county=county,
        seed=seed,
        schools=schools,
        pupils=pupils,
        term_name=term.name,
        term_start=term.start,
        term_end=term.end,
        last=today - timedelta(days=1),
        weeks=DEMO_WEEKS,
        prefix=DEMO_PREFIX,
        feedback_per_class=4,
        parents_per_school=2,
    )


def load_synthetic_demo(
    *,
    seed: int,
    stdout: TextIO | None = None,
    today: date | None = None,
    schools: int = DEMO_SCHOOLS,
    pupils: int = DEMO_PUPILS,
) -> dict[str, int]:
    """Add ~18 generated schools to the demo county (replacing earlier generated ones), with
    records of the last weeks up to yesterday.  Needs `org.demo.load_demo` first."""
    today = today or timezone.localdate()
    with transaction.atomic():
        spec = demo_spec(seed=seed, today=today, schools=schools, pupils=pupils)
        delete_synthetic(prefix=DEMO_PREFIX, county=spec.county)
        counts = generate(spec)
    if stdout is not None:
        stdout.write(
            f"生成学校 {counts['org.School']} 所（{spec.county.name}，代码 {DEMO_PREFIX}001 起）："
            f"学生 {counts['org.Student']} 名，作业 {counts['homework.Homework']} 条，"
            f"完成反馈 {counts['homework.Feedback']} 条，课后服务 {counts['afternoon.Session']} 次、"
            f"考勤 {counts['afternoon.Attendance']} 条（{spec.first}—{spec.last}）\n"
        )
    return counts
