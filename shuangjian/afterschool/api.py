"""After-school API: the public weekly schedule (AS-05, AS-13), joining a free place (AS-06),
voluntary applications and the service agreement (AS-03, AS-04), preferences and allocation runs
(AS-06), and the "5+2" check (AS-01)."""

from datetime import date, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from shuangjian.org.access import access_child, access_school
from shuangjian.org.models import School, Student, StudentCareFlag, Term
from shuangjian.rules.allocation import PRIORITY_FLAGS

from . import selectors, services
from .models import AllocationRun, Application, Programme, ServiceAgreement

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


# -- Voluntary application (AS-03, AS-04) -------------------------------------------------------


class ApplyIn(Schema):
    student_id: int
    term_id: int
    wants_homework_tutoring: bool = False
    note: str = Field("", max_length=500)


class ApplicationOut(Schema):
    id: int
    status: str


class DecisionIn(Schema):
    approve: bool
    reason: str = Field("", max_length=500)


class SignIn(Schema):
    agreement_id: int


class SignatureOut(Schema):
    id: int
    application_id: int
    agreement_id: int
    version: int
    status: str


def _app_out(app: Application) -> dict:
    return {"id": app.id, "status": app.status}


def _term_of_child(student: Student, term_id: int) -> Term:
    term = Term.objects.filter(id=term_id, school_id=student.school_id).first()
    if term is None:
        raise Http404
    return term


def _staff_application(request, application_id: int):
    """The application and the user's access to its school: another school's is a 404."""
    app = (
        Application.objects.select_related("student__school_class")
        .filter(id=application_id)
        .first()
    )
    if app is None:
        raise Http404
    acc = access_school(request.user, app.student.school_id)
    return acc, app


@router.post(
    "/afterschool/applications",
    response={201: ApplicationOut},
    summary="A parent applies for after-school service for a child (AS-03); voluntary, no proof",
)
def apply(request, payload: ApplyIn):
    student = access_child(request.user, payload.student_id)
    term = _term_of_child(student, payload.term_id)
    app = services.apply(
        user=request.user,
        student=student,
        term=term,
        wants_homework_tutoring=payload.wants_homework_tutoring,
        note=payload.note,
    )
    return Status(201, _app_out(app))


@router.post(
    "/afterschool/applications/{application_id}/review",
    response=ApplicationOut,
    summary="Class review by the pupil's head teacher (班级初审); a return needs a reason",
)
def review(request, application_id: int, payload: DecisionIn):
    acc, app = _staff_application(request, application_id)
    app = services.review_application(
        acc=acc,
        application=app,
        approve=payload.approve,
        reason=payload.reason,
    )
    return _app_out(app)


@router.post(
    "/afterschool/applications/{application_id}/decide",
    response=ApplicationOut,
    summary="School approval by the principal or academic office (学校核准); refusal needs a reason",
)
def decide(request, application_id: int, payload: DecisionIn):
    acc, app = _staff_application(request, application_id)
    app = services.decide_application(
        acc=acc,
        application=app,
        approve=payload.approve,
        reason=payload.reason,
    )
    return _app_out(app)


@router.post(
    "/afterschool/applications/{application_id}/sign",
    response={201: SignatureOut},
    summary="A parent signs the current service agreement (AS-03); 422 outdated_agreement",
)
def sign(request, application_id: int, payload: SignIn):
    app = Application.objects.filter(id=application_id).first()
    if app is None:
        raise Http404
    access_child(request.user, app.student_id)
    agreement = ServiceAgreement.objects.filter(
        id=payload.agreement_id, school_id=app.student.school_id
    ).first()
    if agreement is None:
        raise Http404
    sig = services.sign_agreement(user=request.user, application=app, agreement=agreement)
    return Status(
        201,
        {
            "id": sig.id,
            "application_id": app.id,
            "agreement_id": agreement.id,
            "version": agreement.version,
            "status": Application.objects.get(id=app.id).status,
        },
    )


# -- Preferences (AS-06) ------------------------------------------------------------------------


class PreferenceIn(Schema):
    student_id: int
    term_id: int
    programme_ids: list[int]


class PreferenceOut(Schema):
    student_id: int
    term_id: int
    programme_ids: list[int]


@router.put(
    "/afterschool/preferences",
    response=PreferenceOut,
    summary="A parent's ranked programme choices for one child and term (AS-06)",
)
def preferences(request, payload: PreferenceIn):
    student = access_child(request.user, payload.student_id)
    term = _term_of_child(student, payload.term_id)
    pref = services.save_preference(
        user=request.user, student=student, term=term, programme_ids=payload.programme_ids
    )
    return {"student_id": student.id, "term_id": term.id, "programme_ids": pref.choices}


# -- Allocation runs (AS-04, AS-06) -------------------------------------------------------------


class RunIn(Schema):
    term_id: int
    seed: str = Field(..., min_length=1, max_length=40)


class RunOut(Schema):
    id: int
    term_id: int
    seed: str
    published: bool
    welfare: int
    assigned: int
    unassigned: int


class RunRowOut(Schema):
    student_id: int
    name: str
    class_name: str
    programme_id: int | None
    programme: str
    rank: int | None
    outcome: str
    explanation: str
    priority: bool | None = Field(None, description="only for roles that may see care flags")
    care_flags: list[str] | None = Field(None, description="only for roles that may see them")


