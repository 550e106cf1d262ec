"""The demo data set: deterministic, the right size and shape, and its logins do what they say."""

import hashlib
import re
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.http import Http404

from shuangjian.org import demo
from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import (
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

SCHOOLS = (demo.SCHOOL_1, demo.SCHOOL_2)


def digest() -> str:
    """A hash of every demo row by natural keys (ids and timestamps differ between loads)."""
    tables = [
        Region.objects.values_list("code", "name", "level", "parent__code"),
        School.objects.values_list("code", "name", "stage", "county__code"),
        Term.objects.values_list("school__code", "name", "start", "end"),
        Vacation.objects.values_list("school__code", "kind", "name", "start", "end"),
        Subject.objects.values_list("school__code", "name"),
        Venue.objects.values_list("school__code", "name", "kind", "capacity"),
        SchoolClass.objects.values_list("school__code", "grade", "number"),
        Student.objects.values_list(
            "school__code",
            "school_class__grade",
            "school_class__number",
            "student_no",
            "name",
            "gender",
            "registry_no",
            "birth_date",
            "guardian_name",
            "guardian_mobile",
        ),  # fmt: skip
        StudentCareFlag.objects.values_list("student__school__code", "student__student_no", "flag"),
        User.objects.values_list("username", "display_name", "mobile", "password"),
        Staff.objects.values_list("school__code", "staff_no", "name", "user__username"),
        StaffRole.objects.values_list(
            "staff__school__code",
            "staff__staff_no",
            "role",
            "grade",
            "school_class__grade",
            "school_class__number",
            "subject__name",
        ),  # fmt: skip
        RegionRole.objects.values_list("user__username", "region__code", "kind"),
        Guardianship.objects.values_list(
            "user__username", "student__school__code", "student__student_no", "relation"
        ),
    ]
    text = "\n".join(repr(sorted(map(repr, rows))) for rows in tables)
    return hashlib.sha256(text.encode()).hexdigest()


def test_name_lists_are_big_enough():
    surnames = [s for s, _w in demo.SURNAMES]
    assert len(set(surnames)) == len(surnames) >= 60
    assert len(set(demo.BOY_CHARS)) >= 80 and len(set(demo.GIRL_CHARS)) >= 80
    assert demo.id_check_digit("11010519491231002") == "X"  # the GB 11643 worked example


def test_same_seed_gives_the_same_data(db):
    first = demo.load_demo()
    before = digest()
    again = demo.load_demo(reset=True)
    assert again == first
    assert digest() == before
    assert School.objects.filter(code__in=SCHOOLS).count() == 2  # the reset removed the old
    assert User.objects.values("password").distinct().count() == 1  # one hash for everyone
    assert Student.objects.count() > 1400


def test_demo_shape_and_logins(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    table = out.getvalue()
    for username in demo.DEMO_USERNAMES:
        assert re.search(rf"\s{username}\s+{demo.DEMO_PASSWORD}\s", table)
    assert "校长" in table

    # Regions, schools, calendar, venues.
    jianping = Region.objects.get(code="211322")
    assert (jianping.name, jianping.parent.name, jianping.parent.parent.name) == (
        "建平县",
        "朝阳市",
        "辽宁省",
    )
    s1 = School.objects.get(code=demo.SCHOOL_1)
    s2 = School.objects.get(code=demo.SCHOOL_2)
    assert s1.county.code == s2.county.code == "211381"
    now = Term.objects.get(school=s1, start__lte=date(2026, 11, 15), end__gte=date(2026, 11, 15))
    assert now.name == "2026-2027学年第一学期"
    assert Term.objects.filter(school=s2).count() == 3
    assert sorted(Vacation.objects.filter(school=s1).values_list("kind", flat=True)) == [
        "summer",
        "summer",
        "winter",
    ]
    # The school's seven special venues (the after-school demo adds classrooms beside them).
    named = {"操场", "体育馆", "图书馆", "科学实验室", "音乐教室", "美术教室", "报告厅"}
    assert named <= set(Venue.objects.filter(school=s1).values_list("name", flat=True))
    assert "物理" in set(Subject.objects.filter(school=s1).values_list("name", flat=True))
    assert "物理" not in set(Subject.objects.filter(school=s2).values_list("name", flat=True))

    # Classes and pupils.
    assert SchoolClass.objects.filter(school=s1).count() == 27
    assert SchoolClass.objects.filter(school=s2).count() == 12
    pupils = Student.objects.filter(school=s1)
    assert 1100 <= pupils.count() <= 1300
    sizes = Counter(pupils.values_list("school_class", flat=True))
    assert min(sizes.values()) >= 42 and max(sizes.values()) <= 48
    assert 0.49 <= pupils.filter(gender="M").count() / pupils.count() <= 0.53
    for grade, born, registry_no, mobile in pupils.values_list(
        "school_class__grade", "birth_date", "registry_no", "guardian_mobile"
    ):
        assert date(2019 - grade + 1, 9, 1) <= born <= date(2020 - grade + 1, 8, 31)
        assert re.fullmatch(r"G\d{18}", registry_no) and registry_no[7:15] == f"{born:%Y%m%d}"
        assert demo.id_check_digit(registry_no[1:18]) == registry_no[18]
        assert re.fullmatch(r"1[3-9]\d{9}", mobile)
    real = Student.objects.filter(school__in=(s1, s2))  # the generated schools' pupils aside
    registry = real.values_list("registry_no", flat=True)
    assert len(set(registry)) == len(registry)
    shared = Counter(real.values_list("guardian_mobile", flat=True))
    assert [n for n in shared.values() if n > 1] == [2]  # only the demo siblings share

    # Care flags in the stated proportions (±50%).
    flags = Counter(
        StudentCareFlag.objects.filter(student__school=s1).values_list("flag", flat=True)
    )
    for flag, share in demo.CARE_FLAG_SHARES.items():
        assert 0.5 * share <= flags[flag] / pupils.count() <= 1.5 * share, flag

    # Staff: one head teacher per class, teachers for the main subjects, the school posts.
    for school in (s1, s2):
        heads = SchoolClass.objects.filter(school=school).annotate(
            n=Count("staff_roles", filter=Q(staff_roles__role=Role.HEAD_TEACHER))
        )
        assert {k.n for k in heads} == {1}
    for klass in SchoolClass.objects.filter(school=s1):
        taught = set(
            klass.staff_roles.filter(role=Role.SUBJECT_TEACHER).values_list(
                "subject__name", flat=True
            )
        )
        assert {"语文", "数学", "体育", "音乐", "美术"} <= taught
        assert ("英语" in taught) == (klass.grade >= 3)
    posts = Counter(StaffRole.objects.filter(staff__school=s1).values_list("role", flat=True))
    assert posts[Role.PRINCIPAL] == 1 and posts[Role.ACADEMIC] == 2
    assert posts[Role.GRADE_LEADER] == 9 and posts[Role.AFTERSCHOOL] == 3
    assert posts[Role.DUTY_LEADER] == 2
    assert Staff.objects.filter(school=s1, user__username="BP001-T0003").exists()

    # What the demo logins see.
    users = {u.username: u for u in User.objects.filter(username__in=demo.DEMO_USERNAMES)}
    c31, c32, c33 = SchoolClass.objects.filter(school=s1, grade=3)
    banzhuren = access_school(users["banzhuren"], s1.id)
    assert banzhuren.head_class_ids == {c31.id} and banzhuren.can_see_care_flags(c31)
    assert StaffRole.objects.filter(
        staff__user=users["banzhuren"], school_class=c31, subject__name="语文"
    ).exists()
    shuxue = access_school(users["shuxue"], s1.id)
    assert shuxue.taught_class_ids == {c31.id, c32.id} and not shuxue.head_class_ids
    assert not shuxue.can_see_care_flags(c31) and not shuxue.can_view_roster(c33)
    nianji3 = access_school(users["nianji3"], s1.id)
    assert nianji3.led_grades == {3} and nianji3.head_class_ids == {c32.id}
    assert access_school(users["principal"], s1.id).can("manage_staff")
    for official in ("duxue", "jiaoyuju", "shi"):
        assert access_school(users[official], s1.id).official is not None
    with pytest.raises(Http404):
        access_school(users["outsider"], s1.id)
    assert access_school(users["outsider"], s2.id).roles == {Role.PRINCIPAL}

    # Parents: one parent with two children, two parents of one child, ~50 others.
    children = list(Student.objects.filter(guardianships__user=users["parent"]))
    assert sorted(c.school_class.grade for c in children) == [3, 7]
    assert children[0].name[0] == children[1].name[0]
    for child in children:
        assert access_child(users["parent"], child.id) == child
    (shared_child,) = Student.objects.filter(guardianships__user=users["parent2"])
    assert shared_child in children and shared_child.guardianships.count() == 2
    # (The after-school demo adds accounts "jz<student no>" for the families that applied, and
    # the generated schools "<school code>-P.." for a few parents each.)
    others = (
        User.objects.filter(guardianships__isnull=False)
        .exclude(username__startswith="parent")
        .exclude(username__startswith="jz")
        .exclude(username__startswith="BPS")
    )
    assert others.count() == 50
    assert all(u.username == u.mobile for u in others)
    assert users["parent"].check_password(demo.DEMO_PASSWORD)

    # A second load without --reset refuses and changes nothing.
    with pytest.raises(CommandError, match="--reset"):
        call_command("load_demo", stdout=StringIO())
    with pytest.raises(demo.DemoDataExists):
        demo.load_demo()
    assert School.objects.filter(code__in=SCHOOLS).count() == 2
