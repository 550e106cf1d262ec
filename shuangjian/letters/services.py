"""Writes for letters: draft, send, close, receipts and reminders (SV-07).

A letter is a draft until it is sent; sending freezes it and delivers it once per pupil of the
audience (a family with two children gets it twice, once per child: the school counts pupils),
and tells every parent account linked to those pupils.  One receipt per pupil: the first parent
who confirms counts; they may change their answer until the reply-by date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.errors import RuleViolation
from shuangjian.notify.services import send
from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import Guardianship, SchoolClass, User

from . import rights, selectors
from .models import (
    MAX_ANSWER,
    MAX_BODY,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_QUESTION,
    MAX_TITLE,
    MIN_OPTIONS,
    Delivery,
    Letter,
    Reminder,
)

RULE = "SV-07"
MAX_AHEAD_DAYS = 366  # a reply-by date more than a year ahead is a typo
BATCH = 1000
Kind = Letter.Kind
State = Letter.State


def _fail(message: str, code: str, field: str | None = None, **numbers) -> RuleViolation:
    return RuleViolation(message, code=code, rule=RULE, field=field, **numbers)


# -- Drafts -------------------------------------------------------------------------------------


@dataclass
class _Content:
    title: str
    body: str
    kind: str
    question: str
    answer_kind: str
    options: list[str]
    audience: str
    grades: list[int]
    classes: list[SchoolClass]
    reply_by: date | None


def _check_reply_by(reply_by: date | None, today: date) -> None:
    if reply_by is None:
        raise _fail(_("Give the date by which parents should reply."), "required", "reply_by")
    if reply_by < today:
        raise _fail(
            _("The reply-by date cannot be in the past."),
            "reply_by_past",
            "reply_by",
            reply_by=reply_by.isoformat(),
        )
    if reply_by > today + timedelta(days=MAX_AHEAD_DAYS):
        raise _fail(
            _("The reply-by date is more than a year ahead."), "reply_by_too_far", "reply_by"
        )


def _check(acc: SchoolAccess, today: date, **data) -> _Content:
    """Shapes and limits of a letter; raises on the first problem, naming its field."""
    title = (data.get("title") or "").strip()
    body = (data.get("body") or "").strip()
    if not title:
        raise _fail(_("Give the letter a title."), "required", "title")
    if len(title) > MAX_TITLE:
        raise _fail(
            _("The title is longer than %(limit)d characters.") % {"limit": MAX_TITLE},
            "too_long",
            "title",
            limit=MAX_TITLE,
            length=len(title),
        )
    if not body:
        raise _fail(_("Write the text of the letter."), "required", "body")
    if len(body) > MAX_BODY:
        raise _fail(
            _("The text is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(body), "limit": MAX_BODY},
            "too_long",
            "body",
            limit=MAX_BODY,
            length=len(body),
        )

    kind = data.get("kind") or ""
    if kind not in Kind.values:
        raise _fail(_("Choose what the letter asks of parents."), "invalid", "kind")
    question, answer_kind, options = "", "", []
    reply_by = data.get("reply_by")
    if kind == Kind.INFO:
        reply_by = None
    else:
        _check_reply_by(reply_by, today)
    if kind == Kind.FORM:
        question = (data.get("question") or "").strip()
        answer_kind = data.get("answer_kind") or ""
        if not question:
            raise _fail(_("Write the question parents answer."), "required", "question")
        if len(question) > MAX_QUESTION:
            raise _fail(
                _("The question is longer than %(limit)d characters.") % {"limit": MAX_QUESTION},
                "too_long",
                "question",
                limit=MAX_QUESTION,
            )
        if answer_kind not in Letter.AnswerKind.values:
            raise _fail(_("Choose how parents answer."), "invalid", "answer_kind")
        if answer_kind == Letter.AnswerKind.CHOICE:
            options = [str(o).strip() for o in data.get("options") or () if str(o).strip()]
            if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
                raise _fail(
                    _("Give between %(min)d and %(max)d options.")
                    % {"min": MIN_OPTIONS, "max": MAX_OPTIONS},
                    "invalid_options",
                    "options",
                    min=MIN_OPTIONS,
                    max=MAX_OPTIONS,
                    count=len(options),
                )
            if len(set(options)) != len(options):
                raise _fail(_("Each option must be different."), "invalid_options", "options")
            if any(len(o) > MAX_OPTION for o in options):
                raise _fail(
                    _("An option is longer than %(limit)d characters.") % {"limit": MAX_OPTION},
                    "invalid_options",
                    "options",
                    limit=MAX_OPTION,
                )

    audience = data.get("audience") or ""
    grades: list[int] = []
    classes: list[SchoolClass] = []
    if audience == Letter.Audience.GRADES:
        grades = sorted({int(g) for g in data.get("grades") or ()})
        if not grades:
            raise _fail(_("Choose at least one grade."), "required", "grades")
        if any(g not in acc.school.grade_range for g in grades):
            raise _fail(_("This school has no such grade."), "invalid", "grades")
    elif audience == Letter.Audience.CLASSES:
        classes = sorted(set(data.get("classes") or ()), key=lambda k: (k.grade, k.number))
        if not classes:
            raise _fail(_("Choose at least one class."), "required", "classes")
        if any(k.school_id != acc.school.id for k in classes):
            raise _fail(_("A class is not of this school."), "invalid", "classes")
    elif audience != Letter.Audience.SCHOOL:
        raise _fail(_("Choose who receives the letter."), "invalid", "audience")
    rights.require_send_to(acc, audience, [k.id for k in classes])
    return _Content(
        title=title,
        body=body,
        kind=kind,
        question=question,
        answer_kind=answer_kind,
        options=options,
        audience=audience,
        grades=grades,
        classes=classes,
        reply_by=reply_by,
    )


def _apply(letter: Letter, content: _Content) -> Letter:
    for name in (
        "title",
        "body",
        "kind",
        "question",
        "answer_kind",
        "options",
        "audience",
        "grades",
        "reply_by",
    ):
        setattr(letter, name, getattr(content, name))
    letter.save()
    letter.classes.set(content.classes)
    return letter


def create_letter(
    *,
    acc: SchoolAccess,
    title: str,
    body: str,
    kind: str,
    audience: str,
    grades: Iterable[int] = (),
    classes: Iterable[SchoolClass] = (),
    question: str = "",
    answer_kind: str = "",
    options: Iterable[str] = (),
    reply_by: date | None = None,
    today: date | None = None,
) -> Letter:
    """A draft letter; nothing reaches parents until it is sent."""
    content = _check(
        acc,
        today or timezone.localdate(),
        title=title,
        body=body,
        kind=kind,
        audience=audience,
        grades=list(grades),
        classes=list(classes),
        question=question,
        answer_kind=answer_kind,
        options=list(options),
        reply_by=reply_by,
    )
    with transaction.atomic():
        return _apply(Letter(school=acc.school, author=acc.user), content)


def _locked_draft(acc: SchoolAccess, letter: Letter) -> Letter:
    letter = Letter.objects.select_for_update().get(id=letter.id)
    if not rights.may_manage(acc, letter):
        raise PermissionDenied("manage_letter")
    if letter.state != State.DRAFT:
        raise _fail(_("This letter has been sent: it can no longer be changed."), "not_draft")
    return letter


def update_letter(
    *,
    acc: SchoolAccess,
    letter: Letter,
    today: date | None = None,
    **data,
) -> Letter:
    """Change a draft (same fields as create_letter)."""
    content = _check(acc, today or timezone.localdate(), **data)
    with transaction.atomic():
        return _apply(_locked_draft(acc, letter), content)


def delete_draft(*, acc: SchoolAccess, letter: Letter) -> None:
    with transaction.atomic():
        _locked_draft(acc, letter).delete()


# -- Sending and closing ------------------------------------------------------------------------


@dataclass
class SendResult:
    letter: Letter
    pupils: int
    parents: int


def _parents_url() -> str:
    return reverse("parent_letters")


def send_letter(*, acc: SchoolAccess, letter: Letter, now: datetime | None = None) -> SendResult:
    """Freeze the letter, deliver it to each pupil of the audience and tell their parents."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        letter = _locked_draft(acc, letter)
        if letter.asks_receipt:
            _check_reply_by(letter.reply_by, today)
        pupils = list(
            selectors.audience_pupils(letter).values_list("id", "school_class_id").order_by("id")
        )
        if not pupils:
            raise _fail(_("No enrolled pupil is in this audience."), "empty_audience", "audience")
        Delivery.objects.bulk_create(
            (Delivery(letter=letter, student_id=sid, school_class_id=cid) for sid, cid in pupils),
            batch_size=BATCH,
        )
        letter.state = State.SENT
        letter.sent_at = now
        letter.sent_by = acc.user
        letter.save(update_fields=["state", "sent_at", "sent_by"])
        parents = list(selectors.parents_of(Delivery.objects.filter(letter=letter)))
        if letter.asks_receipt:
            body = _("Please read it and reply by %(date)s.") % {
                "date": letter.reply_by.isoformat()
            }
        else:
            body = letter.body[:200]
        send(
            users=parents,
            kind="letter",
            title=_("Letter from %(school)s: %(title)s")
            % {"school": acc.school.name, "title": letter.title},
            body=body,
            url=_parents_url(),
        )
    return SendResult(letter, len(pupils), len(parents))


