"""Writes for complaints and the exposure board (SV-03, SV-04).

Every verb is keyword-only, runs in one transaction, locks the complaint it changes, checks the
state it starts from (RuleViolation code "bad_transition") and writes a ComplaintEvent.  Bureau
verbs need an officer of the complaint's county or a region above it; school verbs need the
principal or the academic office of the school complained about.  Views and the API check access
first (for the 404s); the checks here keep every caller honest.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.errors import RuleViolation
from shuangjian.notify.services import send
from shuangjian.org.models import Region, RegionRole, Role, School, Staff, Student, User
from shuangjian.rules import complaints as rules
from shuangjian.rules.calendar import national_day

from . import tracking
from .models import (
    MAX_DESCRIPTION,
    MAX_TEXT,
    Attachment,
    Category,
    Complaint,
    ComplaintEvent,
    ComplaintPause,
    ExposureCase,
    Finding,
    HandlingLimit,
    Status,
)

Side = ComplaintEvent.Side
RULE = "SV-03"

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Numbers that point at a person: mobiles and 18-digit identity numbers.
PERSONAL_NUMBER = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?!\d)")


def is_working_day(d: date) -> bool:
    return national_day(d).is_working_day


@dataclass(frozen=True)
class Filing:
    """What filing returns: the case and its tracking code, shown this once and never again."""

    complaint: Complaint
    tracking_code: str


# -- Helpers ---------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _event(
    c: Complaint,
    *,
    actor: User | None,
    side: str,
    action: str,
    at: datetime,
    from_status: str = "",
    note: str = "",
    **detail,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=c,
        actor=actor,
        side=side,
        action=action,
        from_status=from_status,
        to_status=c.status,
        note=note,
        detail=detail,
        at=at,
    )


def _move(
    c: Complaint,
    *,
    actor: User | None,
    side: str,
    action: str,
    now: datetime,
    status: str | None = None,
    note: str = "",
    detail: dict | None = None,
    **fields,
) -> None:
    """One step of the case: set the fields (and the status), save them, write its event row."""
    before = c.status
    for name, value in fields.items():
        setattr(c, name, value)
    if status is not None:
        c.status = status
    c.save(update_fields=[*fields, *(["status"] if status is not None else [])])
    _event(
        c,
        actor=actor,
        side=side,
        action=action,
        at=now,
        from_status=before,
        note=note,
        **(detail or {}),
    )


def _lock(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("school", "county__parent__parent")
        .get(id=complaint.id)
    )


def _check_state(c: Complaint, action: str) -> None:
    if not rules.allowed(action, c.status):
        raise RuleViolation(
            _("This step is not possible while the case is “%(status)s”.")
            % {"status": c.get_status_display()},
            code="bad_transition",
            rule=RULE,
            field="status",
            status=c.status,
            action=action,
        )


def _text(value: str | None, field: str, max_length: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise RuleViolation(_("This field is required."), code="required", rule=RULE, field=field)
    if len(value) > max_length:
        raise RuleViolation(
            _("At most %(max)d characters (this text has %(length)d).")
            % {"max": max_length, "length": len(value)},
            code="too_long",
            rule=RULE,
            field=field,
            max=max_length,
            length=len(value),
        )
    return value


def _chain(county: Region) -> list[Region]:
    return county.ancestors_and_self()


def is_officer_for(user: User, complaint: Complaint) -> bool:
    return (
        bool(user and user.is_authenticated)
        and RegionRole.objects.filter(
            user=user, region__in=_chain(complaint.county), kind=RegionRole.Kind.OFFICER
        ).exists()
    )


def is_school_handler(user: User, school: School) -> bool:
    """The principal and the academic office answer the bureau for their school."""
    return Staff.objects.filter(
        school=school,
        user=user,
        active=True,
        roles__role__in=[Role.PRINCIPAL, Role.ACADEMIC],
    ).exists()


def _require_officer(actor: User, c: Complaint) -> None:
    if not is_officer_for(actor, c):
        raise PermissionDenied("handle_complaint")


def _require_school(actor: User, c: Complaint) -> None:
    if not is_school_handler(actor, c.school):
        raise PermissionDenied("answer_complaint")


def _school_handlers(school: School) -> list[User]:
    return list(
        User.objects.filter(
            staff_posts__school=school,
            staff_posts__active=True,
            staff_posts__roles__role__in=[Role.PRINCIPAL, Role.ACADEMIC],
        ).distinct()
    )


def _case_url(c: Complaint) -> str:
    return reverse("complaint_case", args=[c.county_id, c.id])


def _tell_bureau(c: Complaint, kind: str, title: str) -> None:
    """The owner, or every officer of the county while nobody owns the case."""
    if c.owner_id:
        users = [c.owner]
    else:
        users = User.objects.filter(
            region_roles__region=c.county_id, region_roles__kind=RegionRole.Kind.OFFICER
        ).distinct()
    send(users=users, kind=kind, title=title, url=_case_url(c))


def _tell_school(c: Complaint, kind: str, title: str) -> None:
    send(
        users=_school_handlers(c.school),
        kind=kind,
        title=title,
        url=reverse("complaints_school", args=[c.school_id]),
    )


def _identifies_complainant(c: Complaint, text: str) -> str | None:
    """What in a text the school (or the public) would see points at the complainant."""
    for value in (c.complainant_name, c.complainant_contact):
        if value and len(value) >= 2 and value in text:
            return value
    found = PERSONAL_NUMBER.search(text)
    return found.group(0) if found else None


def _check_not_identifying(c: Complaint, text: str, field: str) -> None:
    found = _identifies_complainant(c, text)
    if found:
        raise RuleViolation(
            _(
                "This text would show the school who filed the complaint (“%(found)s”). "
                "Remove names, phone numbers and other details that identify the complainant."
            )
            % {"found": found},
            code="identifies_complainant",
            rule=RULE,
            field=field,
        )


def region_limit(county: Region) -> int:
    """The handling limit in force for a county: the default or a stricter region's."""
    limits = HandlingLimit.objects.filter(region__in=_chain(county)).values_list(
        "working_days", flat=True
    )
    return rules.effective_limit(limits)


