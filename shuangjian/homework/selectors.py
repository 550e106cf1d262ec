"""Reads for homework: the day's budget, notices, week grids, compliance figures (HW-02 … HW-08)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shuangjian.org.cache import bump, cached
from shuangjian.org.models import Region, School, SchoolClass, Student, Subject
from shuangjian.org.selectors import calendar_version, school_calendar
from shuangjian.rules import homework as rules
from shuangjian.rules.calendar import DayKind as NationalKind

from .models import (
    Feedback,
    FeedbackItem,
    Homework,
    HomeworkPolicy,
    HomeworkTarget,
    HomeworkTier,
    LimitOverride,
    SubjectPlan,
)

Status = Homework.Status


# -- Cache versions (issue 8): what invalidates the cached reads below ----------------------
REGION_LIMITS_VERSION = "v:limits:regions"


def limits_version(school_id: int) -> str:
    return f"v:limits:{school_id}"


def items_version(class_id: int) -> str:
    return f"v:homework:{class_id}"


def parent_pages_version(class_id: int) -> str:
    """The parents' day pages of a class: its items and its pupils' reports."""
    return f"v:parent-pages:{class_id}"


@receiver([post_save, post_delete], sender=LimitOverride)
def _limits_changed(sender, instance, **kwargs):
    bump(limits_version(instance.school_id) if instance.school_id else REGION_LIMITS_VERSION)


@receiver([post_save, post_delete], sender=Homework)
def _homework_changed(sender, instance, **kwargs):
    """Every publish, hold, approval, trim, return, withdrawal or deletion saves the item (tiers
    and targets are written in the same transaction, before the commit renews the token)."""
    bump(items_version(instance.school_class_id), parent_pages_version(instance.school_class_id))


@receiver(post_save, sender=Feedback)
def _feedback_changed(sender, instance, **kwargs):
    """A report is saved before its per-item minutes, in one transaction (submit_feedback).
    Reports are only deleted with their pupil or school, whose pages go with them (a delete
    receiver would make that cascade load and signal every report)."""
    bump(parent_pages_version(instance.school_class_id))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_kinds(school: School, start: date, end: date) -> dict[date, rules.DayKind]:
    """The homework day kind of each date: school day, weekend, statutory holiday or vacation."""
    out = {}
    for d in school_calendar(school, start, end).days:
        if d.is_school_day:
            out[d.day] = rules.DayKind.SCHOOL_DAY
        elif d.kind == NationalKind.HOLIDAY:
            out[d.day] = rules.DayKind.HOLIDAY
        elif d.label:  # a vacation of the school
            out[d.day] = rules.DayKind.VACATION
        elif d.kind == NationalKind.WEEKEND:
            out[d.day] = rules.DayKind.WEEKEND
        else:  # a working day outside any term: between terms counts as vacation
            out[d.day] = rules.DayKind.VACATION
    return out


def day_kind(school: School, day: date) -> rules.DayKind:
    return day_kinds(school, day, day)[day]


def overrides_for(school: School) -> list[rules.Override]:
    """Stricter limits set by the school or by any region above it (county, city, province);
    cached until the school's or any region's limits change."""

    def load():
        chain = Region.objects.filter(id=school.county_id).values_list(
            "id", "parent_id", "parent__parent_id"
        )
        regions = [r for r in (chain[0] if chain else ()) if r is not None]
        rows = LimitOverride.objects.filter(
            Q(school=school) | Q(region_id__in=regions)
        ).select_related("region", "school")
        return [
            rules.Override(
                minutes=o.minutes,
                origin=str(o.school or o.region),
                grades=frozenset(range(o.grade_from, o.grade_to + 1)),
                day_kinds=frozenset({rules.DayKind(o.day_kind)}),
            )
            for o in rows
        ]

    versions = [limits_version(school.id), REGION_LIMITS_VERSION]
    return cached(f"limits:{school.id}", versions, load)


def class_limit(klass: SchoolClass, kind: rules.DayKind, overrides=None) -> rules.Limit:
    if overrides is None:
        overrides = overrides_for(klass.school)
    return rules.limit_for(klass.grade, kind, overrides)


def over_limit_policy(school: School) -> str:
    policy = HomeworkPolicy.objects.filter(school=school).first()
    return policy.over_limit if policy else HomeworkPolicy.OverLimit.HOLD


def items_for_day(
    klass: SchoolClass, day: date, statuses=(Status.PUBLISHED,)
) -> QuerySet[Homework]:
    tiers = HomeworkTier.objects.prefetch_related("pupils")
    return (
        Homework.objects.filter(school_class=klass, date=day, status__in=statuses)
        .select_related("subject", "teacher")
        .defer("teacher__password")  # the items are cached: no password hash in the cache
        .prefetch_related(Prefetch("tiers", queryset=tiers), "targets")
        .order_by("subject_id", "id")
    )


def as_rule_item(hw: Homework) -> rules.Item:
    """A stored item as the load calculation sees it (uses prefetched tiers and targets)."""
    tiers = list(hw.tiers.all())
    targets = [t.student_id for t in hw.targets.all()]
    return rules.Item(
        key=hw.id,
        kind=rules.Kind(hw.kind),
        minutes=hw.minutes,
        elastic=hw.elastic,
        tiers={t.id: t.minutes for t in tiers},
        tier_of={p.id: t.id for t in tiers for p in t.pupils.all()},
        only_for=frozenset(targets) if hw.personal else None,
    )


ITEM_COLUMNS = ("id", "kind", "minutes", "elastic", "personal", "tiers", "tiers__minutes")


def rule_items_for_day(klass: SchoolClass, day: date) -> list[rules.Item]:
    """The day's published items as the load calculation sees them, read from the database in
    one query (two when an item is personal).  The publish check runs it under the class lock
    and never reads the cache, so an item committed a moment ago is always counted."""
    rows = Homework.objects.filter(
        school_class=klass, date=day, status=Status.PUBLISHED
    ).values_list(*ITEM_COLUMNS, "tiers__pupils")
    return _rule_items(rows)


def publish_reading(
    klass: SchoolClass, day: date, subject: Subject
) -> tuple[list[rules.Item], list[str]]:
    """What the publish check reads under the class lock, in one query (two when an item is
    personal): the day's published items, as `rule_items_for_day` gives them, and what the
    subject set the class this week, withdrawn items aside (the repeat check, HW-04)."""
    week = week_start(day)
    of_day = Q(date=day, status=Status.PUBLISHED)
    of_week = Q(subject=subject, date__range=(week, week + timedelta(days=6))) & ~Q(
        status=Status.WITHDRAWN
    )
    rows = (
        Homework.objects.filter(school_class=klass)
        .filter(of_day | of_week)
        .values_list(*ITEM_COLUMNS, "tiers__pupils", "date", "status", "subject_id", "content")
    )
    items, contents = [], {}
    for *item, pupil, date_, status, subject_id, content in rows:
        if date_ == day and status == Status.PUBLISHED:
            items.append((*item, pupil))
        if subject_id == subject.id and status != Status.WITHDRAWN:
            contents[item[0]] = content
    return _rule_items(items), list(contents.values())


def _rule_items(rows) -> list[rules.Item]:
    """Items from (ITEM_COLUMNS…, tier pupil) rows: one row per item, tier and tier pupil."""
    items: dict[int, dict] = {}
    for hw_id, kind, minutes, elastic, personal, tier, tier_minutes, pupil in rows:
        item = items.setdefault(
            hw_id,
            {"kind": kind, "minutes": minutes, "elastic": elastic, "personal": personal}
            | {"tiers": {}, "tier_of": {}},
        )
        if tier is not None:
            item["tiers"][tier] = tier_minutes
        if pupil is not None:
            item["tier_of"][pupil] = tier
    personal = [hw_id for hw_id, item in items.items() if item["personal"]]
    targets: dict[int, set[int]] = defaultdict(set)
    if personal:
        for hw_id, student_id in HomeworkTarget.objects.filter(
            homework_id__in=personal
        ).values_list("homework_id", "student_id"):
            targets[hw_id].add(student_id)
    return [
        rules.Item(
            key=hw_id,
            kind=rules.Kind(item["kind"]),
            minutes=item["minutes"],
            elastic=item["elastic"],
            tiers=item["tiers"],
            tier_of=item["tier_of"],
            only_for=frozenset(targets[hw_id]) if item["personal"] else None,
        )
        for hw_id, item in items.items()
    ]


def pupil_ids(klass: SchoolClass) -> list[int]:
    return list(
        Student.objects.filter(school_class=klass, active=True).values_list("id", flat=True)
    )


@dataclass
class Budget:
    """What a class's day looks like to a teacher about to publish (HW-03)."""

    klass: SchoolClass
    day: date
    kind: rules.DayKind
    limit: rules.Limit
    used: int  # heaviest written load of any pupil from published items
    by_subject: dict[str, int] = field(default_factory=dict)
    plan: dict[str, int] = field(default_factory=dict)
    pending: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.limit.minutes is None else max(self.limit.minutes - self.used, 0)

    @property
    def over(self) -> bool:
        return self.limit.minutes is not None and self.used > self.limit.minutes


