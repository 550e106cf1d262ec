"""The one way to reach a school's data for a user (house rule 2).

Every view, API endpoint and command that touches a school's rows starts here.  A school the
user has no post in — or a region above it — does not exist for them (404).  Inside their own
school, an action their role does not allow is refused (403).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .cache import ROSTER_VERSION, cached
from .models import Region, RegionRole, Role, School, SchoolClass, Staff, Student, User


class Can:
    """Capabilities, each granted to the roles listed in GRANTS."""

    VIEW_SCHOOL = "view_school"
    MANAGE_ROSTER = "manage_roster"  # import/export students, add classes
    MANAGE_STAFF = "manage_staff"  # import staff, reset staff passwords
    MANAGE_PARENTS = "manage_parents"  # reset parent passwords
    MANAGE_CALENDAR = "manage_calendar"
    VIEW_AUDIT = "view_audit"


GRANTS: dict[str, set[str]] = {
    Can.VIEW_SCHOOL: {r.value for r in Role},
    Can.MANAGE_ROSTER: {Role.PRINCIPAL, Role.ACADEMIC},
    Can.MANAGE_STAFF: {Role.PRINCIPAL},
    Can.MANAGE_PARENTS: {Role.PRINCIPAL},
    Can.MANAGE_CALENDAR: {Role.PRINCIPAL, Role.ACADEMIC},
    Can.VIEW_AUDIT: {Role.PRINCIPAL},
}

# Whole-school sight of rosters and of the sensitive fields (ORG-04).
_SCHOOL_WIDE_ROSTER = {Role.PRINCIPAL, Role.ACADEMIC}


@dataclass
class SchoolAccess:
    """What one user may do in one school, worked out once per request."""

    user: User
    school: School
    roles: set[str] = field(default_factory=set)
    staff: Staff | None = None
    head_class_ids: set[int] = field(default_factory=set)
    taught_class_ids: set[int] = field(default_factory=set)
    taught: set[tuple[int, int]] = field(default_factory=set)  # (class id, subject id)
    led_grades: set[int] = field(default_factory=set)
    official: RegionRole | None = None  # a bureau officer or inspector above the school

    @property
    def sees_whole_school(self) -> bool:
        """Principal or academic office: every roster and the sensitive fields (ORG-04)."""
        return bool(self.roles & _SCHOOL_WIDE_ROSTER)

    def can(self, capability: str) -> bool:
        return bool(self.roles & GRANTS[capability]) or (
            capability == Can.VIEW_SCHOOL and self.official is not None
        )

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise PermissionDenied(capability)

    # Rosters -----------------------------------------------------------------------------
    def can_view_roster(self, klass: SchoolClass) -> bool:
        return (
            self.sees_whole_school
            or klass.id in self.head_class_ids
            or klass.id in self.taught_class_ids
            or klass.grade in self.led_grades
        )

    def can_see_care_flags(self, klass: SchoolClass) -> bool:
        """Care flags: principal, academic office, and the head teacher of that class only."""
        return self.sees_whole_school or klass.id in self.head_class_ids

    can_see_guardian_contact = can_see_care_flags

    def can_issue_parent_codes(self, klass: SchoolClass) -> bool:
        return Role.PRINCIPAL in self.roles or klass.id in self.head_class_ids

    # Homework (HW-01 … HW-08) ------------------------------------------------------------
    def can_publish_homework(self, klass: SchoolClass, subject_id: int) -> bool:
        """Only the teacher of that subject in that class sets its homework."""
        return (klass.id, subject_id) in self.taught

    def can_coordinate_homework(self, klass: SchoolClass) -> bool:
        """The head teacher approves, trims or returns held items and sets subject plans."""
        return klass.id in self.head_class_ids

    def can_view_homework(self, klass: SchoolClass) -> bool:
        return self.can_view_roster(klass) or self.official is not None

    def can_audit_homework(self) -> bool:
        return self.sees_whole_school

    def can_view_indicators(self) -> bool:
        """SV-01 figures and the records behind them: whole-school staff and officials above."""
        return self.sees_whole_school or self.official is not None

    def can_submit_reports(self) -> bool:
        """SV-01/SV-06: the principal submits the school's direct reports and its cases."""
        return Role.PRINCIPAL in self.roles

    def is_bureau_officer(self) -> bool:
        """SV-01: a bureau officer above the school accepts or returns its reports."""
        return self.official is not None and self.official.kind == RegionRole.Kind.OFFICER

    def can_patrol_afterschool(self) -> bool:
        """AS-12 日常巡查: the duty leader (带班领导) records the daily after-school patrol."""
        return Role.DUTY_LEADER in self.roles

    def can_run_afternoon(self, programme) -> bool:
        """AS-08: sign pupils in and out of a session of this programme (its lead and assistants,
        after-school staff, the duty leader, the principal)."""
        if self.roles & {Role.AFTERSCHOOL, Role.DUTY_LEADER, Role.PRINCIPAL}:
            return True
        staff_id = self.staff.id if self.staff else None
        return programme.lead_id == staff_id or programme.assistants.filter(id=staff_id).exists()

    def can_watch_afternoon(self) -> bool:
        """AS-08/AS-09: the live view, closing the day, safety notices and the gate log."""
        return bool(self.roles & {Role.DUTY_LEADER, Role.PRINCIPAL, Role.ACADEMIC})

    def roster_classes(self) -> QuerySet[SchoolClass]:
        qs = SchoolClass.objects.filter(school=self.school)
        if self.sees_whole_school:
            return qs
        ids = self.head_class_ids | self.taught_class_ids
        return qs.filter(id__in=ids) | qs.filter(grade__in=self.led_grades)


