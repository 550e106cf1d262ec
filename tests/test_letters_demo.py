"""The letters demo: deterministic, and telling the story it is meant to tell (SV-07)."""

import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangjian.letters import demo as letters_demo
from shuangjian.letters.models import Delivery, Letter, Reminder
from shuangjian.notify.models import Notification
from shuangjian.org import demo
from shuangjian.org.models import School, Student, User


def digest() -> str:
    rows = [
        list(
            Letter.objects.order_by("sent_at").values_list(
                "title", "kind", "audience", "grades", "options", "reply_by", "sent_at", "state"
            )
        ),
        list(
            Delivery.objects.order_by("letter__sent_at", "student__student_no").values_list(
                "letter__title",
                "student__student_no",
                "school_class__grade",
                "school_class__number",
                "confirmed_at",
                "confirmed_by__username",
                "relation",
                "channel",
                "answer",
            )
        ),
        list(Reminder.objects.values_list("letter__title", "at", "pupils", "parents")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_letters_demo(db, client):
    today = timezone.localdate()  # the parents' pages judge reply-by dates by the clock
    demo.load_demo()
    counts = letters_demo.load_letters_demo(today=today)
    school = School.objects.get(code=demo.SCHOOL_1)
    pupils = Student.objects.filter(school=school, active=True).count()
    assert counts["letters"] == 3 and counts["reminders"] == 1

    policy = Letter.objects.get(title=letters_demo.POLICY_TITLE)
    assert policy.audience == "school" and policy.kind == "receipt" and policy.state == "sent"
    assert policy.deliveries.count() == pupils
    share = policy.deliveries.filter(confirmed_at__isnull=False).count() / pupils
    assert 0.75 <= share <= 0.85
    assert policy.reply_by < today  # a finished campaign

    form = Letter.objects.get(title=letters_demo.SERVICE_TITLE)
    assert form.kind == "form" and form.grades == [3] and form.reply_by >= today
    assert set(form.deliveries.values_list("school_class__grade", flat=True)) == {3}
    answers = list(form.deliveries.exclude(answer="").values_list("answer", flat=True))
    assert set(answers) == set(letters_demo.SERVICE_OPTIONS)
    assert answers.count(letters_demo.SERVICE_OPTIONS[0]) > answers.count(
        letters_demo.SERVICE_OPTIONS[1]
    )
    assert not form.deliveries.filter(confirmed_at__isnull=False, answer="").exists()

    meeting = Letter.objects.get(title=letters_demo.MEETING_TITLE)
    assert meeting.author.username == "banzhuren"
    assert {(k.grade, k.number) for k in meeting.classes.all()} == {(3, 1)}

    # Every receipt is online by a linked parent, or a paper slip; none in the future.
    for d in Delivery.objects.filter(confirmed_at__isnull=False).select_related("letter"):
        assert d.channel in ("online", "paper")
        assert d.letter.sent_at <= d.confirmed_at
    assert Notification.objects.filter(kind="letter").count() == counts["notifications"]

    # The demo family: the father sees the mother's receipt and two letters waiting.
    parent = User.objects.get(username="parent")
    client.force_login(parent)
    page = client.get(reverse("parent_letters"))
    assert page.status_code == 200
    waiting = {c.child.school_class.grade: c.waiting for c in page.context["children"]}
    assert waiting == {3: 2, 7: 0}
    younger = next(c.child for c in page.context["children"] if c.child.school_class.grade == 3)
    page = client.get(reverse("child_letter", args=[younger.id, policy.id]))
    assert "母亲" in page.content.decode() and page.context["state"].confirmed
    page = client.get(reverse("child_letter", args=[younger.id, form.id]))
    assert page.context["state"].can_reply

    # The school's pages render on the demo data.
    client.force_login(User.objects.get(username="principal"))
    for letter in (policy, form, meeting):
        url = reverse("letter_report", args=[school.id, letter.id])
        assert client.get(url).status_code == 200
    assert client.get(reverse("letters", args=[school.id])).status_code == 200
    client.force_login(User.objects.get(username="banzhuren"))
    report = client.get(reverse("letter_report", args=[school.id, policy.id])).context["report"]
    assert {c.klass.grade for c in report.classes} == {3} and report.show_contacts

    # Deterministic: the same seed and day give the same rows; a second load refuses.
    first = digest()
    with pytest.raises(letters_demo.LettersDemoExists):
        letters_demo.load_letters_demo(today=today)
    demo.load_demo(reset=True)
    assert not Letter.objects.exists()
    letters_demo.load_letters_demo(today=today)
    assert digest() == first