def budget(klass: SchoolClass, day: date) -> Budget:
    kind = day_kind(klass.school, day)
    items = list(items_for_day(klass, day, (Status.PUBLISHED, Status.PENDING)))
    published = [i for i in items if i.status == Status.PUBLISHED]
    rule_items = [as_rule_item(i) for i in published]
    by_subject: dict[str, int] = defaultdict(int)
    for hw, item in zip(published, rule_items, strict=True):
        by_subject[hw.subject.name] += item.max_minutes()
    plan = {
        p.subject.name: p.minutes
        for p in SubjectPlan.objects.filter(school_class=klass).select_related("subject")
    }
    return Budget(
        klass=klass,
        day=day,
        kind=kind,
        limit=class_limit(klass, kind),
        used=rules.heaviest_load(rule_items, pupil_ids(klass)),
        by_subject=dict(by_subject),
        plan=plan,
        pending=len(items) - len(published),
    )


# -- Notices and weeks --------------------------------------------------------------------


@dataclass
class DayNotice:
    day: date
    kind: rules.DayKind
    limit: rules.Limit
    items: list[Homework]
    total: int  # heaviest written load


def _published_day(klass: SchoolClass, day: date):
    """The kind of day, binding limit and published items of a class's day, cached until an
    item of the class, the school's calendar or a limit changes (one cache read when warm)."""

    def load():
        kind = day_kind(klass.school, day)
        return kind, class_limit(klass, kind), list(items_for_day(klass, day))

    versions = [
        items_version(klass.id),
        calendar_version(klass.school_id),
        limits_version(klass.school_id),
        REGION_LIMITS_VERSION,
    ]
    return cached(f"notice:{klass.id}:{day.isoformat()}", versions, load)


