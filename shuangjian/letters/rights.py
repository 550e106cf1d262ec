"""Who may write, send and read letters, on top of `org.access` (SV-07).

- The principal and the academic office write to any audience of their school.
- A head teacher writes to their own class(es) only.
- The figures and the list of pupils not yet confirmed are shown, class by class, to staff who
  may read that class's roster; guardian contacts only where `can_see_guardian_contact`.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from shuangjian.org.access import SchoolAccess
from shuangjian.org.models import Role, SchoolClass

from .models import Letter

SCHOOL_WIDE = {Role.PRINCIPAL, Role.ACADEMIC}


def school_wide(acc: SchoolAccess) -> bool:
    return bool(acc.roles & SCHOOL_WIDE)


def may_write(acc: SchoolAccess) -> bool:
    """May write letters at all (to some audience)."""
    return school_wide(acc) or bool(acc.head_class_ids)


def may_send_to(acc: SchoolAccess, audience: str, class_ids: Iterable[int]) -> bool:
    if school_wide(acc):
        return True
    ids = set(class_ids)
    return audience == Letter.Audience.CLASSES and bool(ids) and ids <= acc.head_class_ids


def require_send_to(acc: SchoolAccess, audience: str, class_ids: Iterable[int]) -> None:
    if not may_send_to(acc, audience, class_ids):
        raise PermissionDenied("send_letter")


def may_manage(acc: SchoolAccess, letter: Letter, class_ids: Iterable[int] | None = None) -> bool:
    """Edit, send, close and remind: someone who could have sent the letter to its audience."""
    if letter.school_id != acc.school.id:
        return False
    if class_ids is None:
        class_ids = [k.id for k in letter.classes.all()]
    return may_send_to(acc, letter.audience, class_ids)


def sendable_classes(acc: SchoolAccess):
    qs = SchoolClass.objects.filter(school=acc.school)
    return qs if school_wide(acc) else qs.filter(id__in=acc.head_class_ids)


def contact_class_ids(acc: SchoolAccess, classes: Iterable[SchoolClass]) -> set[int]:
    return {k.id for k in classes if acc.can_see_guardian_contact(k)}


def may_record_paper(acc: SchoolAccess, klass: SchoolClass) -> bool:
    """A paper slip is entered by the class's head teacher or the school office."""
    return school_wide(acc) or klass.id in acc.head_class_ids