class RunDetailOut(RunOut):
    results: list[RunRowOut]


def _require_manager(acc) -> None:
    if not services.may_manage(acc):
        raise PermissionDenied("allocation")


def _run_out(run: AllocationRun) -> dict:
    assigned = sum(1 for r in run.results if r.get("programme_id") is not None)
    return {
        "id": run.id,
        "term_id": run.term_id,
        "seed": run.seed,
        "published": run.published,
        "welfare": run.welfare,
        "assigned": assigned,
        "unassigned": len(run.results) - assigned,
    }


def _run_for(request, run_id: int):
    run = AllocationRun.objects.filter(id=run_id).select_related("term").first()
    if run is None:
        raise Http404
    acc = access_school(request.user, run.school_id)
    _require_manager(acc)
    return acc, run


@router.post(
    "/schools/{school_id}/afterschool/allocation-runs",
    response={201: RunOut},
    summary="Run the allocation of the term's preferences, for preview (AS-04, AS-06)",
)
def create_run(request, school_id: int, payload: RunIn):
    acc = access_school(request.user, school_id)
    _require_manager(acc)
    term = selectors.term_of(acc.school, payload.term_id)
    if term is None:
        raise Http404
    run = services.run_allocation(
        school=acc.school, term=term, seed=payload.seed, actor=request.user
    )
    return Status(201, _run_out(run))


@router.get(
    "/afterschool/allocation-runs/{run_id}",
    response=RunDetailOut,
    summary="A run's per-pupil results with explanations; care information only for those who "
    "may see care flags",
)
def get_run(request, run_id: int):
    acc, run = _run_for(request, run_id)
    rows = selectors.run_rows(run)
    students = {
        s.id: s
        for s in Student.objects.filter(
            id__in=[r["student_id"] for r in rows], school=acc.school
        ).select_related("school_class")
    }
    flags: dict[int, set[str]] = {}
    for sid, flag in StudentCareFlag.objects.filter(student_id__in=list(students)).values_list(
        "student_id", "flag"
    ):
        flags.setdefault(sid, set()).add(flag)
    out = []
    for r in rows:
        st = students.get(r["student_id"])
        sees = st is not None and acc.can_see_care_flags(st.school_class)
        out.append(
            {
                "student_id": r["student_id"],
                "name": r.get("name", ""),
                "class_name": r.get("class", ""),
                "programme_id": r.get("programme_id"),
                "programme": r.get("programme", ""),
                "rank": r.get("rank"),
                "outcome": r.get("outcome", ""),
                "explanation": _public_explanation(r, sees),
                "priority": r.get("priority") if sees else None,
                "care_flags": sorted(flags.get(r["student_id"], set()) & PRIORITY_FLAGS)
                if sees
                else None,
            }
        )
    return {**_run_out(run), "results": out}


def _public_explanation(row: dict, sees_care: bool) -> str:
    """The explanation; for those who may not see care flags, the reason "places went to pupils
    served first" (which hints at priority) is put in neutral words."""
    text = row.get("explanation", "")
    if sees_care:
        return text
    return text.replace(
        str(services.REASONS[services.alloc.Reason.PRIORITY]),
        str(services.REASONS[services.alloc.Reason.TAKEN_EARLIER]),
    )


@router.post(
    "/afterschool/allocation-runs/{run_id}/publish",
    response=RunOut,
    summary="Publish a run: enrolments and waiting lists (once per term); 422 already_published",
)
def publish_run(request, run_id: int):
    _acc, run = _run_for(request, run_id)
    run = services.publish_allocation(run=run, actor=request.user)
    return _run_out(run)


# -- The "5+2" check (AS-01) --------------------------------------------------------------------


class FailureOut(Schema):
    code: str
    rule: str
    numbers: dict


class DayCheckOut(Schema):
    day: date
    required: bool
    kind: str
    minutes: int
    start: time | None
    end: time | None
    end_of_work: time
    ok: bool
    estimated: bool
    failures: list[FailureOut]


class WeekCheckOut(Schema):
    week: date
    ok: bool
    required_days: int
    days_ok: int
    summary: str
    days: list[DayCheckOut]


@router.get(
    "/schools/{school_id}/afterschool/check",
    response=WeekCheckOut,
    summary='The "5+2" check of a week (AS-01): each day with the codes of the rules it fails',
)
def check(request, school_id: int, week: date):
    acc = access_school(request.user, school_id)
    _require_manager(acc)
    result = services.check_timetable(acc.school, week)
    monday = week.fromordinal(week.toordinal() - week.weekday())
    return {
        "week": monday,
        "ok": result.ok,
        "required_days": result.required_days,
        "days_ok": result.days_ok,
        "summary": result.summary,
        "days": [
            {
                "day": d.day,
                "required": d.required,
                "kind": d.kind,
                "minutes": d.minutes,
                "start": d.start,
                "end": d.end,
                "end_of_work": d.end_of_work,
                "ok": d.ok,
                "estimated": d.estimated,
                "failures": [
                    {"code": str(f.code), "rule": f.rule, "numbers": dict(f.numbers)}
                    for f in d.failures
                ],
            }
            for d in result.days
        ],
    }