def close_letter(*, acc: SchoolAccess, letter: Letter, now: datetime | None = None) -> Letter:
    """No more receipts or answers; the figures stay as they are."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(id=letter.id)
        if not rights.may_manage(acc, letter):
            raise PermissionDenied("manage_letter")
        if letter.state != State.SENT:
            raise _fail(_("Only a sent letter can be closed."), "not_sent")
        letter.state = State.CLOSED
        letter.closed_at = now or timezone.now()
        letter.save(update_fields=["state", "closed_at"])
    return letter


# -- Receipts -----------------------------------------------------------------------------------


def _check_answer(letter: Letter, answer: str | None) -> str:
    answer = (answer or "").strip()
    if letter.kind == Kind.RECEIPT:
        if answer:
            raise _fail(_("This letter asks no question."), "invalid", "answer")
        return ""
    if not answer:
        raise _fail(_("Answer the question."), "required", "answer")
    if letter.is_choice and answer not in letter.options:
        raise _fail(
            _("Choose one of the options offered."),
            "invalid_choice",
            "answer",
            options=letter.options,
        )
    if len(answer) > MAX_ANSWER:
        raise _fail(
            _("The answer is longer than %(limit)d characters.") % {"limit": MAX_ANSWER},
            "too_long",
            "answer",
            limit=MAX_ANSWER,
            length=len(answer),
        )
    return answer


def _check_open(letter: Letter, today: date, *, late_ok: bool = False) -> None:
    if not letter.asks_receipt:
        raise _fail(_("This letter is for information only and asks for no receipt."), "no_receipt")
    if letter.state == State.CLOSED:
        raise _fail(
            _("The school has closed this letter: receipts are no longer taken."), "letter_closed"
        )
    if letter.state != State.SENT:
        raise _fail(_("This letter has not been sent."), "not_sent")
    if not late_ok and today > letter.reply_by:
        raise _fail(
            _("The reply-by date (%(date)s) has passed: answers can no longer be given or changed.")
            % {"date": letter.reply_by.isoformat()},
            "reply_by_passed",
            reply_by=letter.reply_by.isoformat(),
        )


def _already(delivery: Delivery) -> RuleViolation:
    at = timezone.localtime(delivery.confirmed_at)
    return _fail(
        _("Already confirmed by %(who)s at %(at)s.")
        % {"who": selectors.confirmed_label(delivery), "at": f"{at:%Y-%m-%d %H:%M}"},
        "already_confirmed",
        confirmed_by=selectors.confirmed_label(delivery),
        confirmed_at=at.isoformat(),
    )


def confirm_receipt(
    *,
    user: User,
    delivery: Delivery,
    answer: str = "",
    now: datetime | None = None,
) -> Delivery:
    """A parent confirms (and answers) for one child; the first parent's receipt counts.

    That parent may change the answer until the reply-by date; other parents may not.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("letter", "confirmed_by")
            .get(id=delivery.id)
        )
        link = Guardianship.objects.filter(user=user, student_id=delivery.student_id).first()
        if link is None:
            raise PermissionDenied("not_a_guardian")
        letter = delivery.letter
        _check_open(letter, timezone.localdate(now))
        if delivery.confirmed_at and not (
            delivery.channel == Delivery.Channel.ONLINE and delivery.confirmed_by_id == user.id
        ):
            raise _already(delivery)
        answer = _check_answer(letter, answer)
        if delivery.confirmed_at and answer == delivery.answer:
            return delivery  # the same receipt again
        if not delivery.confirmed_at:
            delivery.confirmed_at = now
            delivery.confirmed_by = user
            delivery.relation = link.relation
            delivery.channel = Delivery.Channel.ONLINE
        delivery.answer = answer
        delivery.answered_at = now if letter.kind == Kind.FORM else None
        delivery.save()
    return delivery


