"""Homework API: publish, the class notice, approve/return, feedback, compliance (HW-01 … HW-06)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from shuangjian.org.access import access_child, access_class_homework, access_school
from shuangjian.org.models import SchoolClass, Subject

from . import selectors, services
from .models import Homework

router = Router(tags=["homework"])


class TierIn(Schema):
    name: str = Field(..., min_length=1, max_length=20)
    minutes: int = Field(..., ge=1, le=240)
    pupil_ids: list[int] = []


class PublishIn(Schema):
    school_id: int
    class_id: int
    subject_id: int
    date: date
    content: str = Field(..., min_length=1, max_length=2000)
    kind: Homework.Kind
    minutes: int = Field(..., ge=1, le=240)
    confirm_not_punitive: bool
    elastic: bool = False
    tiers: list[TierIn] = Field([], max_length=5)
    personal_pupil_ids: list[int] = []


class PublishOut(Schema):
    id: int
    status: str
    total: int = Field(..., description="heaviest written minutes of any pupil that day")
    limit: int | None
    repeated: bool


def _result(r: services.PublishResult) -> dict:
    hw = r.homework
    return {
        "id": hw.id,
        "status": hw.status,
        "total": r.total,
        "limit": r.limit,
        "repeated": hw.repeated,
    }


@router.post("/homework", response={201: PublishOut}, summary="Publish homework (HW-01 … HW-05)")
def publish(request, payload: PublishIn):
    acc = access_school(request.user, payload.school_id)
    klass = SchoolClass.objects.filter(school=acc.school, id=payload.class_id).first()
    subject = Subject.objects.filter(school=acc.school, id=payload.subject_id).first()
    if klass is None or subject is None:
        raise Http404
    if not acc.can_publish_homework(klass, subject.id):
        raise PermissionDenied("publish_homework")
    result = services.publish_homework(
        teacher=request.user,
        klass=klass,
        subject=subject,
        day=payload.date,
        content=payload.content,
        kind=payload.kind,
        minutes=payload.minutes,
        confirm_not_punitive=payload.confirm_not_punitive,
        elastic=payload.elastic,
        tiers=[services.TierSpec(t.name, t.minutes, tuple(t.pupil_ids)) for t in payload.tiers],
        personal_pupil_ids=payload.personal_pupil_ids,
    )
    return Status(201, _result(result))


class TierOut(Schema):
    name: str
    minutes: int


class ItemOut(Schema):
    id: int
    subject: str
    teacher: str
    content: str
    kind: str
    minutes: int
    elastic: bool
    personal: bool
    tiers: list[TierOut]


class NoticeOut(Schema):
    date: date
    day_kind: str
    limit: int | None
    total: int
    items: list[ItemOut]


@router.get(
    "/schools/{school_id}/classes/{class_id}/homework",
    response=NoticeOut,
    summary="A class's published homework for a day, with its total and limit (HW-04)",
)
def class_notice(request, school_id: int, class_id: int, date: date):
    _acc, klass = access_class_homework(request.user, school_id, class_id)
    n = selectors.notice(klass, date)
    return {
        "date": n.day,
        "day_kind": n.kind.value,
        "limit": n.limit.minutes,
        "total": n.total,
        "items": [
            {
                "id": h.id,
                "subject": h.subject.name,
                "teacher": str(h.teacher),
                "content": h.content,
                "kind": h.kind,
                "minutes": h.minutes,
                "elastic": h.elastic,
                "personal": h.personal,
                "tiers": [{"name": t.name, "minutes": t.minutes} for t in h.tiers.all()],
            }
            for h in n.items
        ],
    }


def _held_item(request, homework_id: int) -> Homework:
    hw = Homework.objects.select_related("school_class").filter(id=homework_id).first()
    if hw is None:
        raise Http404
    acc = access_school(request.user, hw.school_id)
    if not acc.can_coordinate_homework(hw.school_class):
        raise PermissionDenied("coordinate_homework")
    return hw


class ApproveIn(Schema):
    minutes: int | None = Field(None, ge=1, le=240, description="trimmed minutes, if trimmed")
    note: str = Field("", max_length=200)


@router.post(
    "/homework/{homework_id}/approve",
    response=PublishOut,
    summary="Head teacher approves a held item",
)
def approve(request, homework_id: int, payload: ApproveIn):
    hw = _held_item(request, homework_id)
    return _result(
        services.approve_homework(
            homework=hw, actor=request.user, minutes=payload.minutes, note=payload.note
        )
    )


class ReturnIn(Schema):
    note: str = Field(..., min_length=1, max_length=200)


class StatusOut(Schema):
    id: int
    status: str


@router.post(
    "/homework/{homework_id}/return", response=StatusOut, summary="Head teacher returns a held item"
)
def return_item(request, homework_id: int, payload: ReturnIn):
    hw = services.return_homework(
        homework=_held_item(request, homework_id), actor=request.user, note=payload.note
    )
    return {"id": hw.id, "status": hw.status}


class FeedbackIn(Schema):
    student_id: int
    date: date
    mostly_at_school: bool
    minutes: int | None = Field(None, ge=0, le=600, description="total, when not itemised")
    item_minutes: dict[int, int] = Field({}, description="homework id → actual minutes")


class FeedbackOut(Schema):
    id: int
    minutes: int
    mostly_at_school: bool


@router.post(
    "/feedback", response={201: FeedbackOut}, summary="A parent reports actual time (HW-06)"
)
def feedback(request, payload: FeedbackIn):
    child = access_child(request.user, payload.student_id)
    fb = services.submit_feedback(
        reporter=request.user,
        student=child,
        day=payload.date,
        minutes=payload.minutes,
        mostly_at_school=payload.mostly_at_school,
        item_minutes=payload.item_minutes or None,
    )
    return Status(
        201, {"id": fb.id, "minutes": fb.minutes, "mostly_at_school": fb.mostly_at_school}
    )


class ComplianceOut(Schema):
    label: str
    pupil_days: int
    within: int
    share: float | None
    mostly_at_school: int


@router.get(
    "/schools/{school_id}/homework/compliance",
    response=list[ComplianceOut],
    summary="Share of reported pupil-days within the limit (HW-06)",
)
def compliance(request, school_id: int, start: date, end: date, by: str = "class"):
    acc = access_school(request.user, school_id)
    if not (acc.can_audit_homework() or acc.official is not None):
        raise PermissionDenied("homework_report")
    if by not in {"class", "grade", "week", "school"}:
        raise ValidationError({"by": _("Choose class, grade, week or school.")}, code="invalid")
    if end < start or (end - start).days > 366:
        raise ValidationError(
            {"end": _("The end must follow the start, within a year.")}, code="invalid"
        )
    return [
        {
            "label": c.label,
            "pupil_days": c.pupil_days,
            "within": c.within,
            "share": c.share,
            "mostly_at_school": c.mostly_at_school,
        }
        for c in selectors.compliance(acc.school, start, end, by)
    ]
