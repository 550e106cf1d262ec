"""The role matrix (ORG-03, ORG-04): each role sees and changes only what it may.

Another school's object is a 404 (it does not exist for them); an action inside one's own school
that the role does not allow is a 403.
"""

import pytest
from django.urls import reverse

ALL = [
    "principal",
    "academic",
    "grade_leader",
    "head_teacher",
    "subject_teacher",
    "afterschool",
    "duty_leader",
    "officer",
    "inspector",
    "other_officer",
    "outsider",
    "parent",
]


def expected(allowed: set[str], in_school: set[str]):
    """Status per role: 200 if allowed, 403 if it reaches the school but may not, else 404."""
    return {r: 200 if r in allowed else 403 if r in in_school else 404 for r in ALL}


STAFF = {
    "principal",
    "academic",
    "grade_leader",
    "head_teacher",
    "subject_teacher",
    "afterschool",
    "duty_leader",
}
REACHES_SCHOOL = STAFF | {"officer", "inspector"}

PAGES = {
    "school": (lambda w: reverse("school", args=[w.school.id]), expected(REACHES_SCHOOL, set())),
    "calendar": (
        lambda w: reverse("calendar", args=[w.school.id]),
        expected(REACHES_SCHOOL, set()),
    ),
    "class_3_1": (
        lambda w: reverse("class", args=[w.school.id, w.class_3_1.id]),
        expected({"principal", "academic", "head_teacher", "subject_teacher"}, REACHES_SCHOOL),
    ),
    "class_7_1": (
        lambda w: reverse("class", args=[w.school.id, w.class_7_1.id]),
        expected({"principal", "academic", "grade_leader"}, REACHES_SCHOOL),
    ),
    "roster": (
        lambda w: reverse("roster", args=[w.school.id]),
        expected({"principal", "academic"}, REACHES_SCHOOL),
    ),
    "roster_export": (
        lambda w: reverse("roster_export", args=[w.school.id, "students"]),
        expected({"principal", "academic"}, REACHES_SCHOOL),
    ),
    "roster_template": (
        lambda w: reverse("roster_template", args=[w.school.id, "students"]),
        expected({"principal", "academic"}, REACHES_SCHOOL),
    ),
    "staff_template": (
        lambda w: reverse("roster_template", args=[w.school.id, "staff"]),
        expected({"principal"}, REACHES_SCHOOL),
    ),
    "staff": (
        lambda w: reverse("staff", args=[w.school.id]),
        expected({"principal"}, REACHES_SCHOOL),
    ),
    "region": (
        lambda w: reverse("region", args=[w.county.id]),
        expected({"officer", "inspector"}, set()),
    ),
    # Another school's class reached through this school's URL: never there.
    "foreign_class": (
        lambda w: reverse("class", args=[w.school.id, w.other_class.id]),
        expected(set(), REACHES_SCHOOL - {"officer", "inspector"})
        | {"officer": 404, "inspector": 404}
        | {r: 404 for r in STAFF},
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_matrix(world, client, page):
    url_of, statuses = PAGES[page]
    url = url_of(world)
    for role, status in statuses.items():
        client.force_login(getattr(world, role))
        got = client.get(url).status_code
        assert got == status, f"{role} on {page}: {got}, expected {status}"


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("school", args=[world.school.id]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_care_flags_only_for_those_who_need_them(world, client):
    url = reverse("class", args=[world.school.id, world.class_3_1.id])
    for role, sees in [
        ("principal", True),
        ("academic", True),
        ("head_teacher", True),
        ("subject_teacher", False),
    ]:
        client.force_login(getattr(world, role))
        html = client.get(url).content.decode()
        assert ('class="tag flag"' in html) is sees, role
        assert ("13800000000" in html) is sees, role  # guardian mobile goes with the flags
        assert world.pupil.name in html


def test_add_class_needs_roster_rights(world, client):
    url = reverse("school", args=[world.school.id])
    client.force_login(world.head_teacher)
    assert client.post(url, {"grade": 4, "number": 1}).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url, {"grade": 4, "number": 1}).status_code == 404
    client.force_login(world.academic)
    assert client.post(url, {"grade": 4, "number": 1}).status_code == 302
    assert world.school.classes.filter(grade=4, number=1).exists()


def test_add_class_outside_stage_is_refused_with_reason(world, client):
    client.force_login(world.principal)
    response = client.post(reverse("school", args=[world.school.id]), {"grade": 11, "number": 1})
    assert response.status_code == 200
    assert not world.school.classes.filter(grade=11).exists()
    assert response.context["form"].errors


def test_reset_staff_password_only_by_principal_of_that_school(world, client, password):
    staff = world.head_teacher.staff_posts.get()
    url = reverse("reset_staff_password", args=[world.school.id, staff.id])
    client.force_login(world.academic)
    assert client.post(url).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url).status_code == 404
    # the outsider's own school URL with a foreign staff id: 404 as well
    other_url = reverse("reset_staff_password", args=[world.other_school.id, staff.id])
    assert client.post(other_url).status_code == 404
    world.head_teacher.refresh_from_db()
    assert world.head_teacher.check_password(password)

    client.force_login(world.principal)
    response = client.post(url)
    assert response.status_code == 200
    new_password = response.context["password"]
    world.head_teacher.refresh_from_db()
    assert world.head_teacher.check_password(new_password)
    assert not world.head_teacher.check_password(password)


def test_reset_parent_password(world, client, password):
    url = reverse("reset_parent_password", args=[world.school.id, world.pupil.id, world.parent.id])
    client.force_login(world.head_teacher)
    assert client.post(url).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url).status_code == 404
    client.force_login(world.principal)
    response = client.post(url)
    assert response.status_code == 200
    world.parent.refresh_from_db()
    assert world.parent.check_password(response.context["password"])


def test_inactive_staff_lose_access(world, client):
    staff = world.head_teacher.staff_posts.get()
    staff.active = False
    staff.save()
    client.force_login(world.head_teacher)
    assert client.get(reverse("school", args=[world.school.id])).status_code == 404


def test_home_lists_what_each_role_can_do(world, client):
    client.force_login(world.principal)
    html = client.get(reverse("home")).content.decode()
    assert reverse("roster", args=[world.school.id]) in html
    assert reverse("staff", args=[world.school.id]) in html
    client.force_login(world.subject_teacher)
    html = client.get(reverse("home")).content.decode()
    assert reverse("school", args=[world.school.id]) in html
    assert reverse("roster", args=[world.school.id]) not in html
    client.force_login(world.parent)
    html = client.get(reverse("home")).content.decode()
    assert world.pupil.name in html and world.pupil2.name not in html
    client.force_login(world.officer)
    html = client.get(reverse("home")).content.decode()
    assert reverse("region", args=[world.county.id]) in html


def test_staff_export_is_for_the_principal_only(world, client):
    url = reverse("roster_export", args=[world.school.id, "staff"])
    client.force_login(world.academic)
    assert client.get(url).status_code == 403
    client.force_login(world.principal)
    response = client.get(url)
    assert response.status_code == 200
    assert world.school.audit_events.filter(action="roster_exported").exists()