def record_paper_receipt(
    *,
    acc: SchoolAccess,
    delivery: Delivery,
    answer: str = "",
    now: datetime | None = None,
) -> Delivery:
    """The school enters a paper slip (回执单) a family returned, e.g. one with no account.

    Slips collected on time may be entered after the reply-by date, until the letter is closed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("letter", "school_class", "confirmed_by")
            .get(id=delivery.id)
        )
        letter = delivery.letter
        if letter.school_id != acc.school.id or not rights.may_record_paper(
            acc, delivery.school_class
        ):
            raise PermissionDenied("record_paper_receipt")
        _check_open(letter, timezone.localdate(now), late_ok=True)
        if delivery.confirmed_at:
            raise _already(delivery)
        delivery.answer = _check_answer(letter, answer)
        delivery.confirmed_at = now
        delivery.confirmed_by = acc.user
        delivery.relation = ""
        delivery.channel = Delivery.Channel.PAPER
        delivery.answered_at = now if letter.kind == Kind.FORM else None
        delivery.save()
    return delivery


# -- Reminders ----------------------------------------------------------------------------------


def remind(*, acc: SchoolAccess, letter: Letter, now: datetime | None = None) -> Reminder:
    """Tell the parents of the pupils not yet confirmed again; once a day per letter."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(id=letter.id)
        if not rights.may_manage(acc, letter):
            raise PermissionDenied("manage_letter")
        _check_open(letter, today)
        last = Reminder.objects.filter(letter=letter, day=today).first()
        if last is not None:
            raise _fail(
                _(
                    "Parents were already reminded today at %(at)s; the next reminder can be sent tomorrow."
                )
                % {"at": f"{timezone.localtime(last.at):%H:%M}"},
                "reminded_today",
                last=last.at.isoformat(),
            )
        pending = Delivery.objects.filter(letter=letter, confirmed_at__isnull=True)
        pupils = pending.count()
        if not pupils:
            raise _fail(_("Every pupil's receipt is in: nobody to remind."), "nothing_to_remind")
        parents = list(selectors.parents_of(pending))
        send(
            users=parents,
            kind="letter_reminder",
            title=_("Reminder: please reply to “%(title)s” by %(date)s")
            % {"title": letter.title, "date": letter.reply_by.isoformat()},
            body=acc.school.name,
            url=_parents_url(),
        )
        try:
            with transaction.atomic():
                return Reminder.objects.create(
                    letter=letter,
                    sent_by=acc.user,
                    at=now,
                    day=today,
                    pupils=pupils,
                    parents=len(parents),
                )
        except IntegrityError as exc:  # a concurrent reminder won the day
            raise _fail(
                _("Parents were already reminded today; the next reminder can be sent tomorrow."),
                "reminded_today",
            ) from exc