def notice(klass: SchoolClass, day: date) -> DayNotice:
    """The public homework notice (作业公示) of a class for a day (HW-04)."""
    kind, limit, items = _published_day(klass, day)
    total = rules.heaviest_load([as_rule_item(i) for i in items], pupil_ids(klass))
    return DayNotice(day, kind, limit, items, total)


@dataclass
class ChildNotice:
    day: date
    kind: rules.DayKind
    limit: rules.Limit
    items: list[dict]  # {"hw", "tier" (the child's, or None), "minutes" shown, "counts"}

    @property
    def total(self) -> int:
        """The written minutes of the child's day."""
        return sum(i["counts"] for i in self.items)


def child_notice(child: Student, day: date) -> ChildNotice:
    """The class notice as one pupil's parent sees it (HW-04): their own tier, and personal
    items only when they are for this child.  The caller has checked access to the child."""
    klass = child.school_class
    klass.school = child.school
    kind, limit, items = _published_day(klass, day)
    out = []
    for hw in items:
        item = as_rule_item(hw)
        if item.only_for is not None and child.id not in item.only_for:
            continue
        tiers = list(hw.tiers.all())
        tier = next((t for t in tiers if any(p.id == child.id for p in t.pupils.all())), None)
        if tier is not None:
            minutes = tier.minutes
        else:
            minutes = max(t.minutes for t in tiers) if tiers else hw.minutes
        out.append(
            {"hw": hw, "tier": tier, "minutes": minutes, "counts": item.minutes_for(child.id)}
        )
    return ChildNotice(day, kind, limit, out)


def child_day_versions(child: Student) -> list[str]:
    """What a child's day page shows depends on: the class's items and reports, the school's
    calendar and the limits."""
    return [
        parent_pages_version(child.school_class_id),
        calendar_version(child.school_id),
        limits_version(child.school_id),
        REGION_LIMITS_VERSION,
    ]


def saved_feedback(child: Student, day: date) -> Feedback | None:
    return Feedback.objects.filter(student=child, date=day).prefetch_related("items").first()


