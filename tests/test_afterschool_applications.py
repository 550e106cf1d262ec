"""Voluntary application (AS-03, AS-04): apply → class review → school approval → agreement →
posted list.  Services, then pages: success, bad input naming the field, denial."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangjian.afterschool import selectors, services
from shuangjian.afterschool.models import (
    AgreementSignature,
    Application,
    ApplicationEvent,
    ServiceAgreement,
)
from shuangjian.errors import RuleViolation
from shuangjian.notify.models import Notification
from shuangjian.org.access import access_school, operator_access
from shuangjian.org.models import CareFlag
from tests.afterschool_world import parent_of, term

pytestmark = pytest.mark.django_db


def _field(exc) -> str:
    e = exc.value
    return e.field if getattr(e, "field", None) else next(iter(e.error_dict))


def _apply(world, student=None, user=None):
    return services.apply(
        user=user or world.parent,
        student=student or world.pupil,
        term=term(world),
        wants_homework_tutoring=True,
        note="放学后无人接",
    )


def _approved(world):
    app = _apply(world)
    app = services.review_application(
        acc=access_school(world.head_teacher, world.school.id), application=app, approve=True
    )
    return services.decide_application(
        acc=access_school(world.principal, world.school.id), application=app, approve=True
    )


def _agreement(world, text="安全、紧急情况、提前离校"):
    return services.publish_agreement(
        acc=operator_access(world.school), term=term(world), text=text
    )


# -- Services -----------------------------------------------------------------------------------


def test_full_flow_with_events_and_notifications(world):
    app = _approved(world)
    assert app.status == "approved"
    v1 = _agreement(world)
    services.sign_agreement(user=world.parent, application=app, agreement=v1)
    app.refresh_from_db()
    assert app.status == "agreement_signed"
    assert list(
        ApplicationEvent.objects.filter(application=app).values_list("status", flat=True)
    ) == [
        "submitted",
        "class_reviewed",
        "approved",
        "agreement_signed",
    ]
    assert Notification.objects.filter(user=world.head_teacher).exists()
    assert Notification.objects.filter(user=world.parent).exists()
    assert selectors.participants(world.school, term(world)) == [("张小明", str(world.class_3_1))]


def test_apply_twice_refused_but_returned_may_resend(world):
    app = _apply(world)
    with pytest.raises(RuleViolation) as exc:
        _apply(world)
    assert exc.value.field == "student"
    head = access_school(world.head_teacher, world.school.id)
    with pytest.raises(ValidationError) as exc:
        services.review_application(acc=head, application=app, approve=False, reason=" ")
    assert _field(exc) == "reason"
    services.review_application(acc=head, application=app, approve=False, reason="请补充接送人")
    app = _apply(world)
    assert app.status == "submitted" and app.reason == ""
    assert Application.objects.count() == 1


def test_review_only_by_the_head_teacher_of_the_class(world):
    app = _apply(world)
    for user in (world.subject_teacher, world.afterschool, world.principal):
        with pytest.raises(PermissionDenied):
            services.review_application(
                acc=access_school(user, world.school.id), application=app, approve=True
            )
    # Approval waits for the class review.
    with pytest.raises(RuleViolation) as exc:
        services.decide_application(
            acc=access_school(world.principal, world.school.id), application=app, approve=True
        )
    assert exc.value.code == "wrong_step"


def test_school_declines_only_with_a_reason_and_only_principal_or_academic(world):
    app = _apply(world)
    app = services.review_application(
        acc=access_school(world.head_teacher, world.school.id), application=app, approve=True
    )
    with pytest.raises(PermissionDenied):
        services.decide_application(
            acc=access_school(world.head_teacher, world.school.id), application=app, approve=True
        )
    academic = access_school(world.academic, world.school.id)
    with pytest.raises(ValidationError) as exc:
        services.decide_application(acc=academic, application=app, approve=False, reason="")
    assert _field(exc) == "reason"
    app = services.decide_application(acc=academic, application=app, approve=False, reason="满员")
    assert app.status == "declined" and app.reason == "满员"
    assert selectors.participants(world.school, term(world)) == []


def test_outdated_agreement_refused_and_new_version_resigned(world):
    app = _approved(world)
    v1 = _agreement(world)
    v2 = _agreement(world, "第二版")
    assert (v1.version, v2.version) == (1, 2)
    with pytest.raises(RuleViolation) as exc:
        services.sign_agreement(user=world.parent, application=app, agreement=v1)
    assert exc.value.field == "agreement" and exc.value.code == "outdated_agreement"
    services.sign_agreement(user=world.parent, application=app, agreement=v2)
    with pytest.raises(RuleViolation):
        services.sign_agreement(user=world.parent, application=app, agreement=v2)
    v3 = _agreement(world, "第三版")
    services.sign_agreement(user=world.parent, application=app, agreement=v3)
    assert AgreementSignature.objects.filter(application=app).count() == 2


def test_sign_before_approval_refused(world):
    app = _apply(world)
    v1 = _agreement(world)
    with pytest.raises(RuleViolation) as exc:
        services.sign_agreement(user=world.parent, application=app, agreement=v1)
    assert exc.value.code == "wrong_step"


def test_agreement_needs_text_and_approver(world):
    with pytest.raises(ValidationError) as exc:
        services.publish_agreement(acc=operator_access(world.school), term=term(world), text=" ")
    assert _field(exc) == "text"
    with pytest.raises(PermissionDenied):
        services.publish_agreement(
            acc=access_school(world.afterschool, world.school.id), term=term(world), text="x"
        )
    assert not ServiceAgreement.objects.exists()


def test_list_puts_priority_first_and_shows_why_only_to_those_who_may(world):
    parent2 = parent_of(world.pupil2)
    _apply(world, world.pupil2, parent2)  # no care flag, applied first
    _apply(world)  # 张小明: left-behind
    t = term(world)
    rows = selectors.applications(access_school(world.principal, world.school.id), t)
    assert [r.application.student_id for r in rows] == [world.pupil.id, world.pupil2.id]
    assert rows[0].priority and rows[0].why == [str(CareFlag.LEFT_BEHIND.label)]
    rows = selectors.applications(access_school(world.afterschool, world.school.id), t)
    assert rows[0].priority and rows[0].why == []
    rows = selectors.applications(access_school(world.head_teacher, world.school.id), t)
    assert [r.application.student_id for r in rows] == [world.pupil.id]  # own class only
    assert rows[0].why and rows[0].can_review


# -- Pages --------------------------------------------------------------------------------------


def test_parent_applies_and_signs_on_the_page(world, login):
    c = login(world.parent)
    url = reverse("afterschool_application", args=[world.pupil.id])
    r = c.get(url)
    body = r.content.decode()
    assert r.status_code == 200 and 'type="file"' not in body
    r = c.post(url, {"action": "apply", "wants_homework_tutoring": "on", "note": "谢谢"})
    assert r.status_code == 302
    app = Application.objects.get()
    assert app.wants_homework_tutoring and app.applied_by == world.parent
    r = c.post(url, {"action": "apply"})
    assert r.status_code == 400 and 'data-field="student"' in r.content.decode()
    services.review_application(
        acc=access_school(world.head_teacher, world.school.id), application=app, approve=True
    )
    services.decide_application(acc=operator_access(world.school), application=app, approve=True)
    v1 = _agreement(world)
    v2 = _agreement(world, "第二版")
    r = c.post(url, {"action": "sign", "agreement": v1.id})
    assert r.status_code == 400 and 'data-field="agreement"' in r.content.decode()
    r = c.post(url, {"action": "sign", "agreement": v2.id})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "agreement_signed"


def test_application_page_denials(world, login):
    url = reverse("afterschool_application", args=[world.other_pupil.id])
    assert login(world.parent).get(url).status_code == 404
    assert login(world.principal).get(url).status_code == 404
    r = login(world.parent).post(reverse("afterschool_application", args=[world.pupil.id]), {})
    assert r.status_code == 404


def test_staff_list_review_decide_and_agreement(world, login):
    app = _apply(world)
    url = reverse("afterschool_applications", args=[world.school.id])
    c = login(world.head_teacher)
    r = c.get(url)
    assert r.status_code == 200 and "张小明" in r.content.decode()
    r = c.post(url, {"action": "review", "application": app.id, "decision": "refuse"})
    assert r.status_code == 400 and 'data-field="reason"' in r.content.decode()
    r = c.post(url, {"action": "review", "application": app.id, "decision": "approve"})
    assert r.status_code == 302
    c = login(world.principal)
    r = c.post(url, {"action": "decide", "application": app.id, "decision": "approve"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "approved"
    r = c.post(url, {"action": "agreement", "text": ""})
    assert r.status_code == 400 and 'data-field="text"' in r.content.decode()
    assert c.post(url, {"action": "agreement", "text": "协议"}).status_code == 302
    assert ServiceAgreement.objects.get().version == 1


def test_care_reasons_hidden_from_afterschool_staff_on_the_page(world, login):
    _apply(world)
    url = reverse("afterschool_applications", args=[world.school.id])
    assert "data-why" in login(world.principal).get(url).content.decode()
    body = login(world.afterschool).get(url).content.decode()
    assert "张小明" in body and "data-why" not in body


def test_staff_list_denials(world, login):
    app = _apply(world)
    url = reverse("afterschool_applications", args=[world.school.id])
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.parent).get(url).status_code == 404
    assert login(world.subject_teacher).get(url).status_code == 403
    c = login(world.afterschool)
    r = c.post(url, {"action": "review", "application": app.id, "decision": "approve"})
    assert r.status_code == 403
    r = c.post(url, {"action": "agreement", "text": "x"})
    assert r.status_code == 403
    app.refresh_from_db()
    assert app.status == "submitted"


def test_participants_list_public_to_school_without_care_data(world, login):
    _approved(world)
    url = reverse("afterschool_participants", args=[world.school.id])
    for user in (world.parent, world.subject_teacher):
        body = login(user).get(url).content.decode()
        assert "张小明" in body and str(CareFlag.LEFT_BEHIND.label) not in body
    assert login(world.outsider).get(url).status_code == 404
    stranger = parent_of(world.other_pupil, "stranger")
    assert login(stranger).get(url).status_code == 404
    r = login(world.parent).get(url + "?term=999999")
    assert r.status_code == 404
