"""Outside staff (AS-07): retired teachers, vetted professionals and volunteers admitted through
the school's approval with qualification records, a background check and a validity date; only
approved, unexpired people may be attached to a programme.  Success, refusals naming their field
or code, denial, expiry."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from shuangjian.afterschool import services
from shuangjian.afterschool.models import OutsideStaff, Programme
from shuangjian.errors import RuleViolation
from shuangjian.org.access import access_school, operator_access
from tests.afterschool_world import lead, programme, term, venue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English labels: the pages speak English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _today():
    return timezone.localdate()


def _register(world, user=None, **kw):
    data = {
        "name": "王师傅",
        "kind": "heritage_bearer",
        "mobile": "13800138000",
        "qualification": "省级非遗剪纸传承人，证书编号 2019-031",
        "valid_until": _today() + timedelta(days=365),
        "background_check_confirmed": True,
    }
    data.update(kw)
    return services.register_outside_staff(
        acc=access_school(user or world.afterschool, world.school.id), **data
    )


def _approved(world, **kw):
    person = _register(world, **kw)
    return services.approve_outside_staff(
        acc=access_school(world.academic, world.school.id), person=person
    )


def test_register_approve_and_attach(world):
    person = _register(world)
    assert person.status == "applied" and person.created_by == world.afterschool
    assert person.confirmed_by == world.afterschool and person.confirmed_on == _today()
    person = services.approve_outside_staff(
        acc=access_school(world.principal, world.school.id), person=person
    )
    assert person.status == "approved" and person.decided_by == world.principal
    p = programme(world, "剪纸", outside_staff=person)
    assert p.status == "approved" and p.outside_staff == person


def test_existing_signature_still_works_without_outside_staff(world):
    p = programme(world, "足球")
    assert p.outside_staff is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "wizard"}, "kind"),
        ({"mobile": "12345"}, "mobile"),
        ({"qualification": "  "}, "qualification"),
        ({"valid_until": None}, "valid_until"),
        ({"valid_until": "past"}, "valid_until"),
    ],
)
def test_register_bad_input_names_the_field(world, change, field):
    if change.get("valid_until") == "past":
        change = {"valid_until": _today() - timedelta(days=1)}
    with pytest.raises(ValidationError) as exc:
        _register(world, **change)
    assert field in exc.value.error_dict
    assert not OutsideStaff.objects.exists()


def test_approval_needs_background_check(world):
    person = _register(world, background_check_confirmed=False)
    acc = access_school(world.academic, world.school.id)
    with pytest.raises(RuleViolation) as exc:
        services.approve_outside_staff(acc=acc, person=person)
    assert exc.value.code == "background_check_missing"
    assert exc.value.field == "background_check_confirmed"
    person = services.confirm_background_check(
        acc=access_school(world.afterschool, world.school.id), person=person
    )
    assert services.approve_outside_staff(acc=acc, person=person).status == "approved"


def test_approval_refused_once_expired(world):
    person = _register(world)
    OutsideStaff.objects.filter(id=person.id).update(valid_until=_today())
    person.refresh_from_db()
    with pytest.raises(RuleViolation) as exc:
        services.approve_outside_staff(
            acc=access_school(world.academic, world.school.id), person=person
        )
    assert exc.value.code == "expired" and exc.value.field == "valid_until"


def test_reject_needs_reason(world):
    person = _register(world)
    acc = access_school(world.principal, world.school.id)
    with pytest.raises(ValidationError) as exc:
        services.reject_outside_staff(acc=acc, person=person, reason=" ")
    assert "reason" in exc.value.error_dict
    person = services.reject_outside_staff(acc=acc, person=person, reason="资质证明不全")
    assert person.status == "rejected" and person.reason == "资质证明不全"


def test_only_principal_or_academic_approve(world):
    person = _register(world)
    for user in (world.subject_teacher, world.afterschool, world.head_teacher):
        acc = access_school(user, world.school.id)
        with pytest.raises(PermissionDenied):
            services.approve_outside_staff(acc=acc, person=person)
        with pytest.raises(PermissionDenied):
            services.reject_outside_staff(acc=acc, person=person, reason="x")
    with pytest.raises(PermissionDenied):
        _register(world, user=world.subject_teacher)
    person.refresh_from_db()
    assert person.status == "applied"


def test_unapproved_or_rejected_person_cannot_be_attached(world):
    person = _register(world)
    with pytest.raises(RuleViolation) as exc:
        programme(world, "剪纸", outside_staff=person)
    assert exc.value.field == "outside_staff" and exc.value.code == "outside_staff_not_approved"
    assert not Programme.objects.exists()


def test_rejection_after_proposal_blocks_approval(world):
    person = _approved(world)
    p = programme(world, "剪纸", approve=False, outside_staff=person)
    services.reject_outside_staff(
        acc=access_school(world.principal, world.school.id), person=person, reason="撤销"
    )
    with pytest.raises(RuleViolation) as exc:
        services.approve_programme(acc=operator_access(world.school), programme=p)
    assert exc.value.field == "outside_staff"
    p.refresh_from_db()
    assert p.status == "proposed"


def test_expired_person_cannot_be_attached_or_approved(world):
    person = _approved(world)
    p = programme(world, "剪纸", approve=False, outside_staff=person)
    OutsideStaff.objects.filter(id=person.id).update(valid_until=_today() - timedelta(days=1))
    person.refresh_from_db()
    with pytest.raises(RuleViolation) as exc:
        services.approve_programme(acc=operator_access(world.school), programme=p)
    assert exc.value.field == "outside_staff" and exc.value.code == "outside_staff_expired"
    with pytest.raises(RuleViolation) as exc:
        programme(world, "泥塑", outside_staff=person)
    assert exc.value.field == "outside_staff"
    # The last valid day still counts.
    OutsideStaff.objects.filter(id=person.id).update(valid_until=_today())
    assert services.approve_programme(acc=operator_access(world.school), programme=p).status == (
        "approved"
    )


def test_person_of_another_school_is_refused(world):
    person = _approved(world)
    OutsideStaff.objects.filter(id=person.id).update(school=world.other_school)
    person.refresh_from_db()
    with pytest.raises(PermissionDenied):
        programme(world, "剪纸", outside_staff=person)
    with pytest.raises(PermissionDenied):
        services.approve_outside_staff(
            acc=access_school(world.academic, world.school.id), person=person
        )


# -- Pages --------------------------------------------------------------------------------------


def _url(world):
    return reverse("afterschool_outside_staff", args=[world.school.id])


def _form(**kw):
    data = {
        "action": "register",
        "name": "李教练",
        "kind": "coach",
        "mobile": "13912345678",
        "qualification": "国家二级足球教练员",
        "valid_until": (_today() + timedelta(days=200)).isoformat(),
        "background_check": "1",
    }
    data.update(kw)
    return data


def test_page_register_approve_reject(world, login):
    c = login(world.afterschool)
    r = c.get(_url(world))
    assert r.status_code == 200 and "Register" in r.content.decode()
    assert c.post(_url(world), _form()).status_code == 302
    person = OutsideStaff.objects.get()
    assert person.kind == "coach" and person.background_check_confirmed
    c = login(world.principal)
    assert c.post(_url(world), {"action": "approve", "person": person.id}).status_code == 302
    person.refresh_from_db()
    assert person.status == "approved"
    body = c.get(_url(world)).content.decode()
    assert "李教练" in body and "13912345678" in body
    r = c.post(_url(world), {"action": "reject", "person": person.id, "reason": ""})
    assert r.status_code == 400 and 'data-field="reason"' in r.content.decode()
    r = c.post(_url(world), {"action": "reject", "person": person.id, "reason": "合同到期"})
    assert r.status_code == 302
    person.refresh_from_db()
    assert person.status == "rejected"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"kind": "x"}, "kind"),
        ({"mobile": "2345678901"}, "mobile"),
        ({"qualification": ""}, "qualification"),
        ({"valid_until": "2020-13-45"}, "valid_until"),
        ({"valid_until": "2000-01-01"}, "valid_until"),
    ],
)
def test_page_register_bad_input_names_the_field(world, login, change, field):
    r = login(world.academic).post(_url(world), _form(**change))
    assert r.status_code == 400 and f'data-field="{field}"' in r.content.decode()
    assert not OutsideStaff.objects.exists()


def test_page_approval_without_background_check(world, login):
    login(world.afterschool).post(_url(world), _form(background_check=""))
    person = OutsideStaff.objects.get()
    c = login(world.academic)
    r = c.post(_url(world), {"action": "approve", "person": person.id})
    assert r.status_code == 400 and 'data-field="background_check_confirmed"' in r.content.decode()
    assert c.post(_url(world), {"action": "confirm", "person": person.id}).status_code == 302
    assert c.post(_url(world), {"action": "approve", "person": person.id}).status_code == 302
    person.refresh_from_db()
    assert person.status == "approved" and person.confirmed_by == world.academic


def test_page_denials(world, login):
    person = _register(world)
    url = _url(world)
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.outsider).post(url, _form()).status_code == 404
    assert login(world.parent).get(url).status_code == 404
    c = login(world.subject_teacher)
    assert c.get(url).status_code == 200
    assert c.post(url, {"action": "approve", "person": person.id}).status_code == 403
    assert c.post(url, {"action": "reject", "person": person.id, "reason": "x"}).status_code == 403
    assert c.post(url, _form()).status_code == 403
    assert (
        login(world.afterschool).post(url, {"action": "approve", "person": person.id}).status_code
        == 403
    )
    assert login(world.duty_leader).get(url).status_code == 403
    # Another school's principal cannot act on this school's person through their own school.
    other_url = reverse("afterschool_outside_staff", args=[world.other_school.id])
    r = login(world.outsider).post(other_url, {"action": "approve", "person": person.id})
    assert r.status_code == 404
    person.refresh_from_db()
    assert person.status == "applied" and OutsideStaff.objects.count() == 1


def test_propose_page_offers_only_valid_approved_people(world, login):
    valid = _approved(world, name="赵老师", kind="retired_teacher")
    expired = _approved(world, name="钱画家", kind="artist")
    OutsideStaff.objects.filter(id=expired.id).update(valid_until=_today() - timedelta(days=1))
    _register(world, name="孙志愿", kind="volunteer")
    url = reverse("afterschool_propose", args=[world.school.id])
    c = login(world.subject_teacher)
    body = c.get(url).content.decode()
    assert "赵老师" in body and "钱画家" not in body and "孙志愿" not in body
    data = {
        "name": "剪纸",
        "category": "arts",
        "grade_from": "3",
        "grade_to": "6",
        "capacity": "20",
        "venue": venue(world, "美术室", 30).id,
        "lead": lead(world).id,
        "fee": "0",
        "slot_1_weekday": "1",
        "slot_1_start": "16:00",
        "slot_1_end": "17:30",
    }
    r = c.post(url, {**data, "outside_staff": expired.id})
    assert r.status_code == 400 and 'data-field="outside_staff"' in r.content.decode()
    r = c.post(url, {**data, "outside_staff": "999999"})
    assert r.status_code == 400 and 'data-field="outside_staff"' in r.content.decode()
    assert not Programme.objects.exists()
    assert c.post(url, {**data, "outside_staff": valid.id}).status_code == 302
    p = Programme.objects.get(term=term(world))
    assert p.outside_staff == valid
    body = c.get(reverse("afterschool", args=[world.school.id])).content.decode()
    assert "赵老师" in body and "Retired teacher" in body
