"""Letters API for parents: their children's letters and the receipt (SV-07)."""

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from shuangjian.org.access import access_child

from . import selectors, services
from .models import MAX_ANSWER, Delivery

router = Router(tags=["letters"])


class LetterOut(Schema):
    letter_id: int
    student_id: int
    student_name: str
    school: str
    title: str
    body: str
    kind: str = Field(..., description="info, receipt or form")
    question: str
    answer_kind: str = Field(..., description="choice or text (form letters), else empty")
    options: list[str]
    reply_by: date | None
    sent_at: datetime
    state: str = Field(..., description="sent or closed")
    confirmed: bool
    confirmed_at: datetime | None
    confirmed_by: str = Field(..., description="relation and name of who confirmed")
    confirmed_by_me: bool
    answer: str
    can_reply: bool = Field(..., description="this user may confirm now, or change the answer")


def _out(d: Delivery, state: selectors.ReceiptState) -> dict:
    letter = d.letter
    return {
        "letter_id": letter.id,
        "student_id": d.student_id,
        "student_name": d.student.name,
        "school": letter.school.name,
        "title": letter.title,
        "body": letter.body,
        "kind": letter.kind,
        "question": letter.question,
        "answer_kind": letter.answer_kind,
        "options": letter.options,
        "reply_by": letter.reply_by,
        "sent_at": letter.sent_at,
        "state": letter.state,
        "confirmed": state.confirmed,
        "confirmed_at": d.confirmed_at,
        "confirmed_by": state.by,
        "confirmed_by_me": state.mine,
        "answer": d.answer,
        "can_reply": state.can_reply,
    }


@router.get(
    "/letters",
    response=list[LetterOut],
    summary="My children's letters from school, newest first (SV-07)",
)
def my_letters(request, student_id: int | None = None):
    if student_id is not None:
        access_child(request.user, student_id)
    return [
        _out(d, state)
        for child in selectors.parent_letters(request.user, student_id)
        for d, state in child.rows
    ]


class ReceiptIn(Schema):
    student_id: int
    answer: str = Field("", max_length=MAX_ANSWER)


@router.post(
    "/letters/{letter_id}/receipt",
    response={201: LetterOut},
    summary="Confirm a letter for one child, with the answer of a form letter (SV-07)",
)
def receipt(request, letter_id: int, payload: ReceiptIn):
    child = access_child(request.user, payload.student_id)
    delivery = selectors.child_delivery(child, letter_id)
    services.confirm_receipt(user=request.user, delivery=delivery, answer=payload.answer)
    delivery = selectors.child_delivery(child, letter_id)
    state = selectors.receipt_state(delivery, request.user, timezone.localdate())
    return Status(201, _out(delivery, state))