def _region_role_over(user: User, school: School) -> RegionRole | None:
    if not user.is_authenticated:
        return None
    chain = school.county.ancestors_and_self()
    return RegionRole.objects.filter(user=user, region__in=chain).select_related("region").first()


def access_school(user: User, school_id: int) -> SchoolAccess:
    """The user's access to a school, or 404 when they have none."""
    if not user.is_authenticated:
        raise Http404
    school = School.objects.select_related("county__parent__parent").filter(id=school_id).first()
    if school is None:
        raise Http404
    acc = SchoolAccess(user=user, school=school)
    staff = Staff.objects.filter(school=school, user=user, active=True).first()
    if staff is not None:
        acc.staff = staff
        rows = staff.roles.values_list("role", "school_class_id", "subject_id", "grade")
        for role, class_id, subject_id, grade in rows:
            acc.roles.add(role)
            if role == Role.HEAD_TEACHER:
                acc.head_class_ids.add(class_id)
            elif role == Role.SUBJECT_TEACHER:
                acc.taught_class_ids.add(class_id)
                acc.taught.add((class_id, subject_id))
            elif role == Role.GRADE_LEADER:
                acc.led_grades.add(grade)
    else:
        acc.official = _region_role_over(user, school)
        if acc.official is None:
            raise Http404
    return acc


def operator_access(school: School) -> SchoolAccess:
    """The system operator at the command line sees a whole school, as its principal does."""
    return SchoolAccess(user=User(username="system"), school=school, roles={Role.PRINCIPAL.value})


def access_class(user: User, school_id: int, class_id: int) -> tuple[SchoolAccess, SchoolClass]:
    """A class whose roster the user may read; another school's class is a 404."""
    acc = access_school(user, school_id)
    klass = SchoolClass.objects.filter(school=acc.school, id=class_id).first()
    if klass is None:
        raise Http404
    if not acc.can_view_roster(klass):
        raise PermissionDenied("view_roster")
    return acc, klass


def access_child(user: User, student_id: int) -> Student:
    """A parent's own child; any other pupil is a 404.

    Every parent page asks this on every request, so the answer (the child, or None) is kept in
    the shared cache until a pupil, class, school or guardianship is written (ROSTER_VERSION)."""
    if not user.is_authenticated:
        raise Http404

    def load() -> Student | None:
        return (
            Student.objects.select_related("school", "school_class")
            .filter(id=student_id, guardianships__user=user, active=True)
            .order_by()  # one row by its key: the roster ordering only costs the planner a join
            .first()
        )

    student = cached(f"access:child:{user.pk}:{int(student_id)}", [ROSTER_VERSION], load)
    if student is None:
        raise Http404
    return student


def access_region(user: User, region_id: int) -> tuple[RegionRole, Region]:
    """A bureau officer's or inspector's region (or one below theirs); otherwise 404."""
    if not user.is_authenticated:
        raise Http404
    region = Region.objects.filter(id=region_id).select_related("parent__parent").first()
    if region is None:
        raise Http404
    role = (
        RegionRole.objects.filter(user=user, region__in=region.ancestors_and_self())
        .select_related("region")
        .first()
    )
    if role is None:
        raise Http404
    return role, region


def schools_of(user: User) -> QuerySet[School]:
    """Schools where the user holds an active staff post."""
    return School.objects.filter(staff__user=user, staff__active=True).distinct()


def access_class_homework(
    user: User, school_id: int, class_id: int
) -> tuple[SchoolAccess | None, SchoolClass]:
    """A class whose homework notice the user may read: its staff, officials above the school,
    and parents of a pupil in it (who get no SchoolAccess).  Anyone else: 404 / 403."""
    if not user.is_authenticated:
        raise Http404
    klass = (
        SchoolClass.objects.select_related("school__county")
        .filter(id=class_id, school_id=school_id)
        .first()
    )
    if klass is None:
        raise Http404
    if Student.objects.filter(school_class=klass, active=True, guardianships__user=user).exists():
        return None, klass
    acc = access_school(user, school_id)
    if not acc.can_view_homework(klass):
        raise PermissionDenied("view_homework")
    return acc, klass
