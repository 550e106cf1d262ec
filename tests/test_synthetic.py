"""The synthetic county: deterministic for a seed, within the models' rules, and a demo part that
a reload replaces instead of duplicating."""

import dataclasses
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count, ForeignKey, Q

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment, Programme, ProgrammeSlot
from shuangjian.homework.models import Feedback, Homework
from shuangjian.org import demo, synthetic
from shuangjian.org.models import Region, Role, School, SchoolClass, StaffRole, Student, User
from shuangjian.rules import homework as hw_rules

FINAL = {"released", "on_leave", "absent_notified", "absent_unexplained"}


def spec(county: Region, seed: int = 7) -> synthetic.Spec:
    return synthetic.Spec(
        county=county,
        seed=seed,
        schools=5,
        pupils=600,
        term_name="2026-2027学年第一学期",
        term_start=date(2026, 9, 1),
        term_end=date(2027, 1, 22),
        last=date(2026, 9, 18),
        weeks=3,
        prefix="TST",
    )


@pytest.fixture
def county(db):
    province = Region.objects.create(code="99", name="测试省", level="province")
    city = Region.objects.create(code="9901", name="测试市", level="city", parent=province)
    return Region.objects.create(code="990101", name="测试县", level="county", parent=city)


def snapshot(prefix: str) -> dict:
    """Counts and a few per-school figures of the generated rows (ids aside)."""
    schools = synthetic.synthetic_schools(prefix)
    per_school = {
        s.code: (
            s.name,
            s.stage,
            s.students.count(),
            Homework.objects.filter(school=s).count(),
            sum(Homework.objects.filter(school=s).values_list("minutes", flat=True)),
            Feedback.objects.filter(school_class__school=s).count(),
            Attendance.objects.filter(session__school=s, state="absent_unexplained").count(),
        )
        for s in schools.order_by("code")
    }
    return per_school


def test_deterministic_for_a_seed(county):
    s = spec(county)
    profiles = synthetic.plan_county(s)
    assert profiles == synthetic.plan_county(s)
    assert len({p.discipline for p in profiles}) == len(profiles)  # the schools differ
    assert sum(p.pupils for p in profiles) == 600
    first = synthetic.generate(s)
    before = snapshot("TST")
    assert first["org.School"] == 5 and first["org.Student"] == 600

    synthetic.delete_synthetic(prefix="TST", county=county)
    assert not School.objects.exists() and not Student.objects.exists()
    assert not User.objects.filter(username__startswith="TST").exists()
    assert not Session.objects.exists() and not Homework.objects.exists()

    assert synthetic.generate(s) == first
    assert snapshot("TST") == before
    other = synthetic.plan_county(spec(county, seed=8))
    assert [p.discipline for p in other] != [p.discipline for p in profiles]


def dangling_references() -> list[str]:
    """Foreign keys (of every model) naming a row that does not exist."""
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                if not isinstance(field, ForeignKey):
                    continue
                table, column = model._meta.db_table, field.column
                target = field.related_model._meta.db_table
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target} t WHERE t.{field.target_field.column} = c.{column})"
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
    return found


@pytest.mark.django_db(transaction=True)
def test_county_on_its_own_transactions_refers_to_real_rows():
    """As the benchmark builds it: outside any transaction, one per school (on PostgreSQL
    several schools at once, without the per-row foreign-key checks), and deleted the same
    way; every reference must still hold."""
    province = Region.objects.create(code="99", name="测试省", level="province")
    city = Region.objects.create(code="9901", name="测试市", level="city", parent=province)
    county = Region.objects.create(code="990101", name="测试县", level="county", parent=city)
    s = dataclasses.replace(spec(county), schools=3, pupils=300, weeks=1)
    counts = synthetic.generate(s)
    assert counts["org.School"] == 3 and counts["afternoon.Attendance"] > 0
    assert Attendance.objects.count() == counts["afternoon.Attendance"]
    assert set(School.objects.values_list("code", flat=True)) == {"TST001", "TST002", "TST003"}
    assert dangling_references() == []

    synthetic.delete_synthetic(prefix="TST", county=county)
    assert not School.objects.exists() and not Attendance.objects.exists()
    assert not User.objects.filter(username__startswith="TST").exists()
    assert dangling_references() == []