def week_notices(klass: SchoolClass, start: date) -> list[DayNotice]:
    """Seven days of notices in few queries (the head teacher's week at a glance)."""
    days = [start + timedelta(n) for n in range(7)]
    kinds = day_kinds(klass.school, days[0], days[-1])
    overrides = overrides_for(klass.school)
    pupils = pupil_ids(klass)
    tiers = HomeworkTier.objects.prefetch_related("pupils")
    rows = (
        Homework.objects.filter(
            school_class=klass,
            date__range=(days[0], days[-1]),
            status__in=[Status.PUBLISHED, Status.PENDING],
        )
        .select_related("subject", "teacher")
        .prefetch_related(Prefetch("tiers", queryset=tiers), "targets")
        .order_by("date", "subject_id", "id")
    )
    by_day: dict[date, list[Homework]] = defaultdict(list)
    for hw in rows:
        by_day[hw.date].append(hw)
    out = []
    for d in days:
        items = by_day[d]
        published = [as_rule_item(i) for i in items if i.status == Status.PUBLISHED]
        out.append(
            DayNotice(
                d,
                kinds[d],
                rules.limit_for(klass.grade, kinds[d], overrides),
                items,
                rules.heaviest_load(published, pupils),
            )
        )
    return out


@dataclass
class GradeWeekRow:
    klass: SchoolClass
    totals: list[int]  # per day: heaviest planned written minutes (published items)
    limits: list[int | None]
    repeated: int
    pending: int


def grade_week(school: School, grade: int, start: date) -> list[GradeWeekRow]:
    """The academic office's view: every class of a grade, seven days, totals against limits."""
    days = [start + timedelta(n) for n in range(7)]
    kinds = day_kinds(school, days[0], days[-1])
    overrides = overrides_for(school)
    classes = list(SchoolClass.objects.filter(school=school, grade=grade).order_by("number"))
    tiers = HomeworkTier.objects.prefetch_related("pupils")
    rows = Homework.objects.filter(
        school_class__in=classes,
        date__range=(days[0], days[-1]),
        status__in=[Status.PUBLISHED, Status.PENDING],
    ).prefetch_related(Prefetch("tiers", queryset=tiers), "targets")
    pupils_by_class: dict[int, list[int]] = defaultdict(list)
    for sid, cid in Student.objects.filter(school_class__in=classes, active=True).values_list(
        "id", "school_class_id"
    ):
        pupils_by_class[cid].append(sid)
    grid: dict[tuple[int, date], list[rules.Item]] = defaultdict(list)
    repeated: dict[int, int] = defaultdict(int)
    pending: dict[int, int] = defaultdict(int)
    for hw in rows:
        if hw.status == Status.PENDING:
            pending[hw.school_class_id] += 1
            continue
        grid[(hw.school_class_id, hw.date)].append(as_rule_item(hw))
        repeated[hw.school_class_id] += hw.repeated
    out = []
    for c in classes:
        out.append(
            GradeWeekRow(
                klass=c,
                totals=[rules.heaviest_load(grid[(c.id, d)], pupils_by_class[c.id]) for d in days],
                limits=[rules.limit_for(grade, kinds[d], overrides).minutes for d in days],
                repeated=repeated[c.id],
                pending=pending[c.id],
            )
        )
    return out


# -- Feedback figures (HW-06) --------------------------------------------------------------


@dataclass
class Compliance:
    label: str
    pupil_days: int
    within: int
    mostly_at_school: int

    @property
    def share(self) -> float | None:
        return self.within / self.pupil_days if self.pupil_days else None


def _limits_for_feedback(school: School, start: date, end: date):
    kinds = day_kinds(school, start, end)
    overrides = overrides_for(school)
    return lambda grade, day: rules.limit_for(grade, kinds[day], overrides).minutes


def compliance(school: School, start: date, end: date, by: str = "class") -> list[Compliance]:
    """Share of reported pupil-days within the limit, by class, grade, week or the whole school.

    The denominator is pupil-days with a report; the limit is the class's binding limit that day.
    """
    limit_of = _limits_for_feedback(school, start, end)
    rows = Feedback.objects.filter(
        school_class__school=school, date__range=(start, end)
    ).values_list(
        "school_class_id",
        "school_class__grade",
        "school_class__number",
        "date",
        "minutes",
        "mostly_at_school",
    )
    groups: dict[object, Compliance] = {}
    from shuangjian.org.grades import class_label, grade_label

    for _class_id, grade, number, day, minutes, at_school in rows:
        if by == "class":
            key, label = (grade, number), class_label(grade, number)
        elif by == "grade":
            key, label = grade, grade_label(grade)
        elif by == "week":
            ws = week_start(day)
            key, label = ws, ws.isoformat()
        else:
            key, label = "school", school.name
        g = groups.setdefault(key, Compliance(label, 0, 0, 0))
        limit = limit_of(grade, day)
        g.pupil_days += 1
        g.within += limit is None or minutes <= limit
        g.mostly_at_school += at_school
    return [groups[k] for k in sorted(groups, key=str)]


