"""The homework pages (HW-01 … HW-08): each page's success and denial, and the main workflows
end to end through the pages — publish, hold and approve, refuse a forbidden practice, and a
parent's feedback."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangjian.homework import services
from shuangjian.homework.models import (
    ClassWeekAudit,
    DayKind,
    Feedback,
    Grading,
    Homework,
    RulesDocument,
    SubjectPlan,
)
from shuangjian.rules.homework import LIMIT_SOURCE
from tests.world import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


def class_url(name, w, klass=None):
    klass = klass or w.class_3_1
    return reverse(name, args=[klass.school_id, klass.id])


def publish_data(w, day, **extra):
    data = {
        "action": "publish",
        "subject": w.maths.id,
        "day": day.isoformat(),
        "content": "数学练习册第12页",
        "kind": "basic",
        "minutes": 20,
        "confirm_not_punitive": "on",
    }
    data.update(extra)
    return data


def publish(w, teacher, subject, day, minutes, content="练习"):
    return services.publish_homework(
        teacher=teacher,
        klass=w.class_3_1,
        subject=subject,
        day=day,
        content=content,
        kind="basic",
        minutes=minutes,
        confirm_not_punitive=True,
    ).homework


# -- Class day page ------------------------------------------------------------------------


def test_class_day_page_shows_budget_and_items(world, login, today):
    publish(world, world.subject_teacher, world.maths, today, 25, "口算两页")
    response = login(world.head_teacher).get(class_url("homework_class", world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "口算两页" in body
    assert response.context["budget"].used == 25
    assert response.context["budget"].remaining == 35
    assert response.context["publish_form"] is not None  # the head teacher also teaches 语文


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("other_officer", 404),
        ("parent", 404),
        ("afterschool", 403),
        ("grade_leader", 403),  # leads grade 7, not grade 3
        ("officer", 200),
        ("academic", 200),
    ],
)
def test_class_day_access(world, login, who, status):
    response = login(getattr(world, who)).get(class_url("homework_class", world))
    assert response.status_code == status


def test_other_schools_class_is_not_found(world, login):
    url = reverse("homework_class", args=[world.school.id, world.other_class.id])
    assert login(world.principal).get(url).status_code == 404


def test_malformed_dates_fall_back_to_today(world, login, today):
    client = login(world.principal)
    for url in (
        class_url("homework_class", world) + "?date=2026-13-45",
        class_url("homework_week", world) + "?start=yesterday",
        class_url("homework_board", world) + "?date=0001-01-01",
        reverse("homework_report", args=[world.school.id]) + "?start=x&end=2026-02-30",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    response = client.get(class_url("homework_class", world) + "?date=nonsense")
    assert response.context["day"] == today


def test_subject_teacher_publishes_and_the_parent_sees_it(world, login, today):
    response = login(world.subject_teacher).post(
        class_url("homework_class", world), publish_data(world, today), follow=True
    )
    assert response.status_code == 200
    hw = Homework.objects.get()
    assert (hw.status, hw.subject, hw.teacher, hw.minutes) == (
        "published",
        world.maths,
        world.subject_teacher,
        20,
    )
    assert "数学练习册第12页" in response.content.decode()

    page = login(world.parent).get(reverse("child_homework", args=[world.pupil.id]))
    assert page.status_code == 200
    assert "数学练习册第12页" in page.content.decode()
    assert page.context["total"] == 20


def test_tiers_and_personal_items_through_the_page(world, login, today):
    client = login(world.subject_teacher)
    data = publish_data(
        world,
        today,
        tier1_name="A",
        tier1_minutes=15,
        tier1_pupils=[world.pupil.id],
        tier2_name="B",
        tier2_minutes=25,
    )
    client.post(class_url("homework_class", world), data)
    hw = Homework.objects.get()
    assert [(t.name, t.minutes) for t in hw.tiers.all()] == [("A", 15), ("B", 25)]
    page = login(world.parent).get(reverse("child_homework", args=[world.pupil.id]))
    assert page.context["items"][0]["minutes"] == 15  # the child's own tier

    # A tier without minutes is an error on that tier's field.
    client = login(world.subject_teacher)
    response = client.post(
        class_url("homework_class", world), publish_data(world, today, tier3_name="C")
    )
    assert "tier3_minutes" in response.context["publish_form"].errors

    # A personal item for a pupil of this class: the child's parent sees it, the class page
    # marks it; a pupil of another class is refused on the field.
    other = publish_data(world, today, content="订正", personal_pupil_ids=[world.pupil2.id])
    response = client.post(class_url("homework_class", world), other)
    assert "personal_pupil_ids" in response.context["publish_form"].errors
    mine = publish_data(world, today, content="订正第5题", personal_pupil_ids=[world.pupil.id])
    response = client.post(class_url("homework_class", world), mine, follow=True)
    assert Homework.objects.get(content="订正第5题").personal
    assert "订正第5题" in response.content.decode()
    page = login(world.parent).get(reverse("child_homework", args=[world.pupil.id]))
    assert "订正第5题" in page.content.decode()


def test_publishing_a_subject_not_taught_here_is_forbidden(world, login, today):
    client = login(world.subject_teacher)  # teaches 数学, not 语文
    response = client.post(
        class_url("homework_class", world), publish_data(world, today, subject=world.chinese.id)
    )
    assert response.status_code == 403
    # Someone who teaches nothing in the class cannot publish at all.
    response = login(world.principal).post(
        class_url("homework_class", world), publish_data(world, today)
    )
    assert response.status_code == 403
    assert not Homework.objects.exists()


def test_forbidden_phrase_is_refused_with_the_rule(world, login, today):
    response = login(world.subject_teacher).post(
        class_url("homework_class", world),
        publish_data(world, today, content="完成练习册第3页，请家长批改"),
    )
    assert response.status_code == 200
    form = response.context["publish_form"]
    assert "content" in form.errors
    assert "HW-05" in form.errors["content"][0]
    assert "HW-05" in response.content.decode()
    assert not Homework.objects.exists()


def test_the_confirmation_is_required(world, login, today):
    data = publish_data(world, today)
    del data["confirm_not_punitive"]
    response = login(world.subject_teacher).post(class_url("homework_class", world), data)
    assert "confirm_not_punitive" in response.context["publish_form"].errors
    assert not Homework.objects.exists()


def test_bad_minutes_name_the_field(world, login, today):
    response = login(world.subject_teacher).post(
        class_url("homework_class", world), publish_data(world, today, minutes="abc")
    )
    assert "minutes" in response.context["publish_form"].errors
    assert not Homework.objects.exists()


def test_over_the_limit_is_held_and_the_head_teacher_approves_it_trimmed(world, login, today):
    publish(world, world.head_teacher, world.chinese, today, 40)
    response = login(world.subject_teacher).post(
        class_url("homework_class", world), publish_data(world, today, minutes=30), follow=True
    )
    hw = Homework.objects.get(subject=world.maths)
    assert hw.status == "pending"
    assert "60" in response.content.decode()  # the held message names the limit

    # Only the head teacher approves.
    approve = {"action": "approve", "homework": hw.id, "minutes": 20, "note": "压缩到20分钟"}
    assert (
        login(world.subject_teacher).post(class_url("homework_class", world), approve).status_code
        == 403
    )

    client = login(world.head_teacher)
    page = client.get(class_url("homework_class", world))
    assert [row["hw"].id for row in page.context["pending"]] == [hw.id]
    # Approving untrimmed would pass the limit: refused, named, still pending.
    response = client.post(
        class_url("homework_class", world), {"action": "approve", "homework": hw.id}
    )
    assert response.status_code == 200
    assert "HW-02" in str(response.context["pending"][0]["form"].errors)
    hw.refresh_from_db()
    assert hw.status == "pending"

    response = client.post(class_url("homework_class", world), approve)
    assert response.status_code == 302
    hw.refresh_from_db()
    assert (hw.status, hw.minutes, hw.note) == ("published", 20, "压缩到20分钟")


def test_returning_needs_a_note(world, login, today):
    publish(world, world.head_teacher, world.chinese, today, 50)
    hw = publish(world, world.subject_teacher, world.maths, today, 30)
    assert hw.status == "pending"
    client = login(world.head_teacher)
    response = client.post(
        class_url("homework_class", world), {"action": "return", "homework": hw.id, "note": ""}
    )
    assert "note" in response.context["pending"][0]["form"].errors
    client.post(
        class_url("homework_class", world),
        {"action": "return", "homework": hw.id, "note": "今天语文较多"},
    )
    hw.refresh_from_db()
    assert (hw.status, hw.note) == ("returned", "今天语文较多")


def test_withdraw_and_grading_by_the_teacher_only(world, login, today):
    hw = publish(world, world.subject_teacher, world.maths, today, 20)
    url = class_url("homework_class", world)
    grade = {"action": "grade", "homework": hw.id, "full": "on", "face_to_face": 3}
    assert login(world.head_teacher).post(url, grade).status_code == 403
    assert (
        login(world.head_teacher).post(url, {"action": "withdraw", "homework": hw.id}).status_code
        == 403
    )

    client = login(world.subject_teacher)
    response = client.post(url, {**grade, "face_to_face": 500})
    assert "face_to_face" in response.context["own_items"][0]["form"].errors
    client.post(url, grade)
    assert Grading.objects.get(homework=hw).face_to_face == 3

    client.post(url, {"action": "withdraw", "homework": hw.id})
    hw.refresh_from_db()
    assert hw.status == "withdrawn"


def test_budget_preview_partial(world, login, today):
    publish(world, world.head_teacher, world.chinese, today, 40)
    url = class_url("homework_class", world)
    response = login(world.subject_teacher).get(
        url,
        {
            "partial": "budget",
            "day": today.isoformat(),
            "subject": world.maths.id,
            "minutes": 30,
            "kind": "basic",
        },
    )
    assert response.status_code == 200
    assert response.context["after"] == 70
    assert response.context["over"] is True
    assert "<html" not in response.content.decode()


# -- Week, board, grade -----------------------------------------------------------------------


def test_week_page_and_subject_plan(world, login, today):
    publish(world, world.subject_teacher, world.maths, today, 20)
    client = login(world.head_teacher)
    url = class_url("homework_week", world)
    response = client.get(url, {"start": today.isoformat()})
    assert response.status_code == 200
    assert response.context["grid"]["rows"][0]["subject"] == "数学"

    response = client.post(url, {"subject": world.maths.id, "minutes": 61})
    assert "minutes" in response.context["form"].errors  # over the class limit of 60
    client.post(url, {"subject": world.maths.id, "minutes": 25})
    assert SubjectPlan.objects.get(school_class=world.class_3_1, subject=world.maths).minutes == 25


@pytest.mark.parametrize(
    ("who", "method", "status"),
    [
        ("subject_teacher", "get", 200),
        ("inspector", "get", 200),
        ("subject_teacher", "post", 403),
        ("afterschool", "get", 403),
        ("outsider", "get", 404),
    ],
)
def test_week_page_access(world, login, who, method, status):
    client = login(getattr(world, who))
    url = class_url("homework_week", world)
    response = getattr(client, method)(url, {"subject": world.maths.id, "minutes": 20})
    assert response.status_code == status
    assert not SubjectPlan.objects.exists()


def test_notice_board(world, login, today):
    publish(world, world.subject_teacher, world.maths, today, 20, "背诵乘法口诀")
    response = login(world.subject_teacher).get(class_url("homework_board", world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "背诵乘法口诀" in body
    assert LIMIT_SOURCE.document in body
    assert "window.print()" in body


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("duty_leader", 403)])
def test_notice_board_denied(world, login, who, status):
    response = login(getattr(world, who)).get(class_url("homework_board", world))
    assert response.status_code == status


def test_grade_week(world, login, today):
    publish(world, world.head_teacher, world.chinese, today, 40)
    publish(world, world.subject_teacher, world.maths, today, 30)  # held
    response = login(world.academic).get(
        reverse("homework_grade", args=[world.school.id, 3]), {"start": today.isoformat()}
    )
    assert response.status_code == 200
    rows = {r["row"].klass.id: r["row"] for r in response.context["rows"]}
    assert rows[world.class_3_1.id].pending == 1
    assert 40 in rows[world.class_3_1.id].totals
    assert (
        login(world.grade_leader)
        .get(reverse("homework_grade", args=[world.school.id, 7]))
        .status_code
        == 200
    )


@pytest.mark.parametrize(
    ("who", "grade", "status"),
    [
        ("grade_leader", 3, 403),
        ("head_teacher", 3, 403),
        ("outsider", 3, 404),
        ("academic", 12, 404),
    ],
)
def test_grade_week_denied(world, login, who, grade, status):
    url = reverse("homework_grade", args=[world.school.id, grade])
    assert login(getattr(world, who)).get(url).status_code == status


# -- Parent page and feedback --------------------------------------------------------------


def test_parent_page_renders_with_the_world(world, login):
    response = login(world.parent).get(reverse("child_homework", args=[world.pupil.id]))
    assert response.status_code == 200
    assert world.pupil.name in response.content.decode()
    assert 'name="minutes"' in response.content.decode()  # no items: a total


def test_parent_submits_feedback_in_one_post(world, login, today):
    hw = publish(world, world.subject_teacher, world.maths, today, 20)
    url = reverse("child_homework", args=[world.pupil.id])
    client = login(world.parent)
    page = client.get(url)
    assert page.context["form"][f"item_{hw.id}"].value() == 20  # prefilled with the estimate
    response = client.post(url + f"?date={today}", {f"item_{hw.id}": 25, "mostly_at_school": "no"})
    assert response.status_code == 302
    fb = Feedback.objects.get(student=world.pupil, date=today)
    assert (fb.minutes, fb.mostly_at_school, fb.reporter) == (25, False, world.parent)
    assert [(i.homework_id, i.minutes) for i in fb.items.all()] == [(hw.id, 25)]

    # The saved report is shown and can be changed.
    page = client.get(url)
    assert page.context["saved"] == fb
    assert page.context["form"][f"item_{hw.id}"].value() == 25
    client.post(url, {f"item_{hw.id}": 15, "mostly_at_school": "yes"})
    fb.refresh_from_db()
    assert (fb.minutes, fb.mostly_at_school) == (15, True)


def test_feedback_errors_name_the_field(world, login, today):
    url = reverse("child_homework", args=[world.pupil.id])
    response = login(world.parent).post(url, {"minutes": 900})
    form = response.context["form"]
    assert {"minutes", "mostly_at_school"} <= set(form.errors)
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "head_teacher", "officer", "other_parent"])
def test_child_page_is_only_for_the_childs_parents(world, login, who):
    user = make_user("other_parent") if who == "other_parent" else getattr(world, who)
    url = reverse("child_homework", args=[world.pupil.id])
    assert login(user).get(url).status_code == 404
    assert login(user).post(url, {"minutes": 10, "mostly_at_school": "no"}).status_code == 404
    assert not Feedback.objects.exists()


# -- Report, grading disclosure, audit, rules -------------------------------------------------


def test_report_shows_compliance(world, login, today):
    services.submit_feedback(
        reporter=world.parent, student=world.pupil, day=today, minutes=30, mostly_at_school=False
    )
    for who in ("principal", "officer", "inspector"):
        response = login(getattr(world, who)).get(
            reverse("homework_report", args=[world.school.id])
        )
        assert response.status_code == 200
        (school_row,) = response.context["by_school"]
        assert (school_row.pupil_days, school_row.within) == (1, 1)
        assert "100%" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("head_teacher", 403), ("grade_leader", 403), ("outsider", 404)]
)
def test_report_denied(world, login, who, status):
    url = reverse("homework_report", args=[world.school.id])
    assert login(getattr(world, who)).get(url).status_code == status


def test_grading_disclosure(world, login, today):
    graded = publish(world, world.subject_teacher, world.maths, today, 20)
    publish(world, world.head_teacher, world.chinese, today, 20)
    services.record_grading(homework=graded, actor=world.subject_teacher, full=True, face_to_face=2)
    rows = login(world.principal).get(reverse("homework_grading", args=[world.school.id]))
    assert rows.status_code == 200
    by_teacher = {r["teacher"]: r for r in rows.context["rows"]}
    assert (by_teacher["subject_teacher"]["full"], by_teacher["subject_teacher"]["short"]) == (
        1,
        False,
    )
    assert by_teacher["head_teacher"]["short"] is True  # primary, not fully graded
    own = login(world.subject_teacher).get(reverse("homework_grading", args=[world.school.id]))
    assert [r["teacher"] for r in own.context["rows"]] == ["subject_teacher"]


@pytest.mark.parametrize(("who", "status"), [("afterschool", 403), ("outsider", 404)])
def test_grading_disclosure_denied(world, login, who, status):
    url = reverse("homework_grading", args=[world.school.id])
    assert login(getattr(world, who)).get(url).status_code == status


def test_audit(world, login, today):
    client = login(world.academic)
    url = class_url("homework_audit", world)
    assert client.get(url).status_code == 200
    response = client.post(url, {"verdict": "correct", "findings": "周三超时"})
    assert "corrections" in response.context["form"].errors
    client.post(url, {"verdict": "correct", "findings": "周三超时", "corrections": "压减数学"})
    audit = ClassWeekAudit.objects.get()
    assert (audit.verdict, audit.auditor, audit.corrections) == (
        "correct",
        world.academic,
        "压减数学",
    )
    assert client.get(url).context["existing"] == audit


@pytest.mark.parametrize(("who", "status"), [("head_teacher", 403), ("outsider", 404)])
def test_audit_denied(world, login, who, status):
    url = class_url("homework_audit", world)
    response = login(getattr(world, who)).post(url, {"verdict": "ok"})
    assert response.status_code == status
    assert not ClassWeekAudit.objects.exists()


def test_rules_documents(world, login, today):
    url = reverse("homework_rules", args=[world.school.id])
    client = login(world.principal)
    response = client.post(url, {"title": "", "text": "", "adopted_on": "bad"})
    assert {"title", "text", "adopted_on"} <= set(response.context["form"].errors)
    client.post(url, {"title": "作业管理办法", "text": "第一条……", "adopted_on": today})
    assert RulesDocument.objects.get().uploaded_by == world.principal
    for who in ("head_teacher", "inspector"):
        response = login(getattr(world, who)).get(url)
        assert response.status_code == 200
        assert "作业管理办法" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "method", "status"),
    [("head_teacher", "post", 403), ("outsider", "get", 404), ("parent", "get", 404)],
)
def test_rules_documents_denied(world, login, who, method, status, today):
    url = reverse("homework_rules", args=[world.school.id])
    client = login(getattr(world, who))
    response = getattr(client, method)(url, {"title": "x", "text": "y", "adopted_on": today})
    assert response.status_code == status
    assert not RulesDocument.objects.exists()


def test_home_pages_link_to_homework(world, login):
    body = login(world.parent).get(reverse("home")).content.decode()
    assert reverse("child_homework", args=[world.pupil.id]) in body
    body = login(world.head_teacher).get(reverse("home")).content.decode()
    assert class_url("homework_class", world) in body
    body = login(world.principal).get(reverse("school", args=[world.school.id])).content.decode()
    assert reverse("homework_report", args=[world.school.id]) in body
    body = login(world.principal).get(class_url("class", world)).content.decode()
    assert class_url("homework_audit", world) in body


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("subject_teacher", "homework_class"),
        ("head_teacher", "homework_class"),
        ("head_teacher", "homework_week"),
        ("academic", "homework_grade"),
        ("parent", "child_homework"),
    ],
)
def test_query_count_does_not_grow_with_items(world, login, today, who, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if page == "homework_grade":
        url = reverse(page, args=[world.school.id, 3])
    elif page == "child_homework":
        url = reverse(page, args=[world.pupil.id])
    else:
        url = class_url(page, world)
    client = login(getattr(world, who))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add_items(first: int, last: int):
        for n in range(first, last):
            publish(world, world.subject_teacher, world.maths, today, 5, f"练习{n}")
            publish(world, world.head_teacher, world.chinese, today, 59, f"作文{n}")  # held

    add_items(0, 1)
    count()  # fills the cached user and unread count, which publishing does not change
    add_items(1, 2)
    before = count()  # each count comes right after a publish, which renews the page entries
    add_items(2, 6)
    assert count() == before


# -- Limits and policy (HW-02, HW-03) --------------------------------------------------------


def test_limits_page_shows_binding_limits_and_only_the_principal_changes_them(world, client):
    from shuangjian.homework.models import HomeworkPolicy, LimitOverride

    url = reverse("homework_limits", args=[world.school.id])
    client.force_login(world.subject_teacher)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "policy", "over_limit": "refuse"}).status_code == 403
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404

    client.force_login(world.principal)
    assert client.post(url, {"action": "policy", "over_limit": "refuse"}).status_code == 302
    assert HomeworkPolicy.objects.get(school=world.school).over_limit == "refuse"
    looser = {
        "action": "override",
        "grade_from": 3,
        "grade_to": 6,
        "day_kind": "weekend",
        "minutes": 70,
    }
    response = client.post(url, looser)
    assert response.status_code == 200 and "minutes" in response.context["override_form"].errors
    assert not LimitOverride.objects.exists()
    stricter = {**looser, "minutes": 40}
    assert client.post(url, stricter).status_code == 302
    rows = {r.grade: r for r in client.get(url).context["rows"]}
    weekend = list(DayKind.values).index("weekend")
    assert rows[3].limits[weekend].minutes == 40 and rows[7].limits[weekend].minutes == 90


def test_region_limits_by_the_bureau_officer(world, client):
    from shuangjian.homework.models import LimitOverride

    url = reverse("homework_region_limits", args=[world.county.id])
    data = {"grade_from": 7, "grade_to": 9, "day_kind": "school_day", "minutes": 80}
    client.force_login(world.inspector)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(world.other_officer)
    assert client.get(url).status_code == 404
    client.force_login(world.principal)
    assert client.get(url).status_code == 404
    client.force_login(world.officer)
    assert client.post(url, data).status_code == 302
    assert LimitOverride.objects.get(region=world.county).minutes == 80
    client.force_login(world.principal)
    rows = {
        r.grade: r
        for r in client.get(reverse("homework_limits", args=[world.school.id])).context["rows"]
    }
    assert rows[8].limits[0].minutes == 80 and rows[8].limits[0].origin == world.county.name


def test_a_teacher_copies_an_earlier_item_into_the_form(world, client):
    today = timezone.localdate()
    earlier = Homework.objects.create(
        school=world.school,
        school_class=world.class_3_1,
        subject=world.maths,
        teacher=world.subject_teacher,
        date=today - timedelta(days=7),
        day_kind="school_day",
        content="课本第45页练习七",
        kind="basic",
        minutes=15,
        status="published",
    )
    url = reverse("homework_class", args=[world.school.id, world.class_3_1.id])
    client.force_login(world.subject_teacher)
    page = client.get(url)
    assert [h.id for h in page.context["recent"]] == [earlier.id]
    form = client.get(url, {"copy": earlier.id}).context["publish_form"]
    assert form.initial["content"] == "课本第45页练习七" and form.initial["minutes"] == 15
    # Another teacher's item is not copied.
    client.force_login(world.head_teacher)
    form = client.get(url, {"copy": earlier.id}).context["publish_form"]
    assert "content" not in form.initial