def test_records_keep_the_rules(county):
    s = spec(county)
    synthetic.generate(s)
    profiles = {p.code: p for p in synthetic.plan_county(s)}

    # Classes within the size standard; one head teacher each; pupils in their school's grades.
    sizes = SchoolClass.objects.annotate(n=Count("students"))
    for k in sizes.select_related("school"):
        assert 0 < k.n <= synthetic.CLASS_MAX["primary" if k.grade <= 6 else "junior"]
        assert k.grade in k.school.grade_range
    heads = Counter(
        StaffRole.objects.filter(role=Role.HEAD_TEACHER).values_list("school_class", flat=True)
    )
    assert set(heads.values()) == {1} and len(heads) == SchoolClass.objects.count()
    assert (
        StaffRole.objects.filter(role=Role.PRINCIPAL).values("staff__school").distinct().count()
        == 5
    )

    # Homework: written only from grade 3, set by the class's own subject teacher; a day over
    # the limit carries the head teacher's approval, the others are within it.
    taught = set(
        StaffRole.objects.filter(role=Role.SUBJECT_TEACHER).values_list(
            "staff__user", "school_class", "subject"
        )
    )
    loads: dict[tuple[int, date], int] = defaultdict(int)
    approved: set[tuple[int, date]] = set()
    for hw in Homework.objects.select_related("school_class"):
        assert (hw.teacher_id, hw.school_class_id, hw.subject_id) in taught
        assert hw.status == "published" and hw.published_at.date() == hw.date
        if hw.is_written and not hw.elastic:
            assert hw.school_class.grade >= 3
            loads[(hw.school_class_id, hw.date)] += hw.minutes
        if hw.note:
            approved.add((hw.school_class_id, hw.date))
    grades = dict(SchoolClass.objects.values_list("id", "grade"))
    for (klass, day), load in loads.items():
        assert (load > hw_rules.default_limit(grades[klass])) == ((klass, day) in approved)
    assert not Feedback.objects.filter(school_class__grade__lte=2).exists()

    # The discipline shows: the least disciplined school is over the limit on more days.
    school_of = dict(SchoolClass.objects.values_list("id", "school__code"))
    days, over = Counter(), Counter()
    for klass, day in loads:
        days[school_of[klass]] += 1
        over[school_of[klass]] += (klass, day) in approved
    worst = min(profiles.values(), key=lambda p: p.discipline).code
    best = max(profiles.values(), key=lambda p: p.discipline).code
    assert over[worst] / days[worst] > over[best] / days[best]

    # After school: never over capacity, programme within its venue, every closed session's
    # rows final and exactly the programme's allocated pupils, on the programme's weekdays.
    for p in Programme.objects.annotate(
        n=Count("enrolments", filter=Q(enrolments__status="allocated"))
    ).select_related("venue"):
        assert 0 < p.n <= p.capacity <= p.venue.capacity
    weekdays = defaultdict(set)
    for programme, weekday in ProgrammeSlot.objects.values_list("programme", "weekday"):
        weekdays[programme].add(weekday)
    enrolled = defaultdict(set)
    for programme, student in Enrolment.objects.filter(status="allocated").values_list(
        "programme", "student"
    ):
        enrolled[programme].add(student)
    rolls = defaultdict(set)
    states = Counter()
    for session, student, state in Attendance.objects.values_list("session", "student", "state"):
        rolls[session].add(student)
        states[state] += 1
    assert set(states) <= FINAL
    for session in Session.objects.all():
        assert session.status == "closed" and session.closed_by_id
        assert session.date.weekday() in weekdays[session.programme_id]
        assert rolls[session.id] == enrolled[session.programme_id]
    assert states["released"] > states["on_leave"] > states["absent_unexplained"]


def test_demo_schools_are_replaced_on_reload(db):
    today = date(2026, 9, 15)  # two weeks of term keep the test quick
    demo.load_demo(seed=2021)
    first = synthetic.load_synthetic_demo(seed=2021, today=today, schools=4, pupils=400)
    before = snapshot(synthetic.DEMO_PREFIX)
    assert first["org.School"] == 4
    county = Region.objects.get(code=synthetic.DEMO_COUNTY)
    assert county.schools.count() == 4 + 2
    assert Homework.objects.filter(date__gte=today).count() == 0  # records stop yesterday

    again = synthetic.load_synthetic_demo(seed=2021, today=today, schools=4, pupils=400)
    assert again == first and snapshot(synthetic.DEMO_PREFIX) == before
    assert county.schools.count() == 4 + 2

    synthetic.delete_synthetic(prefix=synthetic.DEMO_PREFIX, county=county)
    assert set(county.schools.values_list("code", flat=True)) == {demo.SCHOOL_1, demo.SCHOOL_2}
    assert not User.objects.filter(username__startswith=synthetic.DEMO_PREFIX).exists()
