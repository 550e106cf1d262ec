"""Complaints API (SV-03, SV-04).

Anonymous: file a complaint (JSON, or multipart with files), follow it with the tracking code,
list the schools and the exposure board.  Bureau (token or session): a region's cases.
"""

import json
from datetime import date, datetime

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError

from shuangjian.org.access import access_region
from shuangjian.org.models import School

from . import selectors, services, tracking
from .models import MAX_DESCRIPTION, Category
from .models import Status as CaseStatus

router = Router(tags=["complaints"])


class ComplaintIn(Schema):
    school_id: int
    category: Category
    description: str = Field(..., min_length=1, max_length=MAX_DESCRIPTION)
    real_name: bool = False
    complainant_name: str = Field("", max_length=50)
    complainant_contact: str = Field("", max_length=100)


class FiledOut(Schema):
    tracking_code: str = Field(..., description="shown this once; only its hash is kept")
    deadline: date
    attachments: int


class ErrorOut(Schema):
    code: str
    message: str


def _payload(request) -> tuple[ComplaintIn, list]:
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        data = {k: request.POST.get(k) for k in request.POST}
        files = request.FILES.getlist("files")
    else:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise NinjaValidationError(
                [{"loc": ["body"], "msg": _("The body is not valid JSON.")}]
            ) from None
        files = []
    if not isinstance(data, dict):
        raise NinjaValidationError([{"loc": ["body"], "msg": _("Send an object.")}])
    try:
        return ComplaintIn.model_validate(data), files
    except PydanticValidationError as exc:
        raise NinjaValidationError(
            [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        ) from None


@router.post(
    "/complaints",
    auth=None,
    response={201: FiledOut, 429: ErrorOut},
    summary="File a complaint about a school, anonymously or under one's name (SV-03)",
    description=(
        "JSON (`ComplaintIn`) without files, or multipart/form-data with the same fields and up "
        "to 5 `files` (JPEG, PNG, WebP or PDF, 5 MB each, checked by content).  A bad file "
        "refuses the whole filing (422, field `files`) and stores nothing."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": ComplaintIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            **ComplaintIn.model_json_schema()["properties"],
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
def file_complaint(request):
    if tracking.filing_throttled(request):
        return Status(429, {"code": "throttled", "message": _("Too many complaints; try later.")})
    payload, files = _payload(request)
    school = School.objects.filter(id=payload.school_id).first()
    if school is None:
        raise NinjaValidationError([{"loc": ["school_id"], "msg": _("Unknown school.")}])
    filing = services.file_complaint(
        school=school,
        category=payload.category,
        description=payload.description,
        real_name=payload.real_name,
        complainant_name=payload.complainant_name,
        complainant_contact=payload.complainant_contact,
        files=files,
    )
    tracking.record_filing(request)
    return Status(
        201,
        {
            "tracking_code": filing.tracking_code,
            "deadline": filing.complaint.deadline,
            "attachments": len(files),
        },
    )


class StepOut(Schema):
    at: datetime
    action: str
    label: str
    note: str


class TrackOut(Schema):
    category: str
    category_label: str
    school: str
    filed_on: date
    deadline: date
    status: str
    status_label: str
    paused: bool
    question: str
    finding: str
    finding_label: str
    reply: str
    closed_on: date | None
    escalated: bool
    timeline: list[StepOut]


@router.get(
    "/complaints/track/{code}",
    auth=None,
    response={200: TrackOut, 429: ErrorOut},
    summary="Follow a complaint with its tracking code: facts and steps only (SV-03)",
    description="Any code that matches nothing is the same 404; many misses are throttled (429).",
)
def track(request, code: str):
    if tracking.lookup_throttled(request):
        return Status(
            429, {"code": "throttled", "message": _("Too many codes tried; try again later.")}
        )
    complaint = services.find_by_code(code)
    if complaint is None:
        tracking.record_failed_lookup(request)
        raise Http404
    case = selectors.public_case(complaint)
    return {**case.__dict__, "timeline": [s.__dict__ for s in case.timeline]}


class SchoolOut(Schema):
    id: int
    name: str
    code: str
    county: str


@router.get(
    "/complaints/schools",
    auth=None,
    response=list[SchoolOut],
    summary="Schools a complaint can be filed about",
)
def schools(request, county: str = ""):
    qs = School.objects.select_related("county").order_by("county__code", "code")
    if county:
        qs = qs.filter(county__code=county)
    return [{"id": s.id, "name": s.name, "code": s.code, "county": s.county.name} for s in qs]


class ExposureOut(Schema):
    id: int
    title: str
    summary: str
    school: str
    category: str
    published_at: datetime


@router.get(
    "/exposure",
    auth=None,
    response=list[ExposureOut],
    summary="The exposure board: published substantiated cases (SV-04)",
)
def exposure(request, limit: int = 50):
    return [
        {
            "id": e.id,
            "title": e.title,
            "summary": e.summary,
            "school": e.school_name,
            "category": e.category,
            "published_at": e.published_at,
        }
        for e in selectors.exposure_cases()[: max(1, min(limit, 200))]
    ]


class CaseOut(Schema):
    id: int
    school_id: int
    school: str
    category: str
    status: str
    filed_on: date
    deadline: date
    overdue: bool
    paused: bool
    escalated: bool
    special_supervision: bool
    owner: str | None
    real_name: bool
    complainant_name: str
    complainant_contact: str


@router.get(
    "/regions/{region_id}/complaints",
    response=list[CaseOut],
    summary="A region's complaints for its officers and inspectors (SV-03)",
)
def region_complaints(
    request,
    region_id: int,
    status: CaseStatus | None = None,
    category: Category | None = None,
    overdue: bool = False,
    limit: int = 100,
):
    _role, region = access_region(request.user, region_id)
    today = timezone.localdate()
    qs = selectors.region_complaints(
        region,
        today=today,
        status=status or "",
        category=category or "",
        overdue=overdue,
    )[: max(1, min(limit, 500))]
    return [
        {
            "id": c.id,
            "school_id": c.school_id,
            "school": c.school.name,
            "category": c.category,
            "status": c.status,
            "filed_on": c.filed_on,
            "deadline": c.deadline,
            "overdue": c.is_overdue(today),
            "paused": c.paused_since is not None,
            "escalated": c.escalated_to_id is not None,
            "special_supervision": c.special_supervision,
            "owner": str(c.owner) if c.owner else None,
            "real_name": c.real_name,
            "complainant_name": c.complainant_name,
            "complainant_contact": c.complainant_contact,
        }
        for c in qs
    ]
