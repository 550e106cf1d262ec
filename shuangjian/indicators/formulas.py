"""The indicator formulas on the raw records (SV-01), one school and one period at a time.

`SchoolData(school, start, end)` loads what the formulas read with a fixed number of set-based
queries; `parts(data)` returns every indicator's numerator and denominator per day, per class
where the indicator goes down to classes.  The daily roll-up (`services.refresh`), the reference
recomputation (`selectors.recompute_figures`) and the drill-down pages all start from these
parts, and `records(data, indicator, ...)` lists the rows behind a figure so that they add up.

The homework figures reuse the homework app's limits and per-pupil load (`rules.homework`,
`homework.selectors.day_kinds` / `overrides_for`); the 5+2 figure the after-school check
(`rules.afterschool.check_week`, fed as `afterschool.services.check_timetable` feeds it, for
the whole period at once); the satisfaction figures the questionnaire results with their
small-group suppression (`surveys.selectors`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, partial

from django.db.models import Count, F, Q
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
from shuangjian.org.selectors import school_calendar
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


@dataclass(frozen=True)
class Part:
    """A numerator and denominator of one indicator on one day, for a class or the school."""

    indicator: str
    day: date
    class_id: int | None  # None: a school-level figure
    numerator: int
    denominator: int


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


class SchoolData:
    """The records of one school over one period, each loaded once, on first use."""

    def __init__(self, school: School, start: date, end: date) -> None:
        if end < start:
            raise ValueError("end is before start")
        self.school, self.start, self.end = school, start, end
        self.days = dates(start, end)

    @cached_property
    def school_days(self) -> list[date]:
        cal = school_calendar(self.school, self.start, self.end)
        return [d.day for d in cal.days if d.is_school_day]

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

    @cached_property
    def limit_of(self) -> Callable[[int, date], int | None]:
        kinds = hw_selectors.day_kinds(self.school, self.start, self.end)
        overrides = hw_selectors.overrides_for(self.school)
        return lambda grade, day: hw_rules.limit_for(grade, kinds[day], overrides).minutes

    @cached_property
    def programmes(self) -> list[_Prog]:
        """Approved programmes of terms overlapping the period, with their staff."""
        qs = Programme.objects.filter(
            school=self.school,
            status=Programme.Status.APPROVED,
            term__start__lte=self.end,
            term__end__gte=self.start,
        ).values_list(
            "id", "name", "category", "created_at", "term__start", "term__end", "lead_id",
            "outside_staff_id",
        )  # fmt: skip
        progs = {
            pid: _Prog(pid, name, cat, max(t_start, local_date(created)), t_end, {lead}, os_id)
            for pid, name, cat, created, t_start, t_end, lead, os_id in qs
        }
        through = Programme.assistants.through.objects.filter(programme_id__in=list(progs))
        for pid, staff_id in through.values_list("programme_id", "staff_id"):
            progs[pid].staff.add(staff_id)
        return sorted(progs.values(), key=lambda p: (p.name, p.id))

    def running(self, day: date) -> list[_Prog]:
        return [p for p in self.programmes if p.runs_on(day)]


# -- Homework ------------------------------------------------------------------------------------


def hw_rules_parts(data: SchoolData) -> Iterable[Part]:
    first = (
        RulesDocument.objects.filter(school=data.school, adopted_on__lte=data.end)
        .order_by("adopted_on")
        .values_list("adopted_on", flat=True)
        .first()
    )
    for d in data.days:
        yield Part("HW-RULES", d, None, int(first is not None and first <= d), 1)


def hw_rules_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Title"), _("Adopted on")])
    for doc in RulesDocument.objects.filter(school=data.school, adopted_on__lte=days[-1]):
        out.add(True, doc.title, doc.adopted_on)
    return out


def _published_per_class_day(data: SchoolData) -> dict[tuple[int, date], int]:
    rows = (
        Homework.objects.filter(
            school=data.school,
            status=Homework.Status.PUBLISHED,
            date__range=(data.start, data.end),
        )
        .values("school_class_id", "date")
        .annotate(n=Count("id"))
        .values_list("school_class_id", "date", "n")
        .order_by()
    )
    return {(c, d): n for c, d, n in rows}


def hw_notice_parts(data: SchoolData) -> Iterable[Part]:
    posted = _published_per_class_day(data)
    for d in data.school_days:
        for class_id in data.pupils:
            yield Part("HW-NOTICE", d, class_id, int((class_id, d) in posted), 1)


def hw_notice_records(data: SchoolData, class_id, days) -> Records:
    posted = _published_per_class_day(data)
    out = Records([_("School day"), _("Published items")])
    wanted = set(days)
    for d in data.school_days:
        if d in wanted:
            n = posted.get((class_id, d), 0)
            out.add(n > 0, d, n)
    return out


def _feedback(data: SchoolData, class_id=None):
    qs = Feedback.objects.filter(
        school_class__school=data.school, date__range=(data.start, data.end)
    )
    return qs.filter(school_class_id=class_id) if class_id is not None else qs


def hw_within_parts(data: SchoolData) -> Iterable[Part]:
    # One row per class-day: the reports, and those within each limit the school's grades can
    # have (a handful), so no report is read one by one.
    limits = {data.limit_of(c.grade, d) for c in data.classes.values() for d in data.days} - {None}
    within = {f"le{m}": Count("id", filter=Q(minutes__lte=m)) for m in limits}
    rows = (
        _feedback(data)
        .values("school_class_id", "school_class__grade", "date")
        .annotate(n=Count("id"), **within)
        .order_by()
    )
    for r in rows:
        limit = data.limit_of(r["school_class__grade"], r["date"])
        ok = r["n"] if limit is None else r[f"le{limit}"]
        yield Part("HW-WITHIN-LIMIT", r["date"], r["school_class_id"], ok, r["n"])


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


def _written_items(data: SchoolData) -> dict[tuple[int, date], list[hw_rules.Item]]:
    """Published written, non-elastic items per class and day as the load calculation sees them
    (items, tiers, tier pupils and personal targets in four set-based queries)."""
    in_period = Q(homework__school=data.school, homework__date__range=(data.start, data.end))
    tiers: dict[int, dict[int, int]] = defaultdict(dict)
    for tier_id, hw_id, minutes in HomeworkTier.objects.filter(in_period).values_list(
        "id", "homework_id", "minutes"
    ):
        tiers[hw_id][tier_id] = minutes
    tier_of: dict[int, dict[int, int]] = defaultdict(dict)
    tier_pupils = HomeworkTier.pupils.through.objects.filter(
        homeworktier__homework__school=data.school,
        homeworktier__homework__date__range=(data.start, data.end),
    ).values_list("homeworktier__homework_id", "homeworktier_id", "student_id")
    for hw_id, tier_id, pupil_id in tier_pupils:
        tier_of[hw_id][pupil_id] = tier_id
    targets: dict[int, set[int]] = defaultdict(set)
    for hw_id, pupil_id in HomeworkTarget.objects.filter(in_period).values_list(
        "homework_id", "student_id"
    ):
        targets[hw_id].add(pupil_id)
    items = (
        Homework.objects.filter(
            school=data.school,
            status=Homework.Status.PUBLISHED,
            date__range=(data.start, data.end),
            kind__in=sorted(hw_rules.WRITTEN_KINDS),
            elastic=False,
        )
        .values_list("id", "school_class_id", "date", "kind", "minutes", "personal")
        .order_by("date", "subject_id", "id")
    )
    out: dict[tuple[int, date], list] = defaultdict(list)
    for hw_id, class_id, day, kind, minutes, personal in items:
        item = hw_rules.Item(
            key=hw_id,
            kind=hw_rules.Kind(kind),
            minutes=minutes,
            tiers=tiers.get(hw_id, {}),
            tier_of=tier_of.get(hw_id, {}),
            only_for=frozenset(targets.get(hw_id, ())) if personal else None,
        )
        out[(class_id, day)].append(item)
    return out


def _load(items: list[hw_rules.Item], pupils: list[int]) -> int:
    """The heaviest written load of the class (rules.heaviest_load).  When no item is tiered or
    personal every pupil carries the same load, so one pupil stands for the class."""
    if pupils and not any(i.tiers or i.only_for is not None for i in items):
        pupils = pupils[:1]
    return hw_rules.heaviest_load(items, pupils)


def _over_limit(data: SchoolData):
    """(class id, day, load, limit, item ids) of every class-day whose load exceeds the limit."""
    for (class_id, day), items in sorted(_written_items(data).items()):
        klass = data.classes[class_id]
        limit = data.limit_of(klass.grade, day)
        load = _load(items, data.pupils.get(class_id, []))
        if limit is not None and load > limit:
            yield class_id, day, load, limit, [i.key for i in items]


def hw_over_parts(data: SchoolData) -> Iterable[Part]:
    for class_id, day, *_rest in _over_limit(data):
        yield Part("HW-OVER-LIMIT", day, class_id, 1, 0)


def hw_over_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Day"), _("Heaviest load (minutes)"), _("Limit"), _("Items")])
    wanted = set(days)
    over = [row for row in _over_limit(data) if row[0] == class_id and row[1] in wanted]
    ids = [hw_id for row in over for hw_id in row[4]]
    items = Homework.objects.filter(id__in=ids).select_related("subject").in_bulk()
    for _cid, day, load, limit, hw_ids in over:
        listing = " · ".join(f"{items[i].subject.name} {items[i].minutes}′" for i in hw_ids)
        out.add(True, day, load, limit, listing)
    return out


# -- After-school ------------------------------------------------------------------------------


def _five_plus_two(data: SchoolData) -> list[as_rules.DayCheck]:
    """The "5+2" check of each required day of the period, as `afterschool.services.
    check_timetable` assembles it for a week (approved programmes' slots on days of their term,
    the school calendar, the region's end of work), loaded once for the whole period."""
    calendar = school_calendar(data.school, data.start, data.end).days
    slots = ProgrammeSlot.objects.filter(
        programme__school=data.school,
        programme__status=Programme.Status.APPROVED,
        programme__term__start__lte=data.end,
        programme__term__end__gte=data.start,
    ).values_list("weekday", "start", "end", "programme__term__start", "programme__term__end")
    by_weekday = defaultdict(list)
    for weekday, start, end, t_start, t_end in slots:
        by_weekday[weekday].append((start, end, t_start, t_end))
    sessions = [
        as_rules.Session(d.day, start, end)
        for d in calendar
        for start, end, t_start, t_end in by_weekday[d.day.weekday()]
        if t_start <= d.day <= t_end
    ]
    days = [
        as_rules.Day(d.day, str(d.kind) in WORKING_KINDS, d.is_school_day, str(d.kind), d.estimated)
        for d in calendar
    ]
    checked = as_rules.check_week(sessions, days, as_selectors.work_end_times(data.school))
    return [d for d in checked.days if d.required]


def as_five_parts(data: SchoolData) -> Iterable[Part]:
    for d in _five_plus_two(data):
        yield Part("AS-5PLUS2", d.day, None, int(d.ok), 1)


def as_five_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Working school day"), _("Service"), _("End of work"), _("Gaps")])
    wanted = set(days)
    for d in _five_plus_two(data):
        if d.day in wanted:
            service = f"{d.start:%H:%M}–{d.end:%H:%M} ({d.minutes}′)" if d.start else "—"
            gaps = ", ".join(str(f.code) for f in d.failures)
            out.add(d.ok, d.day, service, f"{d.end_of_work:%H:%M}", gaps or "✓")
    return out


def _places(data: SchoolData) -> dict[int, list[tuple[date, date, str]]]:
    """Per active pupil: (from, to, programme) of each place held in an approved programme."""
    rows = Enrolment.objects.filter(
        status=Enrolment.Status.ALLOCATED,
        student__school=data.school,
        student__active=True,
        programme__status=Programme.Status.APPROVED,
        programme__term__start__lte=data.end,
        programme__term__end__gte=data.start,
    ).values_list(
        "student_id", "created_at", "programme__term__start", "programme__term__end",
        "programme__name",
    )  # fmt: skip
    out: dict[int, list] = defaultdict(list)
    for pupil_id, created, t_start, t_end, name in rows:
        out[pupil_id].append((max(t_start, local_date(created)), t_end, name))
    return out


def _clip(data: SchoolData, lo: date, hi: date) -> tuple[int, int] | None:
    """Day indexes of [lo, hi] within the period, or None when they do not meet."""
    lo, hi = max(lo, data.start), min(hi, data.end)
    if lo > hi:
        return None
    return (lo - data.start).days, (hi - data.start).days


def as_pupils_parts(data: SchoolData) -> Iterable[Part]:
    places = _places(data)
    for class_id, pupils in data.pupils.items():
        held = [0] * (len(data.days) + 1)  # a difference array: pupils holding a place
        for pupil_id in pupils:
            spans = sorted(
                filter(None, (_clip(data, lo, hi) for lo, hi, _n in places.get(pupil_id, ())))
            )
            merged: list[list[int]] = []
            for a, b in spans:  # overlapping places count the pupil once
                if merged and a <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            for a, b in merged:
                held[a] += 1
                held[b + 1] -= 1
        running = 0
        for n, d in enumerate(data.days):
            running += held[n]
            yield Part("AS-PUPILS", d, class_id, running, len(pupils))


def as_pupils_records(data: SchoolData, class_id, days) -> Records:
    day = days[-1]
    places = _places(data)
    out = Records([_("Pupil"), _("Places held")])
    names = dict(
        Student.objects.filter(id__in=data.pupils.get(class_id, [])).values_list("id", "name")
    )
    for pupil_id in data.pupils.get(class_id, []):
        held = sorted({name for lo, hi, name in places.get(pupil_id, ()) if lo <= day <= hi})
        out.add(bool(held), names[pupil_id], "、".join(held) or "—")
    return out


def _teachers(data: SchoolData) -> dict[int, tuple[str, str]]:
    """Active teaching staff (head or subject teachers): id → (staff number, name)."""
    rows = StaffRole.objects.filter(
        staff__school=data.school, staff__active=True, role__in=TEACHING_ROLES
    ).values_list("staff_id", "staff__staff_no", "staff__name")
    return {sid: (no, name) for sid, no, name in rows}


def as_teachers_parts(data: SchoolData) -> Iterable[Part]:
    teachers = set(_teachers(data))
    for d in data.days:
        serving = set().union(*(p.staff for p in data.running(d)))
        yield Part("AS-TEACHERS", d, None, len(teachers & serving), len(teachers))


def as_teachers_records(data: SchoolData, class_id, days) -> Records:
    running = data.running(days[-1])
    out = Records([_("Staff number"), _("Teacher"), _("Programmes")])
    for sid, (no, name) in sorted(_teachers(data).items(), key=lambda kv: kv[1]):
        progs = [p.name for p in running if sid in p.staff]
        out.add(bool(progs), no, name, "、".join(progs) or "—")
    return out


def as_category_parts(data: SchoolData, indicator: str) -> Iterable[Part]:
    group = CATEGORY_GROUPS[indicator]
    for d in data.days:
        yield Part(indicator, d, None, int(any(p.category in group for p in data.running(d))), 1)


def as_category_records(data: SchoolData, class_id, days, indicator: str) -> Records:
    labels = dict(Category.choices)
    out = Records([_("Programme"), _("Category")])
    for p in data.running(days[-1]):
        if p.category in CATEGORY_GROUPS[indicator]:
            out.add(True, p.name, labels.get(p.category, p.category))
    return out


def _outside_people(data: SchoolData) -> dict[int, OutsideStaff]:
    """Approved outside people attached to the period's programmes."""
    ids = {p.outside_staff_id for p in data.programmes if p.outside_staff_id}
    rows = OutsideStaff.objects.filter(id__in=ids, status=OutsideStaff.Status.APPROVED)
    return {o.id: o for o in rows.order_by("name", "id")}


def _engaged(data: SchoolData, people: dict[int, OutsideStaff], day: date) -> dict[int, list]:
    """Outside people engaged on the day (valid, registered by then) → their programmes."""
    out: dict[int, list[str]] = defaultdict(list)
    for p in data.running(day):
        o = people.get(p.outside_staff_id)
        if o is not None and o.valid_until >= day and local_date(o.created_at) <= day:
            out[o.id].append(p.name)
    return out


def as_outside_parts(data: SchoolData) -> Iterable[Part]:
    people = _outside_people(data)
    for d in data.days:
        yield Part("AS-OUTSIDE-STAFF", d, None, len(_engaged(data, people, d)), 0)


def as_outside_records(data: SchoolData, class_id, days) -> Records:
    people = _outside_people(data)
    engaged = _engaged(data, people, days[-1])
    out = Records([_("Name"), _("Kind"), _("Valid until"), _("Programmes")])
    for oid, programmes in engaged.items():
        o = people[oid]
        out.add(True, o.name, o.get_kind_display(), o.valid_until, "、".join(programmes))
    return out


# -- Attendance ------------------------------------------------------------------------------------


def _unexplained(data: SchoolData):
    return Attendance.objects.filter(
        session__school=data.school,
        session__date__range=(data.start, data.end),
        state=Attendance.State.ABSENT_UNEXPLAINED,
    )


def at_unexplained_parts(data: SchoolData) -> Iterable[Part]:
    rows = (
        _unexplained(data)
        .values("student__school_class_id", "session__date")
        .annotate(n=Count("id"))
        .values_list("student__school_class_id", "session__date", "n")
        .order_by()
    )
    for class_id, day, n in rows:
        yield Part("AT-UNEXPLAINED", day, class_id, n, 0)


def at_unexplained_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Day"), _("Pupil"), _("Programme"), _("Session")])
    rows = (
        _unexplained(data)
        .filter(student__school_class_id=class_id, session__date__in=days)
        .values_list("session__date", "student__name", "session__programme__name", "session__start")
        .order_by("session__date", "session__start", "student__student_no")
    )
    for day, pupil, programme, start in rows:
        out.add(True, day, pupil, programme, f"{start:%H:%M}")
    return out


# -- Questionnaires and complaints -----------------------------------------------------------------


def _survey_figures(data: SchoolData) -> list[tuple[Survey, date, dict[str, tuple[int, int]]]]:
    """Closed surveys with answers from the school, closed in the period: their close day and,
    per indicator, (respondents affirming, respondents counted) of the school's group — only when
    the survey shows that group (the surveys app's small-group suppression)."""
    out = []
    surveys = Survey.objects.filter(
        status=Survey.Status.CLOSED,
        closed_at__isnull=False,
        id__in=Response.objects.filter(school=data.school).values("survey_id"),
    ).select_related("region", "school")
    for survey in surveys.order_by("closed_at", "id"):
        day = local_date(survey.closed_at)
        if not data.start <= day <= data.end:
            continue
        tree = survey_selectors.group_tree(survey)
        node = survey_selectors.node_for(
            tree, survey, survey_selectors.Group(school_id=data.school.id)
        )
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
        out.append((survey, day, figures))
    return out


def sv_parts(data: SchoolData) -> Iterable[Part]:
    for _survey, day, figures in _survey_figures(data):
        for indicator, key in SURVEY_KEYS.items():
            if key in figures:
                yield Part(indicator, day, None, *figures[key])


def sv_records(data: SchoolData, class_id, days, indicator: str) -> Records:
    wanted, key = set(days), SURVEY_KEYS[indicator]
    out = Records([_("Questionnaire"), _("Closed on"), _("Affirming"), _("Answering")])
    for survey, day, figures in _survey_figures(data):
        if day in wanted and key in figures:
            yes, counted = figures[key]
            out.add(yes > 0, survey.title, day, yes, counted)
    return out


def _closed_complaints(data: SchoolData):
    return Complaint.objects.filter(
        school=data.school, status=ComplaintStatus.CLOSED, closed_on__range=(data.start, data.end)
    )


def sv_complaints_parts(data: SchoolData) -> Iterable[Part]:
    rows = (
        _closed_complaints(data)
        .values("closed_on")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(closed_on__lte=F("deadline"))))
        .values_list("closed_on", "on_time", "n")
        .order_by()
    )
    for day, on_time, n in rows:
        yield Part("SV-COMPLAINTS-ON-TIME", day, None, on_time, n)


def sv_complaints_records(data: SchoolData, class_id, days) -> Records:
    out = Records([_("Case"), _("Category"), _("Filed on"), _("Deadline"), _("Closed on")])
    rows = _closed_complaints(data).filter(closed_on__in=days).order_by("closed_on", "id")
    for c in rows:
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

# indicator → the formula giving its parts (a formula may give several indicators' parts).
PARTS: dict[str, Callable[[SchoolData], Iterable[Part]]] = {
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


def parts(data: SchoolData) -> list[Part]:
    """Every indicator's parts for the school and period."""
    return [p for formula in dict.fromkeys(PARTS.values()) for p in formula(data)]


def records(data: SchoolData, indicator: str, class_id: int | None, days: list[date]) -> Records:
    """The rows behind the figure of a class (or of the school) over the given days."""
    return RECORDS[indicator](data, class_id, days)
