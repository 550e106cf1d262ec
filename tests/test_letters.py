"""Letters to parents with receipts (SV-07): who sends to whom, one receipt per pupil, the
school's figures and lists, reminders, the export and the API."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from shuangjian.errors import RuleViolation
from shuangjian.letters import selectors, services
from shuangjian.letters.models import Delivery, Letter, Reminder
from shuangjian.notify.models import Notification
from shuangjian.org.access import access_school
from shuangjian.org.models import Guardianship
from tests.test_api import token_for
from tests.world import make_student, make_user

MOBILE = "13800000000"  # every world pupil's guardian mobile


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English messages: the pages and services speak English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def today():
    return timezone.localdate()


def letter_data(today, **kw):
    data = {
        "title": "致家长的一封信",
        "body": "尊敬的家长：\n请阅读“双减”政策。",
        "kind": "receipt",
        "audience": "school",
        "reply_by": (today + timedelta(days=7)).isoformat(),
        "question": "",
        "answer_kind": "",
        "options": "",
        "action": "save",
    }
    data.update(kw)
    return data


def make_letter(world, user=None, *, send=True, **kw) -> Letter:
    """A letter through the services (sent unless send=False)."""
    acc = access_school(user or world.principal, world.school.id)
    today = timezone.localdate()
    args = {
        "title": "致家长的一封信",
        "body": "请阅读。",
        "kind": "receipt",
        "audience": "school",
        "reply_by": today + timedelta(days=7),
        **kw,
    }
    letter = services.create_letter(acc=acc, **args)
    if send:
        services.send_letter(acc=acc, letter=letter)
        letter.refresh_from_db()
    return letter


def form_letter(world, **kw) -> Letter:
    return make_letter(
        world,
        kind="form",
        question="是否参加课后服务？",
        answer_kind="choice",
        options=["参加", "不参加"],
        **kw,
    )


def child_url(pupil, letter):
    return reverse("child_letter", args=[pupil.id, letter.id])


def report_url(world, letter):
    return reverse("letter_report", args=[world.school.id, letter.id])


def mother_of(pupil):
    mother = make_user("mother", "李妈妈", mobile="13712345678")
    Guardianship.objects.create(user=mother, student=pupil, relation="母亲")
    return mother


# -- Writing and sending ------------------------------------------------------------------------


def test_principal_writes_a_draft_then_sends_it(world, login, today):
    client = login(world.principal)
    response = client.post(reverse("letter_new", args=[world.school.id]), letter_data(today))
    letter = Letter.objects.get()
    assert response.status_code == 302 and letter.state == "draft"
    assert response["Location"] == reverse("letter_edit", args=[world.school.id, letter.id])
    page = client.get(response["Location"])
    assert page.context["pupil_count"] == 2 and page.context["parent_count"] == 1
    assert not Notification.objects.exists()  # nothing reaches parents before sending

    response = client.post(response["Location"], {"action": "send"})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == "sent" and letter.sent_by == world.principal
    assert sorted(Delivery.objects.values_list("student_id", flat=True)) == sorted(
        [world.pupil.id, world.pupil2.id]
    )
    note = Notification.objects.get()
    assert note.user == world.parent and note.kind == "letter"
    assert note.url == reverse("parent_letters")
    # Frozen: the edit page now leads to the figures, and the service refuses changes.
    edit = client.get(reverse("letter_edit", args=[world.school.id, letter.id]))
    assert edit["Location"] == report_url(world, letter)
    acc = access_school(world.principal, world.school.id)
    with pytest.raises(RuleViolation) as exc:
        services.update_letter(
            acc=acc, letter=letter, title="x", body="y", kind="info", audience="school"
        )
    assert exc.value.code == "not_draft"
    with pytest.raises(RuleViolation):
        services.send_letter(acc=acc, letter=letter)
    assert Delivery.objects.count() == 2


def test_one_delivery_per_pupil_one_message_per_parent(world, today):
    sibling = make_student(world.class_7_1, "2026070101", "张大明")
    Guardianship.objects.create(user=world.parent, student=sibling, relation="父亲")
    mother = mother_of(world.pupil)
    letter = make_letter(world)
    assert letter.deliveries.count() == 3  # pupil, sibling, pupil2; none of school B
    assert set(letter.deliveries.values_list("school_class_id", flat=True)) == {
        world.class_3_1.id,
        world.class_3_2.id,
        world.class_7_1.id,
    }
    assert Notification.objects.filter(user=world.parent).count() == 1
    assert Notification.objects.filter(user=mother).count() == 1
    # The father sees the letter once for each child.
    rows = {c.child.id: len(c.rows) for c in selectors.parent_letters(world.parent)}
    assert rows == {world.pupil.id: 1, sibling.id: 1}


def test_grade_and_class_audiences(world, login, today):
    letter = make_letter(world, world.academic, audience="grades", grades=[3])
    assert letter.deliveries.count() == 2
    letter = make_letter(world, world.head_teacher, audience="classes", classes=[world.class_3_1])
    assert list(letter.deliveries.values_list("student_id", flat=True)) == [world.pupil.id]
    # Grade 7 has no pupils in the world: sending is refused, naming the audience.
    draft = make_letter(world, world.academic, send=False, audience="grades", grades=[7])
    acc = access_school(world.academic, world.school.id)
    with pytest.raises(RuleViolation) as exc:
        services.send_letter(acc=acc, letter=draft)
    assert exc.value.field == "audience"
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_who_may_send_to_whom(world, login, today):
    new = reverse("letter_new", args=[world.school.id])
    head = login(world.head_teacher)
    own = letter_data(today, audience="classes", classes=[world.class_3_1.id])
    assert head.post(new, own).status_code == 302
    # Another class of the school, the whole school or a grade: 403.
    other = letter_data(today, audience="classes", classes=[world.class_3_2.id])
    assert head.post(new, other).status_code == 403
    mixed = letter_data(today, audience="classes", classes=[world.class_3_1.id, world.class_3_2.id])
    assert head.post(new, mixed).status_code == 403
    assert head.post(new, letter_data(today)).status_code == 403
    assert head.post(new, letter_data(today, audience="grades", grades=[3])).status_code == 403
    # A class of another school: 404.
    foreign = letter_data(today, audience="classes", classes=[world.other_class.id])
    assert head.post(new, foreign).status_code == 404
    # A subject teacher writes no letters; the outsider does not see the school at all.
    teacher = login(world.subject_teacher)
    assert teacher.get(new).status_code == 403
    assert teacher.post(new, own).status_code == 403
    outsider = login(world.outsider)
    assert outsider.get(new).status_code == 404
    assert outsider.get(reverse("letters", args=[world.school.id])).status_code == 404
    assert (
        login(world.afterschool).get(reverse("letters", args=[world.school.id])).status_code == 403
    )
    assert Letter.objects.count() == 1
    # The service itself refuses too (the API and commands go through it).
    acc = access_school(world.head_teacher, world.school.id)
    with pytest.raises(PermissionDenied):
        services.create_letter(acc=acc, title="t", body="b", kind="info", audience="school")
    # The head teacher's own draft: they may send it; the academic office may too.
    letter = Letter.objects.get()
    head = login(world.head_teacher)
    assert (
        head.post(
            reverse("letter_edit", args=[world.school.id, letter.id]), {"action": "send"}
        ).status_code
        == 302
    )
    assert Delivery.objects.filter(letter=letter).count() == 1


def test_head_teacher_cannot_touch_a_school_wide_draft(world, login):
    draft = make_letter(world, send=False)
    url = reverse("letter_edit", args=[world.school.id, draft.id])
    assert login(world.head_teacher).post(url, {"action": "send"}).status_code == 403
    assert login(world.subject_teacher).get(url).status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_bad_letters_are_refused_on_their_field(world, login, today):
    client = login(world.principal)
    new = reverse("letter_new", args=[world.school.id])
    cases = [
        (
            letter_data(
                today, kind="form", question="参加吗？", answer_kind="choice", options="参加"
            ),
            "options",
        ),
        (
            letter_data(
                today,
                kind="form",
                question="参加吗？",
                answer_kind="choice",
                options="1\n2\n3\n4\n5\n6\n7",
            ),
            "options",
        ),
        (letter_data(today, kind="form", question="", answer_kind="text"), "question"),
        (letter_data(today, reply_by=(today - timedelta(days=1)).isoformat()), "reply_by"),
        (letter_data(today, reply_by=""), "reply_by"),
        (letter_data(today, body="字" * 10_001), "body"),
        (letter_data(today, audience="grades"), "grades"),
        (letter_data(today, audience="classes"), "classes"),
    ]
    for data, field in cases:
        response = client.post(new, data)
        assert response.status_code == 200, field
        assert field in response.context["form"].errors, (field, response.context["form"].errors)
    assert not Letter.objects.exists()
    # An information letter needs no reply-by date; 10,000 characters are fine.
    ok = client.post(new, letter_data(today, kind="info", reply_by="", body="字" * 10_000))
    assert ok.status_code == 302
    assert Letter.objects.get().reply_by is None


# -- Parents ------------------------------------------------------------------------------------


def test_parent_confirms_and_the_second_parent_sees_it(world, login):
    mother = mother_of(world.pupil)
    letter = make_letter(world)
    client = login(world.parent)
    listing = client.get(reverse("parent_letters"))
    assert letter.title in listing.content.decode()
    page = client.get(child_url(world.pupil, letter))
    assert page.status_code == 200 and page.context["state"].can_reply
    assert "请阅读。" in page.content.decode()
    response = client.post(child_url(world.pupil, letter), {})
    assert response.status_code == 302
    d = Delivery.objects.get(letter=letter, student=world.pupil)
    assert (d.confirmed_by, d.relation, d.channel) == (world.parent, "父亲", "online")
    first_at = d.confirmed_at

    other = login(mother)
    page = other.get(child_url(world.pupil, letter))
    state = page.context["state"]
    assert state.confirmed and not state.mine and not state.can_reply
    html = page.content.decode()
    assert "父亲 张爸爸" in html
    assert f"{timezone.localtime(first_at):%Y-%m-%d %H:%M}" in html
    # Posting anyway changes nothing: the first receipt counts.
    response = other.post(child_url(world.pupil, letter), {})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    d.refresh_from_db()
    assert d.confirmed_by == world.parent and d.confirmed_at == first_at


def test_other_children_and_letters_not_addressed_are_404(world, login):
    letter = make_letter(world)
    client = login(world.parent)
    assert client.get(child_url(world.pupil2, letter)).status_code == 404  # not their child
    assert client.post(child_url(world.pupil2, letter), {}).status_code == 404
    only_3_2 = make_letter(world, audience="classes", classes=[world.class_3_2])
    assert client.get(child_url(world.pupil, only_3_2)).status_code == 404
    draft = make_letter(world, send=False)
    assert client.get(child_url(world.pupil, draft)).status_code == 404
    assert not Delivery.objects.filter(confirmed_at__isnull=False).exists()
    # Staff get nothing from the parents' page either.
    assert login(world.principal).get(child_url(world.pupil, letter)).status_code == 404


def test_after_the_reply_by_date_receipts_are_refused(world, login, today):
    letter = form_letter(world)
    client = login(world.parent)
    assert client.post(child_url(world.pupil, letter), {"answer": "参加"}).status_code == 302
    Letter.objects.filter(id=letter.id).update(reply_by=today - timedelta(days=1))
    page = client.get(child_url(world.pupil, letter))
    assert not page.context["state"].can_reply
    assert "has passed" in page.context["state"].closed_reason
    response = client.post(child_url(world.pupil, letter), {"answer": "不参加"})
    assert response.status_code == 200
    assert "has passed" in " ".join(response.context["form"].non_field_errors())
    assert Delivery.objects.get(letter=letter, student=world.pupil).answer == "参加"


def test_form_answers_are_checked_and_editable_until_reply_by(world, login):
    letter = form_letter(world)
    client = login(world.parent)
    url = child_url(world.pupil, letter)
    response = client.post(url, {"answer": "也许"})  # an option not offered
    assert response.status_code == 200 and "answer" in response.context["form"].errors
    assert client.post(url, {}).context["form"].errors["answer"]  # no answer at all
    d = Delivery.objects.get(letter=letter, student=world.pupil)
    assert d.confirmed_at is None
    # The service checks too, naming the field.
    with pytest.raises(RuleViolation) as exc:
        services.confirm_receipt(user=world.parent, delivery=d, answer="也许")
    assert (exc.value.code, exc.value.field) == ("invalid_choice", "answer")

    assert client.post(url, {"answer": "参加"}).status_code == 302
    d.refresh_from_db()
    first_at = d.confirmed_at
    assert client.post(url, {"answer": "不参加"}).status_code == 302
    d.refresh_from_db()
    assert d.answer == "不参加" and d.confirmed_at == first_at

    text = make_letter(world, kind="form", question="有什么建议？", answer_kind="text")
    dt = Delivery.objects.get(letter=text, student=world.pupil)
    with pytest.raises(RuleViolation) as exc:
        services.confirm_receipt(user=world.parent, delivery=dt, answer="长" * 201)
    assert exc.value.field == "answer"
    receipt = make_letter(world)
    dr = Delivery.objects.get(letter=receipt, student=world.pupil)
    with pytest.raises(RuleViolation) as exc:
        services.confirm_receipt(user=world.parent, delivery=dr, answer="多余")
    assert exc.value.field == "answer"


def test_information_letters_and_closed_letters_take_no_receipt(world, login):
    info = make_letter(world, kind="info")
    page = login(world.parent).get(child_url(world.pupil, info))
    assert page.status_code == 200 and not page.context["state"].asks
    with pytest.raises(RuleViolation) as exc:
        services.confirm_receipt(
            user=world.parent, delivery=Delivery.objects.get(letter=info, student=world.pupil)
        )
    assert exc.value.code == "no_receipt"

    letter = make_letter(world)
    client = login(world.principal)
    assert (
        login(world.head_teacher).post(report_url(world, letter), {"action": "close"}).status_code
        == 403
    )
    client = login(world.principal)
    client.post(report_url(world, letter), {"action": "close"})
    letter.refresh_from_db()
    assert letter.state == "closed"
    response = login(world.parent).post(child_url(world.pupil, letter), {})
    assert "closed" in " ".join(response.context["form"].non_field_errors())
    assert not Delivery.objects.filter(letter=letter, confirmed_at__isnull=False).exists()


# -- The school's figures -------------------------------------------------------------------------


def test_counts_per_class_and_the_not_confirmed_list(world, login):
    letter = form_letter(world)
    d = Delivery.objects.get(letter=letter, student=world.pupil)
    services.confirm_receipt(user=world.parent, delivery=d, answer="参加")
    response = login(world.principal).get(report_url(world, letter))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.delivered, report.confirmed, report.percent) == (2, 1, 50)
    assert [(c.klass.id, c.delivered, c.confirmed, c.answers) for c in report.classes] == [
        (world.class_3_1.id, 1, 1, [1, 0]),
        (world.class_3_2.id, 1, 0, [0, 0]),
    ]
    assert report.tally == [("参加", 1, 100), ("不参加", 0, 0)]
    assert [(p.name, p.klass.id, p.mobile, p.has_account) for p in report.pending] == [
        (world.pupil2.name, world.class_3_2.id, MOBILE, False)
    ]
    assert MOBILE in response.content.decode()
    # The list on the school's page shows the same figures.
    rows = login(world.principal).get(reverse("letters", args=[world.school.id])).context["rows"]
    assert [(r.delivered, r.confirmed, r.percent) for r in rows] == [(2, 1, 50)]


def test_contacts_only_for_roles_that_may_see_them(world, login):
    letter = make_letter(world)
    # The maths teacher of 3-1 and 3-2 sees both classes' lists, without guardian contacts.
    response = login(world.subject_teacher).get(report_url(world, letter))
    assert response.status_code == 200
    report = response.context["report"]
    assert len(report.pending) == 2 and not report.show_contacts
    assert all(p.mobile is None and p.guardian is None for p in report.pending)
    assert MOBILE not in response.content.decode()
    assert not response.context["manage"]
    # The head teacher of 3-1 sees their class only, with contacts.
    response = login(world.head_teacher).get(report_url(world, letter))
    report = response.context["report"]
    assert [p.name for p in report.pending] == [world.pupil.name]
    assert report.pending[0].mobile == MOBILE and not report.whole
    # No class of theirs in the audience: 403; another school: 404.
    assert login(world.grade_leader).get(report_url(world, letter)).status_code == 403
    assert login(world.afterschool).get(report_url(world, letter)).status_code == 403
    assert login(world.outsider).get(report_url(world, letter)).status_code == 404
    # The list page shows the subject teacher only their classes' letters.
    rows = (
        login(world.subject_teacher).get(reverse("letters", args=[world.school.id])).context["rows"]
    )
    assert [r.letter.id for r in rows] == [letter.id]


def test_export_lists_the_not_confirmed(world, login):
    letter = make_letter(world)
    services.confirm_receipt(
        user=world.parent, delivery=Delivery.objects.get(letter=letter, student=world.pupil)
    )
    url = reverse("letter_export", args=[world.school.id, letter.id])
    response = login(world.principal).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == letter.title
    assert len(rows) == 3  # title, header, pupil2
    assert world.pupil2.name in rows[2] and MOBILE in rows[2]
    assert world.pupil.name not in [v for r in rows for v in r]
    # Without the right to see contacts, the columns are not there at all.
    response = login(world.subject_teacher).get(url)
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]
    assert len(rows[1]) == 4 and MOBILE not in [v for r in rows for v in r]
    assert login(world.outsider).get(url).status_code == 404


def test_remind_once_a_day(world, login):
    mother = mother_of(world.pupil)
    letter = make_letter(world)
    before = Notification.objects.count()
    client = login(world.principal)
    client.post(report_url(world, letter), {"action": "remind"})
    reminder = Reminder.objects.get()
    assert (reminder.pupils, reminder.parents) == (2, 2)
    assert Notification.objects.count() == before + 2
    assert Notification.objects.filter(user=mother, kind="letter_reminder").exists()
    # Again the same day: refused, nothing sent.
    response = client.post(report_url(world, letter), {"action": "remind"}, follow=True)
    assert "already reminded today" in response.content.decode()
    assert Notification.objects.count() == before + 2 and Reminder.objects.count() == 1
    # Tomorrow: allowed again, and only the parents still waiting are told.
    services.confirm_receipt(
        user=world.parent, delivery=Delivery.objects.get(letter=letter, student=world.pupil)
    )
    acc = access_school(world.principal, world.school.id)
    services.remind(acc=acc, letter=letter, now=timezone.now() + timedelta(days=1))
    assert Reminder.objects.count() == 2
    assert Notification.objects.count() == before + 2  # pupil2 has no parent account
    # Only those who manage the letter remind.
    assert (
        login(world.head_teacher).post(report_url(world, letter), {"action": "remind"}).status_code
        == 403
    )
    assert (
        login(world.subject_teacher)
        .post(report_url(world, letter), {"action": "remind"})
        .status_code
        == 403
    )


def test_paper_slips_recorded_by_the_head_teacher(world, login):
    mother = mother_of(world.pupil)
    letter = form_letter(world)
    d = Delivery.objects.get(letter=letter, student=world.pupil)
    data = {"action": "paper", "delivery": d.id, "answer": "不参加"}
    assert login(world.subject_teacher).post(report_url(world, letter), data).status_code == 403
    # The head teacher of 3-1 cannot record 3-2's slip (not in their classes): 404.
    d2 = Delivery.objects.get(letter=letter, student=world.pupil2)
    other = {"action": "paper", "delivery": d2.id, "answer": "参加"}
    assert login(world.head_teacher).post(report_url(world, letter), other).status_code == 404
    assert login(world.head_teacher).post(report_url(world, letter), data).status_code == 302
    d.refresh_from_db()
    assert (d.channel, d.answer, d.confirmed_by) == ("paper", "不参加", world.head_teacher)
    page = login(mother).get(child_url(world.pupil, letter))
    assert "paper slip" in page.content.decode()
    assert not page.context["state"].can_reply


# -- API ----------------------------------------------------------------------------------------


def test_api_letters_and_receipt(world, client, password, today):
    letter = form_letter(world)
    auth = token_for(client, "parent", password)
    listed = client.get("/api/v1/letters", **auth)
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["letter_id"], row["student_id"], row["can_reply"]) == (
        letter.id,
        world.pupil.id,
        True,
    )
    assert row["options"] == ["参加", "不参加"]

    url = f"/api/v1/letters/{letter.id}/receipt"

    def post(body):
        return client.post(url, body, content_type="application/json", **auth)

    bad = post({"student_id": world.pupil.id, "answer": "也许"})
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"], bad.json()["rule"]) == (
        "invalid_choice",
        "answer",
        "SV-07",
    )
    missing = post({"student_id": world.pupil.id})
    assert missing.status_code == 422 and missing.json()["field"] == "answer"
    too_long = post({"student_id": world.pupil.id, "answer": "长" * 201})
    assert too_long.status_code == 422 and too_long.json()["field"] == "answer"
    assert post({"answer": "参加"}).json()["field"] == "student_id"
    assert post({"student_id": world.pupil2.id, "answer": "参加"}).status_code == 404
    not_addressed = make_letter(world, audience="classes", classes=[world.class_3_2])
    response = client.post(
        f"/api/v1/letters/{not_addressed.id}/receipt",
        {"student_id": world.pupil.id},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 404
    assert not Delivery.objects.filter(confirmed_at__isnull=False).exists()

    ok = post({"student_id": world.pupil.id, "answer": "参加"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["confirmed_by_me"] and ok.json()["answer"] == "参加"
    assert "父亲" in ok.json()["confirmed_by"]

    mother_of(world.pupil)
    mother = token_for(client, "mother", password)
    again = client.post(
        url,
        {"student_id": world.pupil.id, "answer": "不参加"},
        content_type="application/json",
        **mother,
    )
    assert again.status_code == 422 and again.json()["code"] == "already_confirmed"
    Letter.objects.filter(id=letter.id).update(reply_by=today - timedelta(days=1))
    late = post({"student_id": world.pupil.id, "answer": "不参加"})
    assert late.status_code == 422 and late.json()["code"] == "reply_by_passed"
    assert Delivery.objects.get(letter=letter, student=world.pupil).answer == "参加"
    # A staff member's token sees no letters; another school's principal gets 404 on a child.
    staff = token_for(client, "principal", password)
    assert client.get("/api/v1/letters", **staff).json() == []
    assert client.get(f"/api/v1/letters?student_id={world.pupil.id}", **staff).status_code == 404


def test_services_guard_against_bad_input(world):
    acc = access_school(world.principal, world.school.id)
    with pytest.raises(ValidationError):
        services.create_letter(
            acc=acc,
            title=" ",
            body="b",
            kind="receipt",
            audience="school",
            reply_by=timezone.localdate(),
        )
    with pytest.raises(RuleViolation) as exc:
        services.create_letter(
            acc=acc,
            title="t",
            body="b",
            kind="info",
            audience="classes",
            classes=[world.other_class],
        )
    assert exc.value.field == "classes"
    assert not Letter.objects.exists()


def test_list_pages_do_not_query_per_letter(world, login):
    make_letter(world)
    pages = [
        (world.parent, reverse("parent_letters")),
        (world.principal, reverse("letters", args=[world.school.id])),
        (world.subject_teacher, reverse("letters", args=[world.school.id])),
    ]

    def counts():
        out = []
        for user, url in pages:
            client = login(user)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    counts()  # the first visit fills the cached user and unread count
    before = counts()
    form_letter(world)
    make_letter(world, kind="info")
    make_letter(world, world.head_teacher, audience="classes", classes=[world.class_3_1])
    counts()  # new letters renew the recipients' unread counts: fill them again
    assert counts() == before
