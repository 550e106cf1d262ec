"""After-school teachers and inspection API (AS-11, AS-12): record a daily patrol; read the
semester scores with their evidence and the teacher load with its spread."""

from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from shuangjian.afternoon.models import Session
from shuangjian.org.access import access_school
from shuangjian.rules import inspection as rules

from . import selectors, services

router = Router(tags=["asreview"])


class PatrolIn(Schema):
    session_id: int
    staff_present: bool
    activity_held: bool
    rules_kept: bool
    breaches: int = Field(0, ge=0, le=services.MAX_EVENTS)
    bad_influence: int = Field(0, ge=0, le=services.MAX_EVENTS)
    serious_accidents: int = Field(0, ge=0, le=services.MAX_EVENTS)
    note: str = Field("", max_length=500)


class PatrolOut(Schema):
    id: int
    session_id: int
    by: str
    deduction: int


@router.post(
    "/schools/{school_id}/afterschool/patrols",
    response={201: PatrolOut},
    summary="Record a daily patrol of a session (AS-12): duty leader or appointed parent",
)
def record_patrol(request, school_id: int, payload: PatrolIn):
    patroller = services.patroller_for(request.user, school_id)
    session = Session.objects.filter(school=patroller.school, id=payload.session_id).first()
    if session is None:
        raise Http404
    data = payload.dict()
    data.pop("session_id")
    p = services.record_patrol(patroller=patroller, session=session, **data)
    return Status(
        201, {"id": p.id, "session_id": session.id, "by": p.by, "deduction": p.counts.deduction}
    )


class PartOut(Schema):
    key: str
    full: int
    points: float | None
    evidence: dict


class ScoreOut(Schema):
    programme_id: int
    programme: str
    parts: list[PartOut]
    total: float | None
    missing: list[str]


class ScoresOut(Schema):
    school_id: int
    term_id: int
    term: str
    rule: str
    scores: list[ScoreOut]


@router.get(
    "/schools/{school_id}/afterschool/scores",
    response=ScoresOut,
    summary="Semester scores per after-school class with the evidence of each part (AS-12)",
)
def scores(request, school_id: int, term_id: int | None = None):
    acc = access_school(request.user, school_id)
    services.require(services.may_manage(acc), "manage_afterschool")
    term = selectors.chosen_term(acc.school, term_id, timezone.localdate())
    if term is None:
        raise Http404
    rows = selectors.scores(acc.school, term, timezone.localdate())
    return {
        "school_id": acc.school.id,
        "term_id": term.id,
        "term": term.name,
        "rule": str(rules.SOURCE),
        "scores": [
            {
                "programme_id": r.programme.id,
                "programme": r.programme.name,
                "parts": [
                    {"key": p.key, "full": p.full, "points": p.points, "evidence": p.evidence}
                    for p in r.score.parts
                ],
                "total": r.score.total,
                "missing": r.score.missing,
            }
            for r in rows
        ],
    }


class LoadRowOut(Schema):
    staff_id: int
    name: str
    per_week: list[int]
    total: int
    above: bool
    below: bool


class SpreadOut(Schema):
    count: int
    minimum: int
    maximum: int
    mean: float
    stdev: float


class LoadOut(Schema):
    start: date
    end: date
    weeks: list[date]
    spread: SpreadOut | None
    rows: list[LoadRowOut]


@router.get(
    "/schools/{school_id}/afterschool/load",
    response=LoadOut,
    summary="Sessions per teacher per week over a range and their spread (AS-11)",
)
def load(request, school_id: int, start: date | None = None, end: date | None = None):
    acc = access_school(request.user, school_id)
    services.require(services.may_manage(acc), "manage_afterschool")
    end = end or timezone.localdate()
    start = start or end - timedelta(days=27)
    selectors.check_load_range(start, end)
    result = selectors.teacher_load(acc.school, start, end)
    s = result.spread
    return {
        "start": start,
        "end": end,
        "weeks": result.weeks,
        "spread": None if s is None else vars(s),
        "rows": [
            {
                "staff_id": r.staff.id,
                "name": r.staff.name,
                "per_week": r.per_week,
                "total": r.total,
                "above": r.above,
                "below": r.below,
            }
            for r in result.rows
        ],
    }
