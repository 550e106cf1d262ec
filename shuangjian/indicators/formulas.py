"""The indicator formulas on the raw records (SV-01), for many schools and one period at a time.

`Batch(schools, start, end)` loads what the formulas read with a fixed number of set-based
queries for all the schools at once (`school_id IN (…)`, grouped by school, class and day in the
database wherever a count or a sum is all a formula needs); `batch_parts(batch)` returns every
school's parts: each indicator's numerator and denominator per day, per class where the
indicator goes down to classes.  The daily roll-up (`services.refresh`) and the reference
recomputation (`selectors.recompute_figures`) start from these parts; the drill-down pages from
`SchoolData(school, start, end)`, a batch of one school, and `records(data, indicator, ...)`
lists the rows behind a figure so that they add up.

The homework figures reuse the homework app's limits and per-pupil load (`rules.homework`,
`homework.selectors.day_kinds` / `overrides_for`): when all of a class-day's items are untiered
and for the whole class, every pupil carries the sum of their minutes, which the database adds
up; only class-days with a tiered or personal item go through `heaviest_load` pupil by pupil.
The 5+2 figure uses the after-school check (`rules.afterschool.check_week`, fed as
`afterschool.services.check_timetable` feeds it, for the whole period at once); the
satisfaction figures the questionnaire results with their small-group suppression
(`surveys.selectors`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial
from typing import NamedTuple

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from shuangjian.afternoon.models import Attendance
from shuangjian.afterschool import selectors as as_selectors
from shuangjian.afterschool.models import (
    Category,
    Enrolment,
    OutsideStaff,
    Programme,
    ProgrammeSlot,
)
from shuangjian.afterschool.services import WORKING_KINDS
from shuangjian.complaints.models import Complaint
from shuangjian.complaints.models import Status as ComplaintStatus
from shuangjian.homework import selectors as hw_selectors
from shuangjian.homework.models import (
    Feedback,
    Homework,
    HomeworkTarget,
    HomeworkTier,
    RulesDocument,
)
from shuangjian.org.models import Role, School, SchoolClass, StaffRole, Student
from shuangjian.org.selectors import SchoolDay, school_calendar
from shuangjian.rules import afterschool as as_rules
from shuangjian.rules import homework as hw_rules
from shuangjian.surveys import selectors as survey_selectors
from shuangjian.surveys.models import Response, Survey

from .catalogue import SURVEY_KEYS

CATEGORY_GROUPS = {
    "AS-SPORTS-ARTS": {Category.SPORTS, Category.ARTS},
    "AS-READING": {Category.READING},
    "AS-SCIENCE-CLUBS": {Category.SCIENCE, Category.CLUB},
}
TEACHING_ROLES = (Role.HEAD_TEACHER, Role.SUBJECT_TEACHER)
# Schools × days computed together (200 schools for a fortnight, 21 for a term): each kind of
# record is read once for all of them, and memory stays bounded.
BATCH_SCHOOL_DAYS = 2800


class Part(NamedTuple):
    """A numerator and denominator of one indicator on one day, for a class or the school (a
    named tuple: formulas make hundreds of thousands of them for a county's term)."""

    indicator: str
    day: date
    class_id: int | None  # None: a school-level figure
    numerator: int
    denominator: int


SchoolPart = tuple[int, Part]  # (school id, part): what a formula gives for a batch


@dataclass
class Records:
    """The rows behind a figure; `counted` says for each row whether it is in the numerator."""

    columns: list[str]
    rows: list[list] = field(default_factory=list)
    counted: list[bool] = field(default_factory=list)

    def add(self, counted: bool, *cells) -> None:
        self.rows.append(list(cells))
        self.counted.append(bool(counted))


def local_date(moment) -> date:
    return timezone.localtime(moment).date()


def dates(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


@dataclass
class _Prog:
    id: int
    name: str
    category: str
    start: date  # the first day it runs: its term's start, or the day it was created if later
    end: date
    staff: set[int]
    outside_staff_id: int | None

    def runs_on(self, day: date) -> bool:
        return self.start <= day <= self.end


class HomeworkDay(NamedTuple):
    """A class's published items of one day."""

    items: int
    written: int  # written, non-elastic items: those the load counts
    load: int | None  # their minutes for a pupil who has them all
    personal: int  # of them, personal items


class Batch:
    """The records of several schools over one period, each kind loaded once for all of them,
    on first use.  Per-school values are dicts keyed by school id (every school of the batch is
    a key); a school's rows are those its own formula would have read alone."""

    def __init__(self, schools: Iterable[School], start: date, end: date) -> None:
        if end < start:
            raise ValueError("end is before start")
        self.schools = sorted(schools, key=lambda s: s.id)
        self.ids = [s.id for s in self.schools]
        self.start, self.end = start, end
        self.days = dates(start, end)
        self._limits: dict[tuple[int, int, hw_rules.DayKind], int | None] = {}

    def _per_school(self, factory=list) -> dict:
        return {sid: factory() for sid in self.ids}

    @cached_property
    def calendars(self) -> dict[int, list[SchoolDay]]:
        return {s.id: school_calendar(s, self.start, self.end).days for s in self.schools}

    @cached_property
    def school_days(self) -> dict[int, list[date]]:
        return {sid: [d.day for d in cal if d.is_school_day] for sid, cal in self.calendars.items()}

    @cached_property
    def grades(self) -> dict[int, int]:
        """The grade of every class of the schools (class id → grade)."""
        rows = SchoolClass.objects.filter(school_id__in=self.ids).values_list("id", "grade")
        return dict(rows.order_by())

    @cached_property
    def class_sizes(self) -> dict[int, dict[int, int]]:
        """Per school: active pupils per class, in class order (classes without pupils left
        out)."""
        out = self._per_school(dict)
        rows = (
            Student.objects.filter(school_id__in=self.ids, active=True)
            .values("school_id", "school_class_id")
            .annotate(n=Count("id"))
            .values_list("school_id", "school_class_id", "n")
            .order_by("school_id", "school_class_id")
        )
        for sid, class_id, n in rows:
            out[sid][class_id] = n
        return out

    def pupils_of(self, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
        """Active pupils (by id) of some (school id, class id) pairs."""
        out: dict[tuple[int, int], list[int]] = defaultdict(list)
        if not keys:
            return out
        rows = Student.objects.filter(
            school_id__in={sid for sid, _c in keys},
            school_class_id__in={c for _s, c in keys},
            active=True,
        ).values_list("school_id", "school_class_id", "id")
        for sid, class_id, pupil_id in rows.order_by("school_class_id", "id"):
            if (sid, class_id) in keys:
                out[(sid, class_id)].append(pupil_id)
        return out

    @cached_property
    def homework_days(self) -> dict[tuple[int, int, date], HomeworkDay]:
        """(school id, class id, day) → what was published for the class that day, summed in
        one pass over the items (the notice and the load both read it)."""
        written = Q(kind__in=sorted(hw_rules.WRITTEN_KINDS), elastic=False)
        rows = (
            Homework.objects.filter(
                school_id__in=self.ids,
                status=Homework.Status.PUBLISHED,
                date__range=(self.start, self.end),
            )
            .values("school_id", "school_class_id", "date")
            .annotate(
                n=Count("id"),
                written=Count("id", filter=written),
                load=Sum("minutes", filter=written),
                personal=Count("id", filter=written & Q(personal=True)),
            )
            .values_list("school_id", "school_class_id", "date", "n", "written", "load", "personal")
            .order_by()
        )
        return {(s, c, d): HomeworkDay(*counts) for s, c, d, *counts in rows}

    @cached_property
    def _day_kinds(self) -> dict[int, dict[date, hw_rules.DayKind]]:
        return {s.id: hw_selectors.day_kinds(s, self.start, self.end) for s in self.schools}

    @cached_property
    def _overrides(self) -> dict[int, list[hw_rules.Override]]:
        return {s.id: hw_selectors.overrides_for(s) for s in self.schools}

    def limit(self, school_id: int, grade: int, day: date) -> int | None:
        """The binding homework limit of a grade of the school on the day (minutes)."""
        kind = self._day_kinds[school_id][day]
        key = (school_id, grade, kind)
        if key not in self._limits:
            limit = hw_rules.limit_for(grade, kind, self._overrides[school_id])
            self._limits[key] = limit.minutes
        return self._limits[key]

    def limits(self) -> set[int | None]:
        """Every limit a class of the schools can have on a day of the period."""
        grades = set(self.grades.values())
        out = set()
        for sid, kinds in self._day_kinds.items():
            one_day_of_each_kind = {kind: day for day, kind in kinds.items()}.values()
            out |= {self.limit(sid, g, day) for day in one_day_of_each_kind for g in grades}
        return out

    @cached_property
    def work_end_times(self) -> dict[int, as_rules.WorkEndTimes]:
        """The region's end of work of each school (looked up once per county)."""
        by_county: dict[int, as_rules.WorkEndTimes] = {}
        out = {}
        for s in self.schools:
            if s.county_id not in by_county:
                by_county[s.county_id] = as_selectors.work_end_times(s)
            out[s.id] = by_county[s.county_id]
        return out

    @cached_property
    def programmes(self) -> dict[int, list[_Prog]]:
        """Per school: approved programmes of terms overlapping the period, with their staff."""
        qs = Programme.objects.filter(
            school_id__in=self.ids,
            status=Programme.Status.APPROVED,
            term__start__lte=self.end,
            term__end__gte=self.start,
        ).annotate(created_day=TruncDate("created_at")).values_list(
            "school_id", "id", "name", "category", "created_day", "term__start", "term__end",
            "lead_id", "outside_staff_id",
        )  # fmt: skip
        progs, school_of = {}, {}
        for sid, pid, name, cat, created, t_start, t_end, lead, os_id in qs.order_by():
            progs[pid] = _Prog(pid, name, cat, max(t_start, created), t_end, {lead}, os_id)
            school_of[pid] = sid
        through = Programme.assistants.through.objects.filter(programme_id__in=list(progs))
        for pid, staff_id in through.values_list("programme_id", "staff_id").order_by():
            progs[pid].staff.add(staff_id)
        out = self._per_school()
        for p in sorted(progs.values(), key=lambda p: (p.name, p.id)):
            out[school_of[p.id]].append(p)
        return out

    @cached_property
    def _running(self) -> dict[tuple[int, date], list[_Prog]]:
        return {
            (sid, d): [p for p in progs if p.runs_on(d)]
            for sid, progs in self.programmes.items()
            for d in self.days
        }

    def running(self, school_id: int, day: date) -> list[_Prog]:
        return self._running[(school_id, day)]


def batches(schools: list[School], start: date, end: date) -> Iterator[Batch]:
    """The schools in batches of a size the period allows."""
    size = max(1, BATCH_SCHOOL_DAYS // ((end - start).days + 1))
    for n in range(0, len(schools), size):
        yield Batch(schools[n : n + size], start, end)


class SchoolData:
    """The records of one school over one period (a batch of one school), for the drill-down
    and the records behind a figure."""

    def __init__(self, school: School, start: date, end: date) -> None:
        self.batch = Batch([school], start, end)
        self.school, self.start, self.end = school, start, end
        self.days = self.batch.days

    @property
    def school_days(self) -> list[date]:
        return self.batch.school_days[self.school.id]

    @cached_property
    def classes(self) -> dict[int, SchoolClass]:
        return {c.id: c for c in SchoolClass.objects.filter(school=self.school)}

    @cached_property
    def pupils(self) -> dict[int, list[int]]:
        """Active pupils per class (classes without pupils are left out)."""
        out: dict[int, list[int]] = defaultdict(list)
        rows = Student.objects.filter(school=self.school, active=True).values_list(
            "school_class_id", "id"
        )
        for class_id, pupil_id in rows.order_by("school_class_id", "id"):
            out[class_id].append(pupil_id)
        return dict(out)

    def limit_of(self, grade: int, day: date) -> int | None:
        return self.batch.limit(self.school.id, grade, day)

    @property
    def programmes(self) -> list[_Prog]:
        return self.batch.programmes[self.school.id]

    def running(self, day: date) -> list[_Prog]:
        return self.batch.running(self.school.id, day)

    def parts(self, indicator: str) -> list[Part]:
        """The school's parts of one indicator."""
        return [p for _sid, p in PARTS[indicator](self.batch) if p.indicator == indicator]


# -- Homework ------------------------------------------------------------------------------------


def _rules_adopted(batch: Batch) -> dict[int, date]:
    """Per school: the first day a homework rules document was on file (if by the end)."""
    rows = (
        RulesDocument.objects.filter(school_id__in=batch.ids, adopted_on__lte=batch.end)
        .values("school_id")
        .annotate(first=Min("adopted_on"))
        .values_list("school_id", "first")
        .order_by()
    )
    return dict(rows)


def hw_rules_parts(batch: Batch) -> Iterator[SchoolPart]:
    adopted = _rules_adopted(batch)
    for sid in batch.ids:
        first = adopted.get(sid)
        for d in batch.days:
            yield sid, Part("HW-RULES", d, None, int(first is not None and first <= d), 1)


def hw_rules_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Title"), _("Adopted on")])
    for doc in RulesDocument.objects.filter(school=data.school, adopted_on__lte=days[-1]):
        out.add(True, doc.title, doc.adopted_on)
    return out


def _published_per_class_day(batch: Batch) -> dict[tuple[int, int, date], int]:
    """(school id, class id, day) → published items."""
    return {key: day.items for key, day in batch.homework_days.items()}


def hw_notice_parts(batch: Batch) -> Iterator[SchoolPart]:
    posted = _published_per_class_day(batch)
    for sid in batch.ids:
        classes = batch.class_sizes[sid]
        for d in batch.school_days[sid]:
            for class_id in classes:
                yield sid, Part("HW-NOTICE", d, class_id, int((sid, class_id, d) in posted), 1)


def hw_notice_records(data: SchoolData, class_id, days) -> Records:
    posted = _published_per_class_day(data.batch)
    out = Records([_("School day"), _("Published items")])
    wanted = set(days)
    for d in data.school_days:
        if d in wanted:
            n = posted.get((data.school.id, class_id, d), 0)
            out.add(n > 0, d, n)
    return out


def _feedback(data: SchoolData, class_id):
    return Feedback.objects.filter(
        school_class__school=data.school,
        school_class_id=class_id,
        date__range=(data.start, data.end),
    )


def hw_within_parts(batch: Batch) -> Iterator[SchoolPart]:
    # One row per class-day: the reports, and those within each limit the schools' grades can
    # have (a handful), so no report is read one by one.
    limits = batch.limits() - {None}
    within = {f"le{m}": Count("id", filter=Q(minutes__lte=m)) for m in sorted(limits)}
    column = {m: n for n, m in enumerate(within, start=4)}
    rows = (
        Feedback.objects.filter(
            school_class__school_id__in=batch.ids, date__range=(batch.start, batch.end)
        )
        .values("school_class__school_id", "school_class_id", "date")
        .annotate(n=Count("id"), **within)
        .values_list("school_class__school_id", "school_class_id", "date", "n", *within)
        .order_by()
    )
    for row in rows:
        sid, class_id, day, n = row[:4]
        limit = batch.limit(sid, batch.grades[class_id], day)
        ok = n if limit is None else row[column[f"le{limit}"]]
        yield sid, Part("HW-WITHIN-LIMIT", day, class_id, ok, n)


def hw_within_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Day"), _("Pupil"), _("Reported minutes"), _("Limit")])
    grade = data.classes[class_id].grade
    rows = (
        _feedback(data, class_id)
        .filter(date__in=days)
        .values_list("date", "student__name", "minutes")
        .order_by("date", "student__student_no")
    )
    for day, pupil, minutes in rows:
        limit = data.limit_of(grade, day)
        out.add(limit is None or minutes <= limit, day, pupil, minutes, limit)
    return out


def _written(school_ids, start: date, end: date):
    """Published written, non-elastic items: the ones the load calculation counts."""
    return Homework.objects.filter(
        school_id__in=school_ids,
        status=Homework.Status.PUBLISHED,
        date__range=(start, end),
        kind__in=sorted(hw_rules.WRITTEN_KINDS),
        elastic=False,
    )


ClassDay = tuple[int, int, date]  # (school id, class id, day)


def _written_items(batch: Batch, keys: set[ClassDay]) -> dict[ClassDay, list[hw_rules.Item]]:
    """The written items of some class-days as the load calculation sees them (items, tiers,
    tier pupils and personal targets in four set-based queries)."""
    out: dict[ClassDay, list[hw_rules.Item]] = defaultdict(list)
    if not keys:
        return out
    rows = (
        _written(batch.ids, batch.start, batch.end)
        .filter(school_class_id__in={c for _s, c, _d in keys})
        .values_list("id", "school_id", "school_class_id", "date", "kind", "minutes", "personal")
        .order_by("date", "subject_id", "id")
    )
    items = [row for row in rows if (row[1], row[2], row[3]) in keys]
    ids = [row[0] for row in items]
    tiers: dict[int, dict[int, int]] = defaultdict(dict)
    for tier_id, hw_id, minutes in HomeworkTier.objects.filter(homework_id__in=ids).values_list(
        "id", "homework_id", "minutes"
    ):
        tiers[hw_id][tier_id] = minutes
    tier_of: dict[int, dict[int, int]] = defaultdict(dict)
    tier_pupils = HomeworkTier.pupils.through.objects.filter(
        homeworktier__homework_id__in=ids
    ).values_list("homeworktier__homework_id", "homeworktier_id", "student_id")
    for hw_id, tier_id, pupil_id in tier_pupils:
        tier_of[hw_id][pupil_id] = tier_id
    targets: dict[int, set[int]] = defaultdict(set)
    for hw_id, pupil_id in HomeworkTarget.objects.filter(homework_id__in=ids).values_list(
        "homework_id", "student_id"
    ):
        targets[hw_id].add(pupil_id)
    for hw_id, sid, class_id, day, kind, minutes, personal in items:
        item = hw_rules.Item(
            key=hw_id,
            kind=hw_rules.Kind(kind),
            minutes=minutes,
            tiers=tiers.get(hw_id, {}),
            tier_of=tier_of.get(hw_id, {}),
            only_for=frozenset(targets.get(hw_id, ())) if personal else None,
        )
        out[(sid, class_id, day)].append(item)
    return out


def _over_limit(batch: Batch) -> Iterator[tuple[int, int, date, int, int]]:
    """(school id, class id, day, load, limit) of every class-day whose heaviest written load
    (rules.heaviest_load) exceeds the limit.

    A class-day whose items are all untiered and for the whole class gives every pupil the
    same load, the sum of their minutes (as `heaviest_load` finds it, with or without pupils):
    the database adds it up.  The class-days with a tiered or a personal item are worked out
    pupil by pupil."""
    written = _written(batch.ids, batch.start, batch.end)
    tiered = (
        HomeworkTier.objects.filter(homework__in=written)
        .values_list("homework__school_id", "homework__school_class_id", "homework__date")
        .distinct()
        .order_by()
    )
    rows = [(key, day.load) for key, day in batch.homework_days.items() if day.written]
    uneven = {key for key, day in batch.homework_days.items() if day.personal} | set(tiered)
    items = _written_items(batch, uneven)
    pupils = batch.pupils_of({(sid, c) for sid, c, _d in uneven})
    for (sid, class_id, day), load in sorted(rows):
        if (sid, class_id, day) in uneven:
            load = hw_rules.heaviest_load(items[(sid, class_id, day)], pupils[(sid, class_id)])
        limit = batch.limit(sid, batch.grades[class_id], day)
        if limit is not None and load > limit:
            yield sid, class_id, day, load, limit


def hw_over_parts(batch: Batch) -> Iterator[SchoolPart]:
    for sid, class_id, day, *_rest in _over_limit(batch):
        yield sid, Part("HW-OVER-LIMIT", day, class_id, 1, 0)


def hw_over_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Day"), _("Heaviest load (minutes)"), _("Limit"), _("Items")])
    wanted = set(days)
    over = [row for row in _over_limit(data.batch) if row[1] == class_id and row[2] in wanted]
    items = defaultdict(list)
    rows = (
        _written([data.school.id], data.start, data.end)
        .filter(school_class_id=class_id, date__in=[row[2] for row in over])
        .select_related("subject")
        .order_by("date", "subject_id", "id")
    )
    for hw in rows:
        items[hw.date].append(hw)
    for _sid, _cid, day, load, limit in over:
        listing = " · ".join(f"{hw.subject.name} {hw.minutes}′" for hw in items[day])
        out.add(True, day, load, limit, listing)
    return out


# -- After-school ------------------------------------------------------------------------------


def _five_plus_two(batch: Batch) -> dict[int, list[as_rules.DayCheck]]:
    """Per school: the "5+2" check of each required day of the period, as `afterschool.
    services.check_timetable` assembles it for a week (approved programmes' slots on days of
    their term, the school calendar, the region's end of work), loaded once for the period."""
    slots = ProgrammeSlot.objects.filter(
        programme__school_id__in=batch.ids,
        programme__status=Programme.Status.APPROVED,
        programme__term__start__lte=batch.end,
        programme__term__end__gte=batch.start,
    ).values_list(
        "programme__school_id", "weekday", "start", "end", "programme__term__start",
        "programme__term__end",
    )  # fmt: skip
    by_weekday = defaultdict(list)
    for sid, weekday, start, end, t_start, t_end in slots.order_by():
        by_weekday[(sid, weekday)].append((start, end, t_start, t_end))
    out = {}
    for sid in batch.ids:
        calendar = batch.calendars[sid]
        sessions = [
            as_rules.Session(d.day, start, end)
            for d in calendar
            for start, end, t_start, t_end in by_weekday[(sid, d.day.weekday())]
            if t_start <= d.day <= t_end
        ]
        days = [
            as_rules.Day(
                d.day, str(d.kind) in WORKING_KINDS, d.is_school_day, str(d.kind), d.estimated
            )
            for d in calendar
        ]
        checked = as_rules.check_week(sessions, days, batch.work_end_times[sid])
        out[sid] = [d for d in checked.days if d.required]
    return out


def as_five_parts(batch: Batch) -> Iterator[SchoolPart]:
    for sid, checks in _five_plus_two(batch).items():
        for d in checks:
            yield sid, Part("AS-5PLUS2", d.day, None, int(d.ok), 1)


def as_five_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Working school day"), _("Service"), _("End of work"), _("Gaps")])
    wanted = set(days)
    for d in _five_plus_two(data.batch)[data.school.id]:
        if d.day in wanted:
            service = f"{d.start:%H:%M}–{d.end:%H:%M} ({d.minutes}′)" if d.start else "—"
            gaps = ", ".join(str(f.code) for f in d.failures)
            out.add(d.ok, d.day, service, f"{d.end_of_work:%H:%M}", gaps or "✓")
    return out


def _places(school_ids, start: date, end: date):
    """Places held by active pupils of the schools in approved programmes of terms overlapping
    the period, each with the day it was allocated (its creation, local time)."""
    return (
        Enrolment.objects.filter(
            status=Enrolment.Status.ALLOCATED,
            student__school_id__in=school_ids,
            student__active=True,
            programme__status=Programme.Status.APPROVED,
            programme__term__start__lte=end,
            programme__term__end__gte=start,
        )
        .annotate(created_day=TruncDate("created_at"))
        .order_by()
    )


def _clip(batch: Batch, lo: date, hi: date) -> tuple[int, int] | None:
    """Day indexes of [lo, hi] within the period, or None when they do not meet."""
    lo, hi = max(lo, batch.start), min(hi, batch.end)
    if lo > hi:
        return None
    return (lo - batch.start).days, (hi - batch.start).days


def _held(batch: Batch) -> dict[tuple[int, int], list[int]]:
    """Per (school, class): a difference array over the period's days of pupils holding at
    least one place (overlapping places count a pupil once).

    Pupils holding a single place are counted by the database, one row per class and kind of
    place (its allocation day and term); the few holding several have their places merged one
    by one."""
    places = _places(batch.ids, batch.start, batch.end)
    several = list(
        places.values("student_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("student_id", flat=True)
    )
    held: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * (len(batch.days) + 1))

    def add(key, a: int, b: int, n: int = 1) -> None:
        held[key][a] += n
        held[key][b + 1] -= n

    single = (
        places.exclude(student_id__in=several)
        .values(
            "student__school_id", "student__school_class_id", "created_day",
            "programme__term__start", "programme__term__end",
        )
        .annotate(n=Count("id"))
        .values_list(
            "student__school_id", "student__school_class_id", "created_day",
            "programme__term__start", "programme__term__end", "n",
        )
    )  # fmt: skip
    for sid, class_id, created, t_start, t_end, n in single:
        span = _clip(batch, max(t_start, created), t_end)
        if span:
            add((sid, class_id), *span, n)
    spans: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    rows = places.filter(student_id__in=several).values_list(
        "student__school_id", "student__school_class_id", "student_id", "created_day",
        "programme__term__start", "programme__term__end",
    )  # fmt: skip
    for sid, class_id, pupil_id, created, t_start, t_end in rows if several else ():
        span = _clip(batch, max(t_start, created), t_end)
        if span:
            spans[(sid, class_id, pupil_id)].append(span)
    for (sid, class_id, _pupil), pupil_spans in spans.items():
        merged: list[list[int]] = []
        for a, b in sorted(pupil_spans):
            if merged and a <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for a, b in merged:
            add((sid, class_id), a, b)
    return held


def as_pupils_parts(batch: Batch) -> Iterator[SchoolPart]:
    held = _held(batch)
    for sid in batch.ids:
        for class_id, size in batch.class_sizes[sid].items():
            diff = held.get((sid, class_id))
            running = 0
            for n, d in enumerate(batch.days):
                running += diff[n] if diff else 0
                yield sid, Part("AS-PUPILS", d, class_id, running, size)


def as_pupils_records(data: SchoolData, class_id, days) -> Records:
    day = days[-1]
    places: dict[int, list] = defaultdict(list)
    rows = (
        _places([data.school.id], data.start, data.end)
        .filter(student__school_class_id=class_id)
        .values_list(
            "student_id", "created_day", "programme__term__start", "programme__term__end",
            "programme__name",
        )
    )  # fmt: skip
    for pupil_id, created, t_start, t_end, name in rows:
        places[pupil_id].append((max(t_start, created), t_end, name))
    out = Records([_("Pupil"), _("Places held")])
    names = dict(
        Student.objects.filter(id__in=data.pupils.get(class_id, [])).values_list("id", "name")
    )
    for pupil_id in data.pupils.get(class_id, []):
        held = sorted({name for lo, hi, name in places.get(pupil_id, ()) if lo <= day <= hi})
        out.add(bool(held), names[pupil_id], "、".join(held) or "—")
    return out


def _teachers(school_ids):
    """Active teaching staff (head or subject teachers) of the schools."""
    return StaffRole.objects.filter(
        staff__school_id__in=school_ids, staff__active=True, role__in=TEACHING_ROLES
    ).order_by()


def as_teachers_parts(batch: Batch) -> Iterator[SchoolPart]:
    teachers = batch._per_school(set)
    rows = _teachers(batch.ids).values_list("staff__school_id", "staff_id").distinct()
    for sid, staff_id in rows:  # (a teacher has a role per class and subject taught)
        teachers[sid].add(staff_id)
    for sid in batch.ids:
        for d in batch.days:
            serving = set().union(*(p.staff for p in batch.running(sid, d)))
            yield (
                sid,
                Part("AS-TEACHERS", d, None, len(teachers[sid] & serving), len(teachers[sid])),
            )


def as_teachers_records(data: SchoolData, class_id, days) -> Records:
    running = data.running(days[-1])
    rows = _teachers([data.school.id]).values_list("staff_id", "staff__staff_no", "staff__name")
    teachers = {sid: (no, name) for sid, no, name in rows}
    out = Records([_("Staff number"), _("Teacher"), _("Programmes")])
    for sid, (no, name) in sorted(teachers.items(), key=lambda kv: kv[1]):
        progs = [p.name for p in running if sid in p.staff]
        out.add(bool(progs), no, name, "、".join(progs) or "—")
    return out


def as_category_parts(batch: Batch, indicator: str) -> Iterator[SchoolPart]:
    group = CATEGORY_GROUPS[indicator]
    for sid in batch.ids:
        for d in batch.days:
            offered = any(p.category in group for p in batch.running(sid, d))
            yield sid, Part(indicator, d, None, int(offered), 1)


def as_category_records(data: SchoolData, class_id, days, indicator: str) -> Records:
    labels = dict(Category.choices)
    out = Records([_("Programme"), _("Category")])
    for p in data.running(days[-1]):
        if p.category in CATEGORY_GROUPS[indicator]:
            out.add(True, p.name, labels.get(p.category, p.category))
    return out


def _outside_people(batch: Batch) -> dict[int, OutsideStaff]:
    """Approved outside people attached to the period's programmes."""
    ids = {p.outside_staff_id for progs in batch.programmes.values() for p in progs}
    rows = OutsideStaff.objects.filter(id__in=ids - {None}, status=OutsideStaff.Status.APPROVED)
    return {o.id: o for o in rows.order_by("name", "id")}


def _engaged(
    batch: Batch, school_id: int, people: dict[int, OutsideStaff], day: date
) -> dict[int, list]:
    """Outside people engaged on the day (valid, registered by then) → their programmes."""
    out: dict[int, list[str]] = defaultdict(list)
    for p in batch.running(school_id, day):
        o = people.get(p.outside_staff_id)
        if o is not None and o.valid_until >= day and local_date(o.created_at) <= day:
            out[o.id].append(p.name)
    return out


def as_outside_parts(batch: Batch) -> Iterator[SchoolPart]:
    people = _outside_people(batch)
    for sid in batch.ids:
        for d in batch.days:
            yield sid, Part("AS-OUTSIDE-STAFF", d, None, len(_engaged(batch, sid, people, d)), 0)


def as_outside_records(data: SchoolData, class_id, days) -> Records:
    people = _outside_people(data.batch)
    engaged = _engaged(data.batch, data.school.id, people, days[-1])
    out = Records([_("Name"), _("Kind"), _("Valid until"), _("Programmes")])
    for oid, programmes in engaged.items():
        o = people[oid]
        out.add(True, o.name, o.get_kind_display(), o.valid_until, "、".join(programmes))
    return out


# -- Attendance ------------------------------------------------------------------------------------


def _unexplained(school_ids, start: date, end: date):
    return Attendance.objects.filter(
        session__school_id__in=school_ids,
        session__date__range=(start, end),
        state=Attendance.State.ABSENT_UNEXPLAINED,
    )


def at_unexplained_parts(batch: Batch) -> Iterator[SchoolPart]:
    rows = (
        _unexplained(batch.ids, batch.start, batch.end)
        .values("session__school_id", "student__school_class_id", "session__date")
        .annotate(n=Count("id"))
        .values_list("session__school_id", "student__school_class_id", "session__date", "n")
        .order_by()
    )
    for sid, class_id, day, n in rows:
        yield sid, Part("AT-UNEXPLAINED", day, class_id, n, 0)


def at_unexplained_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Day"), _("Pupil"), _("Programme"), _("Session")])
    rows = (
        _unexplained([data.school.id], data.start, data.end)
        .filter(student__school_class_id=class_id, session__date__in=days)
        .values_list("session__date", "student__name", "session__programme__name", "session__start")
        .order_by("session__date", "session__start", "student__student_no")
    )
    for day, pupil, programme, start in rows:
        out.add(True, day, pupil, programme, f"{start:%H:%M}")
    return out


# -- Questionnaires and complaints -----------------------------------------------------------------


SurveyFigures = list[tuple[Survey, date, dict[str, tuple[int, int]]]]


def _survey_figures(batch: Batch) -> dict[int, SurveyFigures]:
    """Per school: closed surveys with answers from the school, closed in the period: their
    close day and, per indicator, (respondents affirming, respondents counted) of the school's
    group — only when the survey shows that group (the surveys app's small-group suppression).
    Each survey's group tree is built once for all the schools."""
    out = batch._per_school()
    surveys = Survey.objects.filter(
        status=Survey.Status.CLOSED,
        # Closed on a local day of the period.
        closed_at__gte=timezone.make_aware(datetime.combine(batch.start, time.min)),
        closed_at__lt=timezone.make_aware(datetime.combine(batch.end + timedelta(1), time.min)),
    )
    answered = defaultdict(set)  # survey → the schools of the batch with answers in it
    for survey_id, sid in (
        Response.objects.filter(survey__in=surveys, school_id__in=batch.ids)
        .values_list("survey_id", "school_id")
        .distinct()
        .order_by()
    ):
        answered[survey_id].add(sid)
    surveys = surveys.filter(id__in=list(answered)).select_related("region", "school")
    for survey in surveys.order_by("closed_at", "id"):
        day = local_date(survey.closed_at)
        tree = survey_selectors.group_tree(survey)
        for sid in sorted(answered[survey.id]):
            group = survey_selectors.Group(school_id=sid)
            node = survey_selectors.node_for(tree, survey, group)
            if node is None or node.hidden or node.n == 0:
                continue
            figures = {}
            for r in survey_selectors.question_results(survey, node, texts=False):
                key = r.question.indicator
                if key not in SURVEY_KEYS.values() or r.indicator_share is None:
                    continue
                if r.question.has_choices:
                    yes = sum(c.count for c in r.choices if c.affirms is True)
                    counted = sum(c.count for c in r.choices if c.affirms is not None)
                else:  # a 1–5 scale: 4 and 5 affirm (as the surveys app counts it)
                    yes = sum(c.count for c in r.choices if c.label in ("4", "5"))
                    counted = r.answered
                figures[key] = (yes, counted)
            out[sid].append((survey, day, figures))
    return out


def sv_parts(batch: Batch) -> Iterator[SchoolPart]:
    for sid, surveys in _survey_figures(batch).items():
        for _survey, day, figures in surveys:
            for indicator, key in SURVEY_KEYS.items():
                if key in figures:
                    yield sid, Part(indicator, day, None, *figures[key])


def sv_records(data: SchoolData, class_id, days, indicator: str) -> Records:
    wanted, key = set(days), SURVEY_KEYS[indicator]
    out = Records([_("Questionnaire"), _("Closed on"), _("Affirming"), _("Answering")])
    for survey, day, figures in _survey_figures(data.batch)[data.school.id]:
        if day in wanted and key in figures:
            yes, counted = figures[key]
            out.add(yes > 0, survey.title, day, yes, counted)
    return out


def _closed_complaints(school_ids, start: date, end: date):
    return Complaint.objects.filter(
        school_id__in=school_ids, status=ComplaintStatus.CLOSED, closed_on__range=(start, end)
    )


def sv_complaints_parts(batch: Batch) -> Iterator[SchoolPart]:
    rows = (
        _closed_complaints(batch.ids, batch.start, batch.end)
        .values("school_id", "closed_on")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(closed_on__lte=F("deadline"))))
        .values_list("school_id", "closed_on", "on_time", "n")
        .order_by()
    )
    for sid, day, on_time, n in rows:
        yield sid, Part("SV-COMPLAINTS-ON-TIME", day, None, on_time, n)


def sv_complaints_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Case"), _("Category"), _("Filed on"), _("Deadline"), _("Closed on")])
    rows = _closed_complaints([data.school.id], data.start, data.end)
    for c in rows.filter(closed_on__in=days).order_by("closed_on", "id"):
        out.add(
            c.closed_on <= c.deadline,
            c.id,
            c.get_category_display(),
            c.filed_on,
            c.deadline,
            c.closed_on,
        )
    return out


# -- Registry --------------------------------------------------------------------------------------

# indicator → the formula giving its parts for a batch of schools (a formula may give several
# indicators' parts).
PARTS: dict[str, Callable[[Batch], Iterable[SchoolPart]]] = {
    "HW-RULES": hw_rules_parts,
    "HW-NOTICE": hw_notice_parts,
    "HW-WITHIN-LIMIT": hw_within_parts,
    "HW-OVER-LIMIT": hw_over_parts,
    "AS-5PLUS2": as_five_parts,
    "AS-PUPILS": as_pupils_parts,
    "AS-TEACHERS": as_teachers_parts,
    **{ind: partial(as_category_parts, indicator=ind) for ind in CATEGORY_GROUPS},
    "AS-OUTSIDE-STAFF": as_outside_parts,
    "AT-UNEXPLAINED": at_unexplained_parts,
    **{ind: sv_parts for ind in SURVEY_KEYS},  # one pass gives both questionnaire figures
    "SV-COMPLAINTS-ON-TIME": sv_complaints_parts,
}

RECORDS: dict[str, Callable[..., Records]] = {
    "HW-RULES": hw_rules_records,
    "HW-NOTICE": hw_notice_records,
    "HW-WITHIN-LIMIT": hw_within_records,
    "HW-OVER-LIMIT": hw_over_records,
    "AS-5PLUS2": as_five_records,
    "AS-PUPILS": as_pupils_records,
    "AS-TEACHERS": as_teachers_records,
    **{ind: partial(as_category_records, indicator=ind) for ind in CATEGORY_GROUPS},
    "AS-OUTSIDE-STAFF": as_outside_records,
    "AT-UNEXPLAINED": at_unexplained_records,
    **{ind: partial(sv_records, indicator=ind) for ind in SURVEY_KEYS},
    "SV-COMPLAINTS-ON-TIME": sv_complaints_records,
}


def iter_parts(batch: Batch) -> Iterator[SchoolPart]:
    """Every indicator's parts for the schools of the batch, as (school id, part)."""
    for formula in dict.fromkeys(PARTS.values()):
        yield from formula(batch)


def batch_parts(batch: Batch) -> dict[int, list[Part]]:
    """Every indicator's parts, per school of the batch (every school is a key)."""
    out: dict[int, list[Part]] = batch._per_school()
    for sid, part in iter_parts(batch):
        out[sid].append(part)
    return out


def parts(data: SchoolData) -> list[Part]:
    """Every indicator's parts for the school and period."""
    return batch_parts(data.batch)[data.school.id]


def records(data: SchoolData, indicator: str, class_id: int | None, days: list[date]) -> Records:
    """The rows behind the figure of a class (or of the school) over the given days."""
    return RECORDS[indicator](data, class_id, days)
