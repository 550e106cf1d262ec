"""Fees (AS-10) and the proposal page (AS-07): the regional cap, exemptions, the public fee page
and the staff-only exempt list; success, bad input naming the field, denial."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangjian.afterschool import services
from shuangjian.afterschool.models import FeeCap, FeeExemption, Programme
from shuangjian.errors import RuleViolation
from shuangjian.org.access import access_school, operator_access
from shuangjian.org.models import StudentCareFlag
from tests.afterschool_world import lead, parent_of, programme, term, venue

pytestmark = pytest.mark.django_db


def test_strictest_regional_cap_applies(world):
    assert services.fee_cap(world.school) is None
    FeeCap.objects.create(region=world.province, amount=Decimal("300"))
    FeeCap.objects.create(region=world.city, amount=Decimal("200"))
    FeeCap.objects.create(region=world.other_county, amount=Decimal("50"))
    assert services.fee_cap(world.school) == Decimal("200")
    with pytest.raises(RuleViolation) as exc:
        programme(world, "围棋", fee=Decimal("200.01"))
    assert exc.value.field == "fee" and exc.value.numbers["cap"] == "200.00"
    p = programme(world, "象棋", fee=Decimal("200"))
    assert p.status == "approved"


def test_approval_rechecks_a_cap_set_later(world):
    p = programme(world, "书法", approve=False, fee=Decimal("150"))
    FeeCap.objects.create(region=world.county, amount=Decimal("100"))
    with pytest.raises(RuleViolation) as exc:
        services.approve_programme(acc=operator_access(world.school), programme=p)
    assert exc.value.field == "fee"


def test_exemptions_automatic_and_granted(world):
    t = term(world)
    assert not services.is_exempt(world.pupil2, t)
    StudentCareFlag.objects.create(student=world.pupil2, flag="low_income")
    assert services.is_exempt(world.pupil2, t)
    assert not services.is_exempt(world.pupil, t)  # left-behind alone is not exempt
    acc = access_school(world.academic, world.school.id)
    with pytest.raises(ValidationError) as exc:
        services.grant_exemption(acc=acc, student=world.pupil, term=t, reason="  ")
    assert "reason" in exc.value.error_dict
    services.grant_exemption(acc=acc, student=world.pupil, term=t, reason="家庭突发困难")
    assert services.is_exempt(world.pupil, t)
    with pytest.raises(PermissionDenied):
        services.grant_exemption(
            acc=access_school(world.head_teacher, world.school.id),
            student=world.pupil2,
            term=t,
            reason="x",
        )


def test_fee_page_public_without_names_and_exempt_list_for_office(world, login):
    FeeCap.objects.create(region=world.county, amount=Decimal("120"))
    programme(world, "足球", fee=Decimal("80"))
    StudentCareFlag.objects.create(student=world.pupil2, flag="in_difficulty")
    url = reverse("afterschool_fees", args=[world.school.id])
    for user in (world.parent, world.afterschool, world.officer):
        r = login(user).get(url)
        body = r.content.decode()
        assert r.status_code == 200 and "足球" in body and "80.00" in body and "120" in body
        assert "李小红" not in body and "student_no" not in body
    body = login(world.principal).get(url).content.decode()
    assert "李小红" in body and "student_no" in body


def test_fee_page_grants_exemption(world, login):
    url = reverse("afterschool_fees", args=[world.school.id])
    c = login(world.principal)
    r = c.post(url, {"student_no": "nope", "reason": "困难"})
    assert r.status_code == 400 and 'data-field="student_no"' in r.content.decode()
    r = c.post(url, {"student_no": world.pupil.student_no, "reason": ""})
    assert r.status_code == 400 and 'data-field="reason"' in r.content.decode()
    r = c.post(url, {"student_no": world.pupil.student_no, "reason": "困难"})
    assert r.status_code == 302
    assert FeeExemption.objects.get().student == world.pupil


def test_fee_page_denials(world, login):
    url = reverse("afterschool_fees", args=[world.school.id])
    assert login(world.outsider).get(url).status_code == 404
    stranger = parent_of(world.other_pupil, "stranger")
    assert login(stranger).get(url).status_code == 404
    data = {"student_no": world.pupil.student_no, "reason": "x"}
    assert login(world.afterschool).post(url, data).status_code == 403
    assert login(world.parent).post(url, data).status_code == 404
    assert not FeeExemption.objects.exists()


# -- Proposal page (AS-07) ----------------------------------------------------------------------


def _form(world, **kw):
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
        "slot_2_weekday": "3",
        "slot_2_start": "16:00",
        "slot_2_end": "17:30",
    }
    data.update(kw)
    return data


def test_teacher_proposes_a_programme(world, login):
    url = reverse("afterschool_propose", args=[world.school.id])
    c = login(world.subject_teacher)
    assert c.get(url).status_code == 200
    r = c.post(url, _form(world))
    assert r.status_code == 302
    p = Programme.objects.get(name="剪纸")
    assert p.status == "proposed" and p.proposed_by == world.subject_teacher
    assert sorted(p.slots.values_list("weekday", flat=True)) == [1, 3]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"capacity": "x"}, "capacity"),
        ({"capacity": "99"}, "capacity"),
        ({"fee": "abc"}, "fee"),
        ({"fee": "500"}, "fee"),
        ({"venue": ""}, "venue"),
        ({"slot_1_end": "15:00"}, "slots"),
        ({"slot_1_start": "25:99"}, "slots"),
    ],
)
def test_proposal_bad_input_names_the_field(world, login, change, field):
    FeeCap.objects.create(region=world.county, amount=Decimal("100"))
    r = login(world.afterschool).post(
        reverse("afterschool_propose", args=[world.school.id]), _form(world, **change)
    )
    assert r.status_code == 400 and f'data-field="{field}"' in r.content.decode()
    assert not Programme.objects.exists()


def test_proposal_denials(world, login):
    url = reverse("afterschool_propose", args=[world.school.id])
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.parent).get(url).status_code == 404
    assert login(world.duty_leader).get(url).status_code == 403
    assert login(world.duty_leader).post(url, _form(world)).status_code == 403
    assert not Programme.objects.exists()
