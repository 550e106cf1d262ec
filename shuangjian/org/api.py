"""API for accounts, schools, classes, rosters and the calendar (/api/v1/...)."""

from datetime import date, datetime

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from . import selectors, services
from .access import access_class, access_school, schools_of
from .auth import login_checked
from .models import ApiToken, RegionRole, Student, hash_secret

router = Router(tags=["org"])


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="username or mobile")
    password: str = Field(..., min_length=1, max_length=128)
    name: str = Field("", max_length=50, description="what the token is for")


class TokenOut(Schema):
    token: str
    expires_at: datetime


@router.post(
    "/auth/token", auth=None, response=TokenOut, summary="Exchange a password for a bearer token"
)
def create_token(request, payload: TokenIn):
    user = login_checked(request, payload.username, payload.password)
    key = services.create_api_token(user=user, name=payload.name)
    row = ApiToken.objects.get(key_hash=hash_secret(key))
    return {"token": key, "expires_at": row.expires_at}


class PostOut(Schema):
    school_id: int
    school: str
    roles: list[str]


class RegionRoleOut(Schema):
    region_id: int
    region: str
    kind: str


class ChildOut(Schema):
    id: int
    name: str
    school: str
    class_name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    posts: list[PostOut]
    region_roles: list[RegionRoleOut]
    children: list[ChildOut]


def _child(s: Student) -> dict:
    return {"id": s.id, "name": s.name, "school": s.school.name, "class_name": str(s.school_class)}


@router.get("/me", response=MeOut, summary="Who I am and what I hold")
def me(request):
    user = request.user
    posts = []
    for school in schools_of(user):
        acc = access_school(user, school.id)
        posts.append({"school_id": school.id, "school": school.name, "roles": sorted(acc.roles)})
    regions = [
        {"region_id": r.region_id, "region": r.region.name, "kind": r.kind}
        for r in RegionRole.objects.filter(user=user).select_related("region")
    ]
    children = Student.objects.filter(guardianships__user=user, active=True).select_related(
        "school", "school_class"
    )
    return {
        "id": user.id,
        "username": user.username,
        "name": str(user),
        "posts": posts,
        "region_roles": regions,
        "children": [_child(c) for c in children],
    }


class ClassOut(Schema):
    id: int
    grade: int
    number: int
    name: str
    pupils: int
    head_teacher: str | None


@router.get("/schools/{school_id}/classes", response=list[ClassOut], summary="Classes I may open")
def classes(request, school_id: int):
    acc = access_school(request.user, school_id)
    return [
        {
            "id": c.id,
            "grade": c.grade,
            "number": c.number,
            "name": str(c),
            "pupils": c.pupils,
            "head_teacher": c.head_roles[0].staff.name if c.head_roles else None,
        }
        for c in (selectors.class_list(acc) if acc.staff else [])
    ]


class StudentOut(Schema):
    id: int
    student_no: str
    name: str
    gender: str
    guardian_name: str | None = None
    guardian_mobile: str | None = None
    care_flags: list[str] | None = Field(
        None, description="present only for roles that may see them (ORG-04)"
    )


@router.get(
    "/schools/{school_id}/classes/{class_id}/students",
    response=list[StudentOut],
    exclude_none=True,
    summary="A class roster",
)
def students(request, school_id: int, class_id: int):
    acc, klass = access_class(request.user, school_id, class_id)
    flags, contact = acc.can_see_care_flags(klass), acc.can_see_guardian_contact(klass)
    out = []
    for s in selectors.class_roster(acc, klass):
        row = {"id": s.id, "student_no": s.student_no, "name": s.name, "gender": s.gender}
        if contact:
            row.update(guardian_name=s.guardian_name, guardian_mobile=s.guardian_mobile)
        if flags:
            row["care_flags"] = sorted(f.flag for f in s.care_flags.all())
        out.append(row)
    return out


class DayOut(Schema):
    day: date
    kind: str
    is_school_day: bool
    label: str
    estimated: bool


class CalendarOut(Schema):
    school_days: int
    uncovered_years: list[int]
    days: list[DayOut]


@router.get("/schools/{school_id}/calendar", response=CalendarOut, summary="School days (ORG-06)")
def calendar(request, school_id: int, start: date, end: date):
    acc = access_school(request.user, school_id)
    if end < start or (end - start).days > 400:
        raise ValidationError(
            {"end": _("The end must be on or after the start, and at most 400 days later.")},
            code="bad_range",
        )
    cal = selectors.school_calendar(acc.school, start, end)
    return {
        "school_days": cal.school_day_count,
        "uncovered_years": cal.uncovered_years,
        "days": [
            {
                "day": d.day,
                "kind": d.kind.value,
                "is_school_day": d.is_school_day,
                "label": d.label,
                "estimated": d.estimated,
            }
            for d in cal.days
        ],
    }


class RegisterIn(Schema):
    code: str = Field(..., min_length=4, max_length=20)
    name: str = Field(..., min_length=1, max_length=50)
    mobile: str = Field(..., pattern=r"^1[3-9]\d{9}$")
    password: str = Field(..., min_length=8, max_length=128)
    relation: str = Field("", max_length=20)


@router.post(
    "/parents/register", auth=None, response={201: ChildOut}, summary="Parent account from a code"
)
def register(request, payload: RegisterIn):
    try:
        password_validation.validate_password(payload.password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user = services.register_parent(**payload.dict())
    link = user.guardianships.select_related("student__school", "student__school_class").get()
    return Status(201, _child(link.student))


class LinkIn(Schema):
    code: str = Field(..., min_length=4, max_length=20)
    relation: str = Field("", max_length=20)


@router.post("/parents/children", response={201: ChildOut}, summary="Link another child")
def add_child(request, payload: LinkIn):
    link = services.link_child(user=request.user, **payload.dict())
    return Status(201, _child(link.student))
