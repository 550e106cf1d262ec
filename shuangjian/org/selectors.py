"""Reads of schools and people (selectors are nouns; all of them take an access object)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from shuangjian.rules import calendar as national

from .access import Can, SchoolAccess
from .cache import bump, cached
from .models import Region, School, SchoolClass, Staff, StaffRole, Student, Term, Vacation

HOLIDAY_NAMES = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _("Anti-Fascist 70th Day"),
}


def class_list(acc: SchoolAccess) -> QuerySet[SchoolClass]:
    """The classes whose rosters the user may open, with head teacher and pupil count."""
    head = StaffRole.objects.filter(role="head_teacher").select_related("staff")
    return (
        acc.roster_classes()
        .annotate(pupils=Count("students", filter=Q(students__active=True)))
        .prefetch_related(Prefetch("staff_roles", queryset=head, to_attr="head_roles"))
        .order_by("grade", "number")
    )


def class_roster(acc: SchoolAccess, klass: SchoolClass) -> QuerySet[Student]:
    qs = Student.objects.filter(school_class=klass, active=True).order_by("student_no")
    if acc.can_see_care_flags(klass):
        qs = qs.prefetch_related("care_flags")
    if acc.can(Can.MANAGE_PARENTS):
        qs = qs.prefetch_related("guardianships__user")
    return qs


def staff_list(acc: SchoolAccess) -> QuerySet[Staff]:
    roles = StaffRole.objects.select_related("school_class", "subject")
    return (
        Staff.objects.filter(school=acc.school)
        .select_related("user")
        .prefetch_related(Prefetch("roles", queryset=roles))
        .order_by("staff_no")
    )


def school_summary(school: School) -> dict:
    return {
        "classes": SchoolClass.objects.filter(school=school).count(),
        "students": Student.objects.filter(school=school, active=True).count(),
        "staff": Staff.objects.filter(school=school, active=True).count(),
    }


def schools_in_region(region: Region) -> QuerySet[School]:
    """Schools in a region and every region below it (province → city → county)."""
    return (
        School.objects.filter(
            Q(county=region) | Q(county__parent=region) | Q(county__parent__parent=region)
        )
        .select_related("county")
        .annotate(
            pupils=Count("students", filter=Q(students__active=True), distinct=True),
            class_count=Count("classes", distinct=True),
        )
        .order_by("county__code", "code")
    )


@dataclass(frozen=True)
class SchoolDay:
    day: date
    kind: national.DayKind
    is_school_day: bool  # a working day inside a term and outside any vacation
    label: str  # holiday or vacation name, "" otherwise
    estimated: bool


@dataclass
class SchoolCalendar:
    days: list[SchoolDay]
    uncovered_years: list[int]  # years for which Mon–Fri was assumed

    @property
    def school_day_count(self) -> int:
        return sum(d.is_school_day for d in self.days)


def calendar_version(school_id: int) -> str:
    return f"v:calendar:{school_id}"


@receiver([post_save, post_delete], sender=Term)
@receiver([post_save, post_delete], sender=Vacation)
def _calendar_changed(sender, instance, **kwargs):
    bump(calendar_version(instance.school_id))


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str


def _periods(school_id: int) -> tuple[list[Period], list[Period]]:
    """All terms and vacations of a school (a few a year), cached until one changes."""

    def load():
        terms = Term.objects.filter(school_id=school_id).values_list("start", "end", "name")
        vacations = Vacation.objects.filter(school_id=school_id).values_list("start", "end", "name")
        return [Period(*t) for t in terms], [Period(*v) for v in vacations]

    return cached(f"calendar:{school_id}", [calendar_version(school_id)], load)


def school_calendar(school: School, start: date, end: date) -> SchoolCalendar:
    """ORG-06: national working days intersected with the school's terms and vacations."""
    all_terms, all_vacations = _periods(school.id)
    terms = [t for t in all_terms if t.end >= start and t.start <= end]
    vacations = [v for v in all_vacations if v.end >= start and v.start <= end]
    out = []
    for nd in national.days(start, end):
        vacation = next((v for v in vacations if v.start <= nd.day <= v.end), None)
        in_term = any(t.start <= nd.day <= t.end for t in terms)
        if vacation is not None:
            label = vacation.name
        else:
            label = str(HOLIDAY_NAMES.get(nd.holiday_name, nd.holiday_name))
        out.append(
            SchoolDay(
                day=nd.day,
                kind=nd.kind,
                is_school_day=nd.is_working_day and in_term and vacation is None,
                label=label,
                estimated=nd.estimated,
            )
        )
    return SchoolCalendar(days=out, uncovered_years=national.uncovered_years(start, end))


def is_school_day(school: School, day: date) -> bool:
    return school_calendar(school, day, day).days[0].is_school_day