# -- Attachments ----------------------------------------------------------------------------


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, for the kinds we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    return None


@dataclass(frozen=True)
class _CheckedFile:
    upload: object
    name: str
    size: int
    content_type: str
    ext: str


def check_files(files: Iterable) -> list[_CheckedFile]:
    """Every file checked before anything is stored: one bad file refuses the whole filing."""
    files = [f for f in files if f is not None]
    if len(files) > MAX_FILES:
        raise RuleViolation(
            _("At most %(max)d files can be attached (you chose %(count)d).")
            % {"max": MAX_FILES, "count": len(files)},
            code="too_many_files",
            rule=RULE,
            field="files",
            max=MAX_FILES,
            count=len(files),
        )
    checked = []
    for f in files:
        name = PurePosixPath(str(getattr(f, "name", "") or "file").replace("\\", "/")).name
        name = name[-200:] or "file"
        size = f.size
        if size > MAX_FILE_BYTES:
            raise RuleViolation(
                _("“%(name)s” is larger than %(max)d MB.")
                % {"name": name, "max": MAX_FILE_BYTES // (1024 * 1024)},
                code="file_too_large",
                rule=RULE,
                field="files",
                max_bytes=MAX_FILE_BYTES,
                size=size,
            )
        f.seek(0)
        kind = sniff(f.read(16))
        f.seek(0)
        if size == 0 or kind is None:
            raise RuleViolation(
                _("“%(name)s” is not a JPEG, PNG or WebP photo or a PDF file.") % {"name": name},
                code="file_type",
                rule=RULE,
                field="files",
            )
        checked.append(_CheckedFile(f, name, size, kind[0], kind[1]))
    return checked


# -- Filing ---------------------------------------------------------------------------------


def _check_contact(contact: str) -> str:
    contact = re.sub(r"\s+", "", contact or "")
    if not contact:
        return ""
    if len(contact) > 100:
        raise RuleViolation(
            _("The contact is too long."), code="invalid", rule=RULE, field="complainant_contact"
        )
    if MOBILE.match(contact) or LANDLINE.match(contact):
        return contact
    try:
        validate_email(contact)
    except ValidationError:
        raise RuleViolation(
            _("Enter a mobile number, a telephone number or an e-mail address."),
            code="invalid",
            rule=RULE,
            field="complainant_contact",
        ) from None
    return contact


@transaction.atomic
def file_complaint(
    *,
    school: School,
    category: str,
    description: str,
    real_name: bool = False,
    complainant_name: str = "",
    complainant_contact: str = "",
    files: Iterable = (),
    now: datetime | None = None,
) -> Filing:
    """Anyone files a complaint about a school, with or without their name (SV-03).

    The county of the school gets it, with a deadline in working days.  The plain tracking code
    is returned once; only its hash is kept.  Every attachment is checked first, so a bad file
    refuses the filing and nothing is stored.
    """
    now = _now(now)
    if category not in Category.values:
        raise RuleViolation(_("Choose a category."), code="invalid", rule=RULE, field="category")
    description = _text(description, "description", MAX_DESCRIPTION)
    name = (complainant_name or "").strip()
    if real_name and not name:
        raise RuleViolation(
            _("A real-name complaint needs your name."),
            code="required",
            rule=RULE,
            field="complainant_name",
        )
    if not real_name and name:
        raise RuleViolation(
            _("An anonymous complaint carries no name: tick “real name” or leave the name empty."),
            code="invalid",
            rule=RULE,
            field="complainant_name",
        )
    if len(name) > 50:
        raise RuleViolation(
            _("The name is too long."), code="too_long", rule=RULE, field="complainant_name"
        )
    contact = _check_contact(complainant_contact)
    if real_name and not contact:
        raise RuleViolation(
            _("A real-name complaint needs a contact for the bureau's reply."),
            code="required",
            rule=RULE,
            field="complainant_contact",
        )
    checked = check_files(files)

    county = Region.objects.select_related("parent__parent").get(id=school.county_id)
    filed_on = timezone.localdate(now)
    limit = region_limit(county)
    code = tracking.new_code()
    c = Complaint.objects.create(
        code_hash=tracking.code_hash(code),
        category=category,
        school=school,
        county=county,
        description=description,
        real_name=real_name,
        complainant_name=name,
        complainant_contact=contact,
        status=Status.RECEIVED,
        filed_at=now,
        filed_on=filed_on,
        limit_days=limit,
        deadline=rules.add_working_days(filed_on, limit, is_working_day),
    )
    stored: list[Attachment] = []
    try:
        for cf in checked:
            att = Attachment(
                complaint=c,
                original_name=cf.name,
                size=cf.size,
                content_type=cf.content_type,
                uploaded_at=now,
            )
            att.file.save(f"upload{cf.ext}", cf.upload, save=False)
            stored.append(att)
            att.save()
        _event(c, actor=None, side=Side.COMPLAINANT, action="filed", at=now, files=len(checked))
        _tell_bureau(
            c, "complaint_filed", _("New complaint about %(school)s") % {"school": school.name}
        )
    except BaseException:
        for att in stored:  # the rows roll back with the transaction; the files must go too
            att.file.delete(save=False)
        raise
    return Filing(c, code)


def find_by_code(code: str) -> Complaint | None:
    """The case a tracking code belongs to, or None: the caller answers both the same way."""
    if not code or len(tracking.normalise(code)) != tracking.CODE_LENGTH:
        return None
    return (
        Complaint.objects.select_related("school", "county")
        .filter(code_hash=tracking.code_hash(code))
        .first()
    )


# -- The bureau's steps ---------------------------------------------------------------------


@transaction.atomic
def assign(
    *, actor: User, complaint: Complaint, owner: User, now: datetime | None = None
) -> Complaint:
    """An officer of the county (or above) gives the case an owner; received → assigned."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "assign")
    if owner is None or not is_officer_for(owner, c):
        raise RuleViolation(
            _("The owner must be a bureau officer of this county or a region above it."),
            code="invalid",
            rule=RULE,
            field="owner",
        )
    before = c.status
    c.owner = owner
    if c.status == Status.RECEIVED:
        c.status = Status.ASSIGNED
    c.save(update_fields=["owner", "status"])
    _event(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="assign",
        at=now,
        from_status=before,
        owner=owner.id,
    )
    if owner.id != actor.id:
        send(
            users=[owner],
            kind="complaint_assigned",
            title=_("A complaint about %(school)s is yours to handle") % {"school": c.school.name},
            url=_case_url(c),
        )
    return c


@transaction.atomic
def request_verification(
    *,
    actor: User,
    complaint: Complaint,
    request: str,
    description_for_school: str,
    now: datetime | None = None,
) -> Complaint:
    """The bureau asks the school for the facts; assigned → verifying.

    The school is shown the facts in the bureau's words (`description_for_school`, usually the
    complaint's description with anything that identifies the complainant taken out) and the
    request; the principal and the academic office are told.
    """
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "request_verification")
    request = _text(request, "request")
    facts = _text(description_for_school, "description_for_school", MAX_DESCRIPTION)
    _check_not_identifying(c, facts, "description_for_school")
    _check_not_identifying(c, request, "request")
    _move(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="request_verification",
        now=now,
        status=Status.VERIFYING,
        note=request,
        description_for_school=facts,
    )
    _tell_school(
        c,
        "complaint_verification",
        _("The education bureau asks your school to verify a complaint (%(category)s)")
        % {"category": c.get_category_display()},
    )
    return c


@transaction.atomic
def submit_school_verification(
    *, actor: User, complaint: Complaint, report: str, now: datetime | None = None
) -> Complaint:
    """The school's principal or academic office reports the facts; verifying → finding."""
    now = _now(now)
    c = _lock(complaint)
    _require_school(actor, c)
    _check_state(c, "school_verification")
    report = _text(report, "report")
    _move(
        c,
        actor=actor,
        side=Side.SCHOOL,
        action="school_verification",
        now=now,
        status=Status.FINDING,
        note=report,
        school_report=report,
        school_reported_at=now,
    )
    _tell_bureau(
        c,
        "complaint_school_report",
        _("%(school)s reported on a complaint") % {"school": c.school.name},
    )
    return c


@transaction.atomic
def record_finding(
    *, actor: User, complaint: Complaint, finding: str, text: str, now: datetime | None = None
) -> Complaint:
    """The bureau's finding (substantiated, partly, not) with its grounds; → finding."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "finding")
    if finding not in Finding.values:
        raise RuleViolation(_("Choose a finding."), code="invalid", rule=RULE, field="finding")
    text = _text(text, "finding_text")
    _move(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="finding",
        now=now,
        status=Status.FINDING,
        note=text,
        detail={"finding": finding},
        finding=finding,
        finding_text=text,
    )
    return c


@transaction.atomic
def require_rectification(
    *, actor: User, complaint: Complaint, requirement: str, now: datetime | None = None
) -> Complaint:
    """A (partly) substantiated case: the school must put it right; finding → rectifying."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "require_rectification")
    if c.finding not in rules.PUBLISHABLE:
        raise RuleViolation(
            _("Rectification follows a substantiated or partly substantiated finding."),
            code="not_substantiated",
            rule=RULE,
            field="finding",
            finding=c.finding,
        )
    requirement = _text(requirement, "requirement")
    _check_not_identifying(c, requirement, "requirement")
    _move(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="require_rectification",
        now=now,
        status=Status.RECTIFYING,
        note=requirement,
        rectification_required=requirement,
    )
    _tell_school(
        c,
        "complaint_rectification",
        _("The education bureau requires your school to rectify (%(category)s)")
        % {"category": c.get_category_display()},
    )
    return c


@transaction.atomic
def submit_rectification(
    *, actor: User, complaint: Complaint, report: str, now: datetime | None = None
) -> Complaint:
    """The school reports what it put right (again, if the bureau wants more)."""
    now = _now(now)
    c = _lock(complaint)
    _require_school(actor, c)
    _check_state(c, "rectification")
    report = _text(report, "report")
    _move(
        c,
        actor=actor,
        side=Side.SCHOOL,
        action="rectification",
        now=now,
        note=report,
        rectification=report,
        rectified_at=now,
    )
    _tell_bureau(
        c,
        "complaint_rectified",
        _("%(school)s reported its rectification") % {"school": c.school.name},
    )
    return c


def _end_pause(c: Complaint, today: date) -> tuple[date, date]:
    ComplaintPause.objects.filter(complaint=c, end__isnull=True).update(end=today)
    pauses = list(ComplaintPause.objects.filter(complaint=c).values_list("start", "end"))
    old = c.deadline
    c.deadline = rules.deadline_with_pauses(c.filed_on, c.limit_days, pauses, is_working_day)
    c.paused_since = None
    c.save(update_fields=["deadline", "paused_since"])
    return old, c.deadline


@transaction.atomic
def close(
    *, actor: User, complaint: Complaint, reply: str, now: datetime | None = None
) -> Complaint:
    """The case is closed (办结) with the reply the complainant reads; → closed."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "close")
    if c.status == Status.FINDING and not c.finding:
        raise RuleViolation(
            _("Record the finding before closing the case."),
            code="finding_required",
            rule=RULE,
            field="finding",
        )
    if c.status == Status.RECTIFYING and not c.rectification:
        raise RuleViolation(
            _("The school has not reported its rectification yet."),
            code="rectification_missing",
            rule=RULE,
            field="rectification",
        )
    reply = _text(reply, "reply")
    _check_not_identifying(c, reply, "reply")
    if c.paused_since:
        _end_pause(c, timezone.localdate(now))
    before = c.status
    c.status = Status.CLOSED
    c.reply = reply
    c.closed_at = now
    c.closed_on = timezone.localdate(now)
    c.save(update_fields=["status", "reply", "closed_at", "closed_on"])
    _event(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="close",
        at=now,
        from_status=before,
        note=reply,
        on_time=c.closed_on <= c.deadline,
    )
    return c


@transaction.atomic
def pause_for_complainant(
    *, actor: User, complaint: Complaint, question: str, now: datetime | None = None
) -> Complaint:
    """The bureau needs something from the complainant: the question goes on the tracking page
    and the clock stops until the answer (or `resume`)."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "pause")
    if c.paused_since:
        raise RuleViolation(
            _("The case is already waiting for the complainant."),
            code="already_paused",
            rule=RULE,
            field="question",
        )
    question = _text(question, "question")
    today = timezone.localdate(now)
    ComplaintPause.objects.create(complaint=c, start=today)
    c.paused_since = today
    c.save(update_fields=["paused_since"])
    _event(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="pause",
        at=now,
        from_status=c.status,
        note=question,
    )
    return c


def _resume(c: Complaint, actor: User | None, side: str, now: datetime) -> None:
    old, new = _end_pause(c, timezone.localdate(now))
    _event(
        c,
        actor=actor,
        side=side,
        action="resume",
        at=now,
        from_status=c.status,
        old_deadline=old.isoformat(),
        deadline=new.isoformat(),
    )


@transaction.atomic
def resume(*, actor: User, complaint: Complaint, now: datetime | None = None) -> Complaint:
    """The clock runs again (the answer came by phone, or waiting is pointless); the deadline is
    pushed back by the working days of the pause."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "resume")
    if not c.paused_since:
        raise RuleViolation(
            _("The case is not waiting for the complainant."),
            code="not_paused",
            rule=RULE,
            field="status",
        )
    _resume(c, actor, Side.BUREAU, now)
    return c


@transaction.atomic
def reply_as_complainant(
    *, complaint: Complaint, text: str, now: datetime | None = None
) -> Complaint:
    """The complainant answers through the tracking page; a paused case runs again.

    Their words are for the bureau: the school never sees them."""
    now = _now(now)
    c = _lock(complaint)
    _check_state(c, "complainant_reply")
    text = _text(text, "text")
    _event(
        c,
        actor=None,
        side=Side.COMPLAINANT,
        action="complainant_reply",
        at=now,
        from_status=c.status,
        note=text,
    )
    if c.paused_since:
        _resume(c, None, Side.COMPLAINANT, now)
    _tell_bureau(
        c,
        "complaint_reply",
        _("The complainant answered on a complaint about %(school)s") % {"school": c.school.name},
    )
    return c


@transaction.atomic
def set_special_supervision(
    *, actor: User, complaint: Complaint, on: bool, note: str = "", now: datetime | None = None
) -> Complaint:
    """Put a case under special supervision (挂牌督办), or lift it.  Setting the same state
    again changes nothing."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    _check_state(c, "special_supervision")
    note = _text(note, "note", required=False)
    if c.special_supervision == on:
        return c
    c.special_supervision = on
    c.save(update_fields=["special_supervision"])
    _event(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="special_supervision",
        at=now,
        from_status=c.status,
        note=note,
        on=on,
    )
    if c.owner_id and c.owner_id != actor.id:
        send(
            users=[c.owner],
            kind="complaint_supervision",
            title=_("A complaint about %(school)s is under special supervision")
            % {"school": c.school.name},
            url=_case_url(c),
        )
    return c


def overdue_q(today: date) -> Q:
    """Open, past the deadline, and not stopped (paused on or before the deadline)."""
    return (
        ~Q(status=Status.CLOSED)
        & Q(deadline__lt=today)
        & (Q(paused_since__isnull=True) | Q(paused_since__gt=F("deadline")))
    )


@transaction.atomic
def escalate_overdue(*, today: date | None = None, now: datetime | None = None) -> list[Complaint]:
    """Every overdue open case not yet escalated goes up to the county's parent region (the
    city), with an event, and the city's officers are told.  Running it again changes nothing."""
    now = _now(now)
    today = today or timezone.localdate(now)
    cases = list(
        Complaint.objects.select_for_update(of=("self",))
        .select_related("county__parent", "school")
        .filter(overdue_q(today), escalated_to__isnull=True)
        .order_by("deadline", "id")
    )
    by_region: dict[int, list[Complaint]] = defaultdict(list)
    for c in cases:
        c.escalated_to = c.county.parent
        c.escalated_at = now
        c.save(update_fields=["escalated_to", "escalated_at"])
        _event(
            c,
            actor=None,
            side=Side.SYSTEM,
            action="escalate",
            at=now,
            from_status=c.status,
            region=c.escalated_to_id,
            deadline=c.deadline.isoformat(),
        )
        by_region[c.escalated_to_id].append(c)
    for region_id, group in by_region.items():
        officers = User.objects.filter(
            region_roles__region_id=region_id, region_roles__kind=RegionRole.Kind.OFFICER
        ).distinct()
        send(
            users=officers,
            kind="complaint_escalated",
            title=_("%(count)d overdue complaint(s) escalated to your bureau")
            % {"count": len(group)},
            body="\n".join(f"#{c.id} {c.school.name} ({c.deadline:%Y-%m-%d})" for c in group),
            url=reverse("complaints_region", args=[region_id]) + "?escalated=1",
        )
    return cases


# -- Settings and the exposure board --------------------------------------------------------


@transaction.atomic
def set_handling_limit(*, actor: User, region: Region, working_days: int) -> HandlingLimit:
    """A region shortens the handling limit for the complaints filed from now on below it."""
    if not RegionRole.objects.filter(
        user=actor, region__in=region.ancestors_and_self(), kind=RegionRole.Kind.OFFICER
    ).exists():
        raise PermissionDenied("complaint_limit")
    why = rules.check_limit(working_days)
    if why:
        raise RuleViolation(
            _("The handling limit must be between 1 and %(max)d working days.")
            % {"max": rules.DEFAULT_LIMIT_WORKING_DAYS},
            code=why,
            rule=RULE,
            field="working_days",
            limit=rules.DEFAULT_LIMIT_WORKING_DAYS,
            working_days=working_days,
        )
    row, _created = HandlingLimit.objects.update_or_create(
        region=region, defaults={"working_days": working_days, "set_by": actor}
    )
    return row


def _check_no_personal_data(c: Complaint, text: str, field: str) -> None:
    _check_not_identifying(c, text, field)
    pupils = Student.objects.filter(school=c.school_id).values_list("name", flat=True)
    for name in pupils:
        if len(name) >= 2 and name in text:
            raise RuleViolation(
                _(
                    "The exposure text names a pupil (“%(name)s”); publish the bureau's summary only."
                )
                % {"name": name},
                code="personal_data",
                rule="SV-04",
                field=field,
            )


@transaction.atomic
def publish_exposure(
    *, actor: User, complaint: Complaint, title: str, summary: str, now: datetime | None = None
) -> ExposureCase:
    """Publish a substantiated case on the exposure board (SV-04) in the bureau's own words:
    the school, the category, a title and a summary; never the complainant or a pupil."""
    now = _now(now)
    c = _lock(complaint)
    _require_officer(actor, c)
    if c.finding not in rules.PUBLISHABLE:
        raise RuleViolation(
            _("Only a substantiated or partly substantiated case can be published."),
            code="not_substantiated",
            rule="SV-04",
            field="finding",
        )
    if ExposureCase.objects.filter(complaint=c).exists():
        raise RuleViolation(
            _("This case is already on the exposure board."),
            code="already_published",
            rule="SV-04",
            field="title",
        )
    title = _text(title, "title", 100)
    summary = _text(summary, "summary")
    _check_no_personal_data(c, title, "title")
    _check_no_personal_data(c, summary, "summary")
    case = ExposureCase.objects.create(
        complaint=c,
        region=c.county,
        school_name=c.school.name,
        category=c.category,
        title=title,
        summary=summary,
        published_at=now,
        published_by=actor,
    )
    _event(
        c,
        actor=actor,
        side=Side.BUREAU,
        action="exposure",
        at=now,
        from_status=c.status,
        exposure=case.id,
    )
    return case
