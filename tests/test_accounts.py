"""Accounts: login by username or mobile, throttling, parent codes, password resets, tokens."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangjian.org import services
from shuangjian.org.models import AuditEvent, Guardianship, ParentInvite, User


def test_login_by_username_and_by_mobile(world, client, password):
    response = client.post(reverse("login"), {"username": "parent", "password": password})
    assert response.status_code == 302
    client.logout()
    response = client.post(reverse("login"), {"username": "13912345678", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_refused_and_failures_are_throttled(world, client, password, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "parent", "password": "nope"})
        assert response.status_code == 200
        assert not response.wsgi_request.user.is_authenticated
    # Now even the right password is refused, with the throttling reason.
    response = client.post(reverse("login"), {"username": "parent", "password": password})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "login_throttled" in [
        e.code for e in response.context["form"].non_field_errors().as_data()
    ]
    # Another account from another address is not affected.
    other = client.post(
        reverse("login"), {"username": "principal", "password": password}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302


def test_code_creates_parent_account_linked_to_child(world, client):
    [(student, code)] = services.issue_parent_codes(students=[world.pupil2], actor=world.principal)
    assert ParentInvite.objects.get().code_hash != code  # only the hash is stored
    response = client.post(
        reverse("register_parent"),
        {
            "code": code.lower(),
            "name": "李妈妈",
            "relation": "母亲",
            "mobile": "13700001111",
            "password": "Spring-2026!",
            "password2": "Spring-2026!",
        },
    )
    assert response.status_code == 302
    mum = User.objects.get(mobile="13700001111")
    assert list(mum.guardianships.values_list("student_id", flat=True)) == [world.pupil2.id]
    # The code is single-use.
    client.logout()
    again = client.post(
        reverse("register_parent"),
        {
            "code": code,
            "name": "别人",
            "mobile": "13700002222",
            "password": "Spring-2026!",
            "password2": "Spring-2026!",
        },
    )
    assert again.status_code == 200 and "code" in again.context["form"].errors
    assert not User.objects.filter(mobile="13700002222").exists()


def test_one_parent_several_children_two_parents_one_child(world, client, password):
    codes = dict(
        services.issue_parent_codes(students=[world.pupil2, world.pupil2], actor=world.principal)
    )
    # dict keeps the second code for the same pupil; issue one more for the first parent
    [(_, code_for_parent)] = services.issue_parent_codes(
        students=[world.pupil2], actor=world.principal
    )
    client.force_login(world.parent)
    response = client.post(reverse("link_child"), {"code": code_for_parent, "relation": "父亲"})
    assert response.status_code == 302
    assert set(world.parent.guardianships.values_list("student_id", flat=True)) == {
        world.pupil.id,
        world.pupil2.id,
    }
    mum = services.register_parent(
        code=codes[world.pupil2], name="李妈妈", mobile="13700003333", password="Spring-2026!"
    )
    assert Guardianship.objects.filter(student=world.pupil2).count() == 2
    assert mum.guardianships.get().student == world.pupil2


def test_bad_code_and_taken_mobile_change_nothing(world):
    users = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.register_parent(
            code="WRONGCODE1", name="x", mobile="13700004444", password="Spring-2026!"
        )
    assert exc.value.error_dict["code"][0].code == "invalid_code"
    [(_, code)] = services.issue_parent_codes(students=[world.pupil2], actor=world.principal)
    with pytest.raises(ValidationError) as exc:
        services.register_parent(code=code, name="x", mobile="13912345678", password="Spring-2026!")
    assert exc.value.error_dict["mobile"][0].code == "mobile_taken"
    assert User.objects.count() == users
    assert ParentInvite.objects.get().used_at is None  # still usable


def test_issuing_codes_is_limited_to_head_teacher_and_principal(world, client):
    url = reverse("issue_codes", args=[world.school.id, world.class_3_1.id])
    client.force_login(world.subject_teacher)
    assert client.post(url).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url).status_code == 404
    assert not ParentInvite.objects.exists()
    client.force_login(world.head_teacher)
    response = client.post(url, {"student": [world.pupil.id]})
    assert response.status_code == 200
    [(student, code)] = response.context["codes"]
    assert student == world.pupil and code in response.content.decode()
    assert AuditEvent.objects.filter(action="parent_codes_issued").exists()


def test_parent_sees_only_own_children(world, client):
    client.force_login(world.parent)
    assert (
        client.get(reverse("class", args=[world.school.id, world.class_3_1.id])).status_code == 404
    )
    assert client.get(reverse("school", args=[world.school.id])).status_code == 404


def test_class_page_offers_parent_password_reset_to_the_principal_only(world, client):
    url = reverse("class", args=[world.school.id, world.class_3_1.id])
    reset = reverse(
        "reset_parent_password", args=[world.school.id, world.pupil.id, world.parent.id]
    )
    client.force_login(world.principal)
    assert reset in client.get(url).content.decode()
    client.force_login(world.head_teacher)
    assert reset not in client.get(url).content.decode()
