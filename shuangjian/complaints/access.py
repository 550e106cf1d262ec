"""Who reaches complaints (SV-03), on top of org/access.py.

- A bureau officer or inspector of the complaint's county, or of a region above it, reads the
  whole case; anyone else gets a 404 (another county's officer included).  Only officers act:
  an inspector's POST is a 403.
- On the school side only the principal and the academic office answer the bureau; other staff
  of the school get a 403, staff of other schools a 404.  Officials above the school read the
  same facts-only page.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuangjian.org.access import SchoolAccess, access_region, access_school
from shuangjian.org.models import Region, RegionRole, Role, User

from . import selectors
from .models import Complaint

SCHOOL_HANDLERS = {Role.PRINCIPAL.value, Role.ACADEMIC.value}


def is_officer(role: RegionRole) -> bool:
    return role.kind == RegionRole.Kind.OFFICER


def require_officer(role: RegionRole) -> None:
    if not is_officer(role):
        raise PermissionDenied("handle_complaint")


def access_region_case(
    user: User, region_id: int, complaint_id: int
) -> tuple[RegionRole, Region, Complaint]:
    """A case of the region (or below it) for an official of the region (or above it)."""
    role, region = access_region(user, region_id)
    complaint = selectors.bureau_case(region, complaint_id)
    if complaint is None:
        raise Http404
    return role, region, complaint


def access_school_complaints(user: User, school_id: int) -> SchoolAccess:
    acc = access_school(user, school_id)
    if acc.official is None and not acc.roles & SCHOOL_HANDLERS:
        raise PermissionDenied("school_complaints")
    return acc


def can_answer(acc: SchoolAccess) -> bool:
    return bool(acc.roles & SCHOOL_HANDLERS)
