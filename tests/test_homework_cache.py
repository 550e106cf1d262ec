"""The cached reads of homework (issue 8): a parent's notice, the school calendar and the limits
are cached, and every write that changes them is seen by the very next request.  A cached class
notice is never shown to someone without access, and never mixes up classes or children."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shuangjian.homework import selectors, services
from shuangjian.homework.models import Homework
from shuangjian.org import services as org_services
from shuangjian.org.models import Guardianship, Term, Vacation
from shuangjian.rules import calendar as national
from shuangjian.rules.homework import Limit
from tests.world import make_student, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    """A day teachers may publish for that is not a statutory holiday (whose kind never moves)."""
    today = timezone.localdate()
    return next(
        d.day
        for d in national.days(today, today + timedelta(days=services.PUBLISH_AHEAD_DAYS))
        if d.kind != national.DayKind.HOLIDAY
    )


def publish(w, day, content, minutes=20, klass=None, teacher=None, subject=None, **extra):
    return services.publish_homework(
        teacher=teacher or w.subject_teacher,
        klass=klass or w.class_3_1,
        subject=subject or w.maths,
        day=day,
        content=content,
        kind="basic",
        minutes=minutes,
        confirm_not_punitive=True,
        **extra,
    ).homework


def child_page(client, pupil, day):
    url = reverse("child_homework", args=[pupil.id]) + f"?date={day.isoformat()}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def parent_of(pupil, username):
    user = make_user(username)
    Guardianship.objects.create(user=user, student=pupil, relation="母亲")
    return user


# -- A change to the class's items is on the next page ---------------------------------------


def test_publish_and_withdraw_show_at_once(world, login, day):
    client = login(world.parent)
    assert "口算第3页" not in child_page(client, world.pupil, day)  # cached: nothing yet
    hw = publish(world, day, "口算第3页")
    assert "口算第3页" in child_page(client, world.pupil, day)
    services.withdraw_homework(homework=hw, actor=world.subject_teacher)
    assert "口算第3页" not in child_page(client, world.pupil, day)


def test_approve_return_and_delete_show_at_once(world, login, day):
    client = login(world.parent)
    publish(world, day, "口算第4页", minutes=50)
    held = publish(
        world, day, "作文提纲", minutes=30, teacher=world.head_teacher, subject=world.chinese
    )
    returned = publish(
        world, day, "生字表", minutes=30, teacher=world.head_teacher, subject=world.chinese
    )
    assert held.status == returned.status == Homework.Status.PENDING
    page = child_page(client, world.pupil, day)
    assert "口算第4页" in page and "作文提纲" not in page

    services.approve_homework(homework=held, actor=world.head_teacher, minutes=10)
    assert "作文提纲" in child_page(client, world.pupil, day)

    services.return_homework(homework=returned, actor=world.head_teacher, note="太长")
    assert "生字表" not in child_page(client, world.pupil, day)

    Homework.objects.get(id=held.id).delete()
    assert "作文提纲" not in child_page(client, world.pupil, day)


def test_staff_notice_pages_follow_the_same_writes(world, login, day):
    client = login(world.head_teacher)
    board = reverse("homework_board", args=[world.school.id, world.class_3_1.id])
    board += f"?date={day.isoformat()}"
    assert "听写词语" not in client.get(board).content.decode()
    hw = publish(world, day, "听写词语")
    assert "听写词语" in client.get(board).content.decode()
    services.withdraw_homework(homework=hw, actor=world.subject_teacher)
    assert "听写词语" not in client.get(board).content.decode()


def test_a_warm_page_reads_less_of_the_database(world, login, day):
    client = login(world.parent)
    publish(world, day, "口算第5页")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            child_page(client, world.pupil, day)
        return len(ctx.captured_queries)

    cold = queries()
    assert queries() < cold


def test_the_checks_reading_of_the_day_matches_the_notices(world, day):
    """The publish check reads the day's items straight from the database (under the class
    lock); it sees the same tiers, pupils and personal targets as the stored items."""
    pupil3 = make_student(world.class_3_1, "2026030103", "钱小丽")
    publish(
        world,
        day,
        "分层",
        tiers=[services.TierSpec("甲", 10, (world.pupil.id,)), services.TierSpec("乙", 25)],
    )
    publish(world, day, "个别", minutes=7, personal_pupil_ids=[world.pupil.id, pupil3.id])
    publish(world, day, "弹性", minutes=9, elastic=True)
    services.withdraw_homework(
        homework=publish(world, day, "撤回的", minutes=3), actor=world.subject_teacher
    )
    stored = [selectors.as_rule_item(h) for h in selectors.items_for_day(world.class_3_1, day)]
    read = selectors.rule_items_for_day(world.class_3_1, day)
    assert sorted(read, key=lambda i: i.key) == sorted(stored, key=lambda i: i.key)
    assert len(read) == 3


# -- Calendar and limits are seen by the next publish check ----------------------------------


def _term_around(world, day):
    """One term around the day and no vacation: the day is a school day or a weekend."""
    Term.objects.filter(school=world.school).delete()
    Vacation.objects.filter(school=world.school).delete()
    org_services.add_term(
        school=world.school,
        name="测试学期",
        start=day - timedelta(days=30),
        end=day + timedelta(days=30),
        actor=None,
    )


def test_a_new_vacation_is_seen_by_the_next_publish(world, day):
    _term_around(world, day)
    services.add_limit_override(
        school=world.school, grade_from=3, grade_to=3, day_kind="vacation", minutes=10
    )
    first = publish(world, day, "口算第6页")
    assert first.day_kind != "vacation"
    assert first.status == Homework.Status.PUBLISHED

    org_services.add_vacation(
        school=world.school, kind="other", name="秋假", start=day, end=day, actor=None
    )
    second = publish(world, day, "口算第7页")
    assert second.day_kind == "vacation"
    assert second.status == Homework.Status.PENDING  # 40 minutes against the vacation's 10
    assert selectors.day_kind(world.school, day) == "vacation"

    Vacation.objects.get(name="秋假").delete()
    assert selectors.day_kind(world.school, day) == first.day_kind


@pytest.mark.parametrize("owner", ["school", "county"])
def test_a_stricter_limit_is_seen_by_the_next_publish(world, day, owner):
    first = publish(world, day, "口算第8页")
    assert first.status == Homework.Status.PUBLISHED  # 20 of the national 60
    where = {"school": world.school} if owner == "school" else {"region": world.county}
    services.add_limit_override(
        **where, grade_from=3, grade_to=3, day_kind=first.day_kind, minutes=30
    )
    second = publish(world, day, "口算第9页")
    assert second.status == Homework.Status.PENDING  # 40 against 30
    origin = str(world.school if owner == "school" else world.county)
    kind = selectors.day_kind(world.school, day)
    assert selectors.class_limit(world.class_3_1, kind) == Limit(30, origin)


def test_a_limit_change_reaches_the_parent_page(world, login, day, settings):
    settings.LANGUAGE_CODE = "en"
    client = login(world.parent)
    publish(world, day, "口算第10页")
    assert "the limit is 60 minutes" in child_page(client, world.pupil, day)
    services.add_limit_override(
        region=world.county,
        grade_from=3,
        grade_to=3,
        day_kind=selectors.day_kind(world.school, day),
        minutes=45,
    )
    assert "the limit is 45 minutes" in child_page(client, world.pupil, day)


# -- Never another class's or another child's page ------------------------------------------


def test_two_classes_never_share_a_notice(world, login, day):
    parent2 = parent_of(world.pupil2, "parent_3_2")
    publish(world, day, "三一班的口算")
    publish(world, day, "三二班的口算", klass=world.class_3_2)
    first = child_page(login(world.parent), world.pupil, day)
    second = child_page(login(parent2), world.pupil2, day)
    assert "三一班的口算" in first and "三二班的口算" not in first
    assert "三二班的口算" in second and "三一班的口算" not in second


def test_two_children_of_a_class_see_their_own_tier_and_personal_items(world, login, day):
    sibling_class_pupil = make_student(world.class_3_1, "2026030102", "赵小军")
    parent2 = parent_of(sibling_class_pupil, "parent_zhao")
    publish(
        world,
        day,
        "分层练习",
        tiers=[
            services.TierSpec("甲层", 10, (world.pupil.id,)),
            services.TierSpec("乙层", 35, (sibling_class_pupil.id,)),
        ],
    )
    publish(world, day, "张小明的订正", minutes=5, personal_pupil_ids=[world.pupil.id])
    mine = child_page(login(world.parent), world.pupil, day)
    theirs = child_page(login(parent2), sibling_class_pupil, day)
    assert "甲层" in mine and "乙层" not in mine and "张小明的订正" in mine
    assert "乙层" in theirs and "甲层" not in theirs and "张小明的订正" not in theirs


@pytest.mark.parametrize("who", ["other_parent", "outsider", "head_teacher"])
def test_a_cached_page_is_still_denied_to_others(world, login, day, who):
    publish(world, day, "口算第11页")
    child_page(login(world.parent), world.pupil, day)  # now cached
    user = parent_of(world.pupil2, "other_parent") if who == "other_parent" else None
    client = login(user or getattr(world, who))
    url = reverse("child_homework", args=[world.pupil.id]) + f"?date={day.isoformat()}"
    response = client.get(url)
    assert response.status_code == 404
    assert "口算第11页" not in response.content.decode()


# -- The whole page from the cache: the person, the roster and the request's own parts -----------

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_warm_parent_page_reads_only_the_session_from_the_database(world, login, day, settings):
    """With a shared cache in memory (as with Redis), a repeated page asks the database for the
    session alone: the user, the access check, the unread count and the page are cached."""
    settings.CACHES = LOCMEM
    client = login(world.parent)
    publish(world, day, "口算第20页")
    first = child_page(client, world.pupil, day)
    with CaptureQueriesContext(connection) as ctx:
        again = child_page(client, world.pupil, day)
    tables = {q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in ctx.captured_queries}
    assert tables == {"django_session"}
    assert "口算第20页" in again
    strip = __import__("re").compile(r'value="[^"]{64}"|"X-CSRFToken": "[^"]{64}"')
    assert strip.sub("", again) == strip.sub("", first)  # the same page, but for the token


def csrf_token_of(page: str) -> str:
    import re

    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    return tokens.pop()


def test_a_cached_page_carries_the_token_of_the_session_that_asks(world, day):
    """Two browsers of one parent: each page from the cache has a token that its own session
    accepts, and the report posted with it is saved."""
    from django.test import Client

    from shuangjian.homework.models import Feedback

    today = timezone.localdate()
    hw = publish(world, today, "口算第21页")
    phone, laptop = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    phone.force_login(world.parent)
    laptop.force_login(world.parent)
    child_page(phone, world.pupil, today)  # fills the cache
    page = child_page(laptop, world.pupil, today)  # from the cache, for another session
    assert "csrfslot" not in page
    url = reverse("child_homework", args=[world.pupil.id]) + f"?date={today.isoformat()}"
    form = {"mostly_at_school": "no", f"item_{hw.id}": 20}
    refused = laptop.post(url, form)  # no token
    assert refused.status_code == 403
    saved = laptop.post(url, {**form, "csrfmiddlewaretoken": csrf_token_of(page)})
    assert saved.status_code == 302
    assert Feedback.objects.filter(student=world.pupil, date=today).exists()


def test_a_message_is_shown_once_and_never_cached(world, login):
    today = timezone.localdate()
    client = login(world.parent)
    child_page(client, world.pupil, today)
    url = reverse("child_homework", args=[world.pupil.id]) + f"?date={today.isoformat()}"
    assert client.post(url, {"mostly_at_school": "yes", "minutes": 15}).status_code == 302
    thanks = "感谢您的反馈，已保存。"
    with_message = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert thanks in with_message
    assert thanks not in child_page(client, world.pupil, today)
    assert thanks not in child_page(client, world.pupil, today)


def test_the_unread_count_follows_new_and_read_messages(world, login, day):
    from shuangjian.notify import services as notify

    client = login(world.parent)
    badge = '<span class="tag flag">'
    assert badge not in child_page(client, world.pupil, day)
    sent = notify.send(users=[world.parent], kind="test", title="新消息")
    notify.send(users=[world.parent], kind="test", title="又一条")
    assert f"{badge}2</span>" in child_page(client, world.pupil, day)
    notify.mark_read(user=world.parent, ids=[sent[0].id])
    assert f"{badge}1</span>" in child_page(client, world.pupil, day)


def test_a_cached_page_follows_the_roster(world, login, day):
    """The access check is cached too: losing the guardianship, or the pupil leaving, closes the
    page at once; a new guardianship opens it."""
    publish(world, day, "口算第22页")
    client = login(world.parent)
    assert "口算第22页" in child_page(client, world.pupil, day)
    url = reverse("child_homework", args=[world.pupil.id]) + f"?date={day.isoformat()}"
    link = Guardianship.objects.get(user=world.parent, student=world.pupil)
    link.delete()
    assert client.get(url).status_code == 404
    Guardianship.objects.create(user=world.parent, student=world.pupil, relation="母亲")
    assert "口算第22页" in child_page(client, world.pupil, day)
    world.pupil.active = False
    world.pupil.save()
    assert client.get(url).status_code == 404


def test_a_cached_user_still_signs_out_on_password_change_and_deactivation(world, login, day):
    client = login(world.parent)
    child_page(client, world.pupil, day)  # the user is now cached
    url = reverse("child_homework", args=[world.pupil.id]) + f"?date={day.isoformat()}"
    world.parent.set_password("another-secret-42")
    world.parent.save()
    assert client.get(url).status_code == 302  # the session's password hash no longer matches
    client = login(world.parent)
    child_page(client, world.pupil, day)
    world.parent.is_active = False
    world.parent.save()
    assert client.get(url).status_code == 302
