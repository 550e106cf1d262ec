"""Stale markers: when a record an indicator reads is saved or deleted, the school's roll-ups from
the record's day on are marked for recomputing (`services.refresh_stale`, run by the nightly
`refresh_indicators`).  A day of None marks all the school's days (rosters, staff, calendars and
settings change every day's denominator).

Bulk writes (`bulk_create`, `QuerySet.update`) send no signals: the nightly command therefore
also recomputes the last days of every school, and `refresh_indicators --since` recomputes all.
A roster import, which writes pupils and staff in bulk, sends `org.signals.roster_imported`.
"""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment, OutsideStaff, Programme, ProgrammeSlot
from shuangjian.complaints.models import Complaint
from shuangjian.homework.models import (
    Feedback,
    Homework,
    HomeworkTarget,
    HomeworkTier,
    LimitOverride,
    RulesDocument,
)
from shuangjian.org.models import School, SchoolClass, Staff, StaffRole, Student, Term, Vacation
from shuangjian.org.signals import roster_imported
from shuangjian.surveys.models import Response, Survey

from .formulas import local_date
from .models import StaleSchool
from .services import mark_stale


def _homework(hw_id):
    return Homework.objects.filter(id=hw_id).values_list("school_id", "date").first()


def _programme(programme_id):
    return Programme.objects.filter(id=programme_id).values_list("school_id", "term__start").first()


def _attendance(row):
    return Session.objects.filter(id=row.session_id).values_list("school_id", "date").first()


def _feedback(row):
    school_id = SchoolClass.objects.filter(id=row.school_class_id).values_list(
        "school_id", flat=True
    )
    return (school_id.first(), row.date)


def _override(row):
    if row.school_id:
        return [(row.school_id, None)]
    below = Q(county_id=row.region_id) | Q(county__parent_id=row.region_id)
    below |= Q(county__parent__parent_id=row.region_id)
    return [(sid, None) for sid in School.objects.filter(below).values_list("id", flat=True)]


def _survey(row):
    if row.status != Survey.Status.CLOSED or row.closed_at is None:
        return []
    schools = Response.objects.filter(survey=row).values_list("school_id", flat=True).distinct()
    return [(sid, local_date(row.closed_at)) for sid in schools.order_by()]


# model → the (school id, first day affected) pairs a saved or deleted row marks
SOURCES = {
    Homework: lambda r: [(r.school_id, r.date)],
    HomeworkTier: lambda r: [_homework(r.homework_id)],
    HomeworkTarget: lambda r: [_homework(r.homework_id)],
    Feedback: lambda r: [_feedback(r)],
    RulesDocument: lambda r: [(r.school_id, None)],
    LimitOverride: _override,
    Programme: lambda r: [_programme(r.id)],
    ProgrammeSlot: lambda r: [_programme(r.programme_id)],
    Enrolment: lambda r: [_programme(r.programme_id)],
    OutsideStaff: lambda r: [(r.school_id, None)],
    Attendance: lambda r: [_attendance(r)],
    Complaint: lambda r: [(r.school_id, r.filed_on)],
    Survey: _survey,
    Student: lambda r: [(r.school_id, None)],
    Staff: lambda r: [(r.school_id, None)],
    StaffRole: lambda r: [
        (Staff.objects.filter(id=r.staff_id).values_list("school_id", flat=True).first(), None)
    ],
    Term: lambda r: [(r.school_id, None)],
    Vacation: lambda r: [(r.school_id, None)],
}


def _mark(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures
        return
    for pair in SOURCES[sender](instance):
        if pair and pair[0] is not None:
            mark_stale(school_id=pair[0], since=pair[1])


def _roster_imported(sender, school_id: int, **kwargs) -> None:
    mark_stale(school_id=school_id, since=None)  # pupils and staff: every day's denominators


def _forget_school(sender, instance, **kwargs) -> None:
    """A deleted school's rows marked it while they went: drop the marker with the school."""
    StaleSchool.objects.filter(school_id=instance.id).delete()


# Rows the services delete one at a time.  The others (attendance, feedback, pupils, staff, ...)
# are only ever deleted with their school, and a post_delete receiver would make Django load
# and signal every one of them during that cascade.
DELETED_ONE_BY_ONE = (
    Homework,
    RulesDocument,
    LimitOverride,
    Programme,
    ProgrammeSlot,
    Enrolment,
    OutsideStaff,
    StaffRole,
    Term,
    Vacation,
)


def connect() -> None:
    post_delete.connect(_forget_school, sender=School, dispatch_uid="indicators-forget-school")
    roster_imported.connect(_roster_imported, dispatch_uid="indicators-roster-imported")
    for model in SOURCES:
        uid = f"indicators-stale-{model._meta.label}"
        post_save.connect(_mark, sender=model, dispatch_uid=uid + "-save")
        if model in DELETED_ONE_BY_ONE:
            post_delete.connect(_mark, sender=model, dispatch_uid=uid + "-delete")