@dataclass
class Gap:
    subject: str
    teacher: str
    items: int
    estimated: float
    actual: float

    @property
    def gap(self) -> float:
        return self.actual - self.estimated


def estimate_gaps(school: School, start: date, end: date) -> list[Gap]:
    """Estimated vs reported minutes per subject and teacher, from itemised feedback."""
    rows = (
        FeedbackItem.objects.filter(homework__school=school, homework__date__range=(start, end))
        .values(
            "homework__subject__name",
            "homework__teacher__display_name",
            "homework__teacher__username",
        )
        .annotate(n=Count("id"), est=Avg("homework__minutes"), act=Avg("minutes"))
        .order_by("homework__subject__name", "homework__teacher__username")
    )
    return [
        Gap(
            r["homework__subject__name"],
            r["homework__teacher__display_name"] or r["homework__teacher__username"],
            r["n"],
            float(r["est"]),
            float(r["act"]),
        )
        for r in rows
    ]


def over_limit_streak(
    klass: SchoolClass, end: date, run: int = 3
) -> list[tuple[date, float, int]] | None:
    """The last `run` school days up to `end`, if on each the pupils' mean reported written
    minutes exceeded the limit; otherwise None.  Returns (day, mean minutes, limit) rows."""
    start = end - timedelta(days=21)
    kinds = day_kinds(klass.school, start, end)
    school_days = sorted(d for d, k in kinds.items() if k == rules.DayKind.SCHOOL_DAY)[-run:]
    if len(school_days) < run or school_days[-1] != end:
        return None
    means = dict(
        Feedback.objects.filter(school_class=klass, date__in=school_days)
        .values_list("date")
        .annotate(m=Avg("minutes"))
        .values_list("date", "m")
    )
    overrides = overrides_for(klass.school)
    out = []
    for d in school_days:
        limit = rules.limit_for(klass.grade, kinds[d], overrides).minutes
        mean = means.get(d)
        if limit is None or mean is None or mean <= limit:
            return None
        out.append((d, round(float(mean), 1), limit))
    return out


def grading_disclosure(school, start: date, end: date, teacher=None):
    """Published items per class and teacher with their grading records (HW-07); `short`
    marks primary classes where not every item was fully graded (全批全改 is required there)."""
    qs = Homework.objects.filter(school=school, status=Status.PUBLISHED, date__range=(start, end))
    if teacher is not None:
        qs = qs.filter(teacher=teacher)
    rows = (
        qs.values(
            "school_class__grade",
            "school_class__number",
            "teacher__display_name",
            "teacher__username",
        )
        .annotate(
            items=Count("id"),
            graded=Count("grading"),
            full=Count("grading", filter=Q(grading__full=True)),
            face_to_face=Coalesce(Sum("grading__face_to_face"), 0),
        )
        .order_by("school_class__grade", "school_class__number", "teacher__username")
    )
    return [
        {
            **r,
            "klass": SchoolClass(grade=r["school_class__grade"], number=r["school_class__number"]),
            "teacher": r["teacher__display_name"] or r["teacher__username"],
            "short": r["school_class__grade"] <= 6 and r["full"] < r["items"],
        }
        for r in rows
    ]


@dataclass
class LimitRow:
    grade: int
    limits: list[rules.Limit]  # one per rules.DayKind, in its order


def limits_table(school: School) -> list[LimitRow]:
    """The binding daily limit of every grade of the school on every kind of day (HW-02)."""
    overrides = overrides_for(school)
    return [
        LimitRow(grade, [rules.limit_for(grade, kind, overrides) for kind in rules.DayKind])
        for grade in school.grade_range
    ]


def region_overrides(region: Region) -> QuerySet[LimitOverride]:
    return LimitOverride.objects.filter(region=region).order_by("grade_from", "day_kind")


def own_item(teacher, klass: SchoolClass, homework_id: int | None) -> Homework | None:
    """One of the teacher's own items in this class (for copying), or None."""
    if homework_id is None:
        return None
    return Homework.objects.filter(id=homework_id, school_class=klass, teacher=teacher).first()


def recent_own_items(teacher, klass: SchoolClass, day: date, days: int = 14) -> QuerySet[Homework]:
    """The teacher's items of the two weeks before `day`: copy last week's instead of retyping."""
    return (
        Homework.objects.filter(
            school_class=klass, teacher=teacher, date__range=(day - timedelta(days=days), day)
        )
        .exclude(status=Homework.Status.WITHDRAWN)
        .select_related("subject")
        .order_by("-date", "-id")[:20]
    )
