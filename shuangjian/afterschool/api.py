"""After-school API: the public weekly schedule (AS-05, AS-13) and joining a free place (AS-06)."""

from datetime import time
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Router, Schema, Status

from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import School, Student

from . import selectors, services
from .models import Programme

router = Router(tags=["afterschool"])


class SlotOut(Schema):
    weekday: int
    start: time
    end: time


class ProgrammeOut(Schema):
    id: int
    name: str
    category: str
    grade_from: int
    grade_to: int
    capacity: int
    taken: int
    free: int
    venue: str
    staff: str
    fee: Decimal
    slots: list[SlotOut]


class ScheduleOut(Schema):
    school_id: int
    term: str
    supervision_hotline: str
    supervision_mailbox: str
    programmes: list[ProgrammeOut]


@router.get(
    "/schools/{school_id}/afterschool/schedule",
    response=ScheduleOut,
    summary="The school's weekly after-school schedule and supervision contact (AS-05, AS-13)",
)
def schedule(request, school_id: int, term_id: int | None = None):
    school = School.objects.filter(id=school_id).first()
    is_parent = (
        school is not None
        and Student.objects.filter(
            school=school, active=True, guardianships__user=request.user
        ).exists()
    )
    if not is_parent:
        school = access_school(request.user, school_id).school
    if term_id is not None:
        term = selectors.term_of(school, term_id)
        if term is None:
            raise Http404
    else:
        term = selectors.current_term(school, timezone.localdate())
    conf = selectors.settings_of(school)
    rows = selectors.programmes(school, term, approved_only=True)
    return {
        "school_id": school.id,
        "term": term.name if term else "",
        "supervision_hotline": conf.hotline if conf else "",
        "supervision_mailbox": conf.mailbox if conf else "",
        "programmes": [
            {
                "id": r.programme.id,
                "name": r.programme.name,
                "category": r.programme.category,
                "grade_from": r.programme.grade_from,
                "grade_to": r.programme.grade_to,
                "capacity": r.programme.capacity,
                "taken": r.taken,
                "free": r.free,
                "venue": r.programme.venue.name,
                "staff": r.programme.lead.name,
                "fee": r.programme.fee,
                "slots": [{"weekday": s.weekday, "start": s.start, "end": s.end} for s in r.slots],
            }
            for r in rows
        ],
    }


class JoinIn(Schema):
    student_id: int


class EnrolmentOut(Schema):
    id: int
    programme_id: int
    student_id: int
    status: str
    source: str


@router.post(
    "/afterschool/programmes/{programme_id}/join",
    response={201: EnrolmentOut},
    summary="Take a free place in a programme for one's child (AS-06); 422 programme_full",
)
def join(request, programme_id: int, payload: JoinIn):
    student = access_child(request.user, payload.student_id)
    programme = Programme.objects.filter(id=programme_id, school=student.school).first()
    if programme is None:
        raise Http404
    e = services.join_free_place(student=student, programme=programme, user=request.user)
    return Status(
        201,
        {
            "id": e.id,
            "programme_id": e.programme_id,
            "student_id": e.student_id,
            "status": e.status,
            "source": e.source,
        },
    )
