"""Every write to schools and people (services are verbs; each one is atomic)."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    ApiToken,
    AuditEvent,
    Guardianship,
    ParentInvite,
    School,
    SchoolClass,
    Staff,
    Student,
    Term,
    User,
    Vacation,
    hash_secret,
)

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read off paper
INVITE_LENGTH = 10
INVITE_VALID_DAYS = 60
TOKEN_VALID_DAYS = 365


def field_error(field: str, message: str, code: str) -> ValidationError:
    """A rule violation tied to one input field, keeping its code for the API's error body."""
    return ValidationError({field: ValidationError(message, code=code)})


def audit(*, school: School, actor: User | None, action: str, **detail) -> AuditEvent:
    return AuditEvent.objects.create(school=school, actor=actor, action=action, detail=detail)


@transaction.atomic
def add_class(*, school: School, grade: int, number: int, actor: User | None) -> SchoolClass:
    if grade not in school.grade_range:
        raise ValidationError(
            _("Grade %(grade)d is not taught at this school.") % {"grade": grade},
            code="grade_outside_stage",
        )
    if SchoolClass.objects.filter(school=school, grade=grade, number=number).exists():
        raise ValidationError(_("This class already exists."), code="class_exists")
    klass = SchoolClass.objects.create(school=school, grade=grade, number=number)
    audit(school=school, actor=actor, action="class_added", class_id=klass.id)
    return klass


@transaction.atomic
def add_term(*, school: School, name: str, start, end, actor: User | None) -> Term:
    """A term (学期) of the school; terms do not overlap (ORG-06)."""
    name = name.strip()
    if not name:
        raise field_error("name", _("Give the term a name."), "invalid")
    if end < start:
        raise field_error("end", _("The last day is before the first day."), "bad_range")
    if (end - start).days > 200:
        raise field_error("end", _("A term lasts at most 200 days."), "bad_range")
    if Term.objects.filter(school=school, name=name).exists():
        raise field_error("name", _("A term with this name exists."), "duplicate")
    clash = Term.objects.filter(school=school, start__lte=end, end__gte=start).first()
    if clash is not None:
        raise field_error(
            "start", _("This overlaps the term %(name)s.") % {"name": clash.name}, "overlap"
        )
    term = Term.objects.create(school=school, name=name, start=start, end=end)
    audit(school=school, actor=actor, action="term_added", term_id=term.id)
    return term


@transaction.atomic
def add_vacation(
    *, school: School, kind: str, name: str, start, end, actor: User | None
) -> Vacation:
    """A vacation or local break of the school: no school day falls inside it (ORG-06)."""
    name = name.strip()
    if kind not in Vacation.Kind.values:
        raise field_error("kind", _("Unknown choice."), "invalid")
    if not name:
        raise field_error("name", _("Give the break a name."), "invalid")
    if end < start:
        raise field_error("end", _("The last day is before the first day."), "bad_range")
    if (end - start).days > 100:
        raise field_error("end", _("A break lasts at most 100 days."), "bad_range")
    vacation = Vacation.objects.create(school=school, kind=kind, name=name, start=start, end=end)
    audit(school=school, actor=actor, action="vacation_added", vacation_id=vacation.id)
    return vacation


@transaction.atomic
def remove_vacation(*, vacation: Vacation, actor: User | None) -> None:
    audit(school=vacation.school, actor=actor, action="vacation_removed", name=vacation.name)
    vacation.delete()


def _new_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@transaction.atomic
def issue_parent_codes(*, students: list[Student], actor: User) -> list[tuple[Student, str]]:
    """One new one-time code per pupil; the plain codes are returned once, for printing.

    A pupil's earlier unused codes stay valid until they expire, so a second parent can be
    given their own slip without cancelling the first.
    """
    now = timezone.now()
    issued = []
    invites = []
    for student in students:
        code = _new_code()
        invites.append(
            ParentInvite(
                student=student,
                code_hash=hash_secret(code),
                issued_by=actor,
                expires_at=now + timedelta(days=INVITE_VALID_DAYS),
            )
        )
        issued.append((student, code))
    ParentInvite.objects.bulk_create(invites)
    if students:
        audit(
            school=students[0].school,
            actor=actor,
            action="parent_codes_issued",
            count=len(students),
        )
    return issued


def _take_invite(code: str) -> ParentInvite:
    invite = (
        ParentInvite.objects.select_for_update()
        .select_related("student__school")
        .filter(code_hash=hash_secret(normalise_code(code)))
        .first()
    )
    if invite is None or invite.used_at is not None or invite.expires_at < timezone.now():
        raise field_error(
            "code",
            _("This code is not valid. It may be mistyped, used or expired."),
            "invalid_code",
        )
    return invite


def _link(invite: ParentInvite, user: User, relation: str) -> Guardianship:
    link, _created = Guardianship.objects.get_or_create(
        user=user, student=invite.student, defaults={"relation": relation}
    )
    invite.used_at = timezone.now()
    invite.used_by = user
    invite.save(update_fields=["used_at", "used_by"])
    audit(
        school=invite.student.school,
        actor=user,
        action="parent_linked",
        student_id=invite.student_id,
    )
    return link


@transaction.atomic
def register_parent(
    *, code: str, name: str, mobile: str, password: str, relation: str = ""
) -> User:
    """A parent creates an account with a child's code (the account's login is the mobile)."""
    invite = _take_invite(code)
    if User.objects.filter(mobile=mobile).exists() or User.objects.filter(username=mobile).exists():
        raise field_error(
            "mobile",
            _("An account with this mobile number exists. Log in and add the child."),
            "mobile_taken",
        )
    user = User(username=mobile, mobile=mobile, display_name=name)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration with the same mobile
        raise ValidationError(
            {"mobile": _("This mobile number is taken.")}, code="mobile_taken"
        ) from exc
    _link(invite, user, relation)
    return user


@transaction.atomic
def link_child(*, user: User, code: str, relation: str = "") -> Guardianship:
    """A parent who has an account adds another child (or a second parent adds the same child)."""
    return _link(_take_invite(code), user, relation)


def _temporary_password() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET.lower() + "23456789") for _ in range(10))


@transaction.atomic
def reset_password(*, school: School, target: User, actor: User) -> str:
    """Set a fresh temporary password; the caller shows it once to the admin."""
    password = _temporary_password()
    target.set_password(password)
    target.save(update_fields=["password"])
    audit(school=school, actor=actor, action="password_reset", user_id=target.id)
    return password


def create_api_token(*, user: User, name: str = "") -> str:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=hash_secret(key),
        name=name[:50],
        expires_at=timezone.now() + timedelta(days=TOKEN_VALID_DAYS),
    )
    return key


def staff_user(*, school: School, staff_no: str, name: str, mobile: str | None) -> User:
    """The account for a staff member (created without a usable password until an admin resets it)."""
    username = f"{school.code}-{staff_no}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name, mobile=mobile or None)
        user.set_unusable_password()
        user.save()
    return user


def deactivate_staff(*, staff: Staff, actor: User) -> None:
    staff.active = False
    staff.save(update_fields=["active"])
    audit(school=staff.school, actor=actor, action="staff_deactivated", staff_id=staff.id)
