"""Reads for complaints: the bureau's lists and cases, the school's facts-only view, the public
tracking view, statistics and the exposure board (SV-03, SV-04).

Three audiences, three shapes:
  - the bureau reads Complaint rows (everything, including who filed);
  - the school gets `SchoolCase` dataclasses built from an explicit list of fields — never the
    real-name flag, the name, the contact, the tracking code, the attachments or any note the
    complainant wrote;
  - the complainant (whoever holds the code) gets `PublicCase`: the facts and the steps meant
    for them, with no officer's or school staff's name.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shuangjian.org.models import Region, RegionRole, School, User
from shuangjian.rules import complaints as rules

from .models import Category, Complaint, ComplaintEvent, ExposureCase, Finding, Status
from .services import is_working_day, overdue_q

Side = ComplaintEvent.Side

# The public timeline: which steps the complainant sees, and under what words.
PUBLIC_LABELS = {
    "filed": _("Complaint received"),
    "assign": _("Assigned to a case officer"),
    "request_verification": _("Verification started"),
    "school_verification": _("Verification report received"),
    "finding": _("Finding recorded"),
    "require_rectification": _("Rectification required"),
    "rectification": _("Rectification reported"),
    "close": _("Closed"),
    "pause": _("The bureau asks you a question"),
    "complainant_reply": _("Your answer"),
    "resume": _("Handling resumed"),
    "escalate": _("Escalated to the higher bureau"),
    "special_supervision": _("Special supervision (挂牌督办)"),
}
# …and whose notes they may read: the bureau's questions and reply, and their own words.
PUBLIC_NOTES = {"pause", "complainant_reply", "close"}
# The school's view of the bureau's steps: its requests, and the school's own reports.
SCHOOL_ACTIONS = {"request_verification", "require_rectification"}
SCHOOL_OWN = {"school_verification", "rectification"}

BUREAU_LABELS = {
    **PUBLIC_LABELS,
    "complainant_reply": _("The complainant answered"),
    "pause": _("Question to the complainant (clock stopped)"),
    "exposure": _("Published on the exposure board"),
}


def in_region(region: Region) -> Q:
    """Complaints about schools in the region or below it (county, city, province)."""
    return Q(county=region) | Q(county__parent=region) | Q(county__parent__parent=region)


# -- Bureau ------------------------------------------------------------------------------------


def region_complaints(
    region: Region,
    *,
    today: date,
    status: str = "",
    category: str = "",
    school_id: int | None = None,
    overdue: bool = False,
    escalated: bool = False,
) -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(in_region(region)).select_related("school", "owner", "county")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if school_id:
        qs = qs.filter(school_id=school_id)
    if overdue:
        qs = qs.filter(overdue_q(today))
    if escalated:
        qs = qs.filter(escalated_to__isnull=False)
    return qs.order_by("-filed_at", "-id")


def schools_in(region: Region) -> QuerySet[School]:
    return School.objects.filter(
        Q(county=region) | Q(county__parent=region) | Q(county__parent__parent=region)
    ).order_by("code")


def bureau_case(region: Region, complaint_id: int) -> Complaint | None:
    """A case of the region with its timeline, attachments and pauses; None when not there."""
    return (
        Complaint.objects.filter(in_region(region), id=complaint_id)
        .select_related("school", "county__parent__parent", "owner", "escalated_to")
        .prefetch_related(
            Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor")),
            "attachments",
            "pauses",
            "exposures",
        )
        .first()
    )


def possible_owners(complaint: Complaint) -> QuerySet[User]:
    """Bureau officers of the complaint's county or a region above it."""
    return (
        User.objects.filter(
            region_roles__region__in=complaint.county.ancestors_and_self(),
            region_roles__kind=RegionRole.Kind.OFFICER,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    label: str
    side: str
    actor: str
    note: str
    from_status: str
    to_status: str


def bureau_timeline(c: Complaint) -> list[TimelineEntry]:
    status = {k: str(v) for k, v in Status.choices}
    return [
        TimelineEntry(
            e.at,
            e.action,
            str(BUREAU_LABELS.get(e.action, e.action)),
            e.side,
            str(e.actor) if e.actor else "",
            e.note,
            status.get(e.from_status, ""),
            status.get(e.to_status, ""),
        )
        for e in c.events.all()
    ]


# -- School ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    at: datetime
    action: str  # request_verification / require_rectification / school_verification / …
    text: str
    from_school: bool


@dataclass(frozen=True)
class SchoolCase:
    """A case as the school complained about sees it: the facts and the bureau's requests."""

    id: int
    category: str
    category_label: str
    facts: str  # the bureau's reviewed copy of the description
    filed_on: date
    deadline: date
    status: str
    status_label: str
    finding_label: str
    requests: list[Request] = field(default_factory=list)
    school_report: str = ""
    rectification_required: str = ""
    rectification: str = ""

    @property
    def awaits_verification(self) -> bool:
        return self.status == Status.VERIFYING

    @property
    def awaits_rectification(self) -> bool:
        return self.status == Status.RECTIFYING


SCHOOL_FIELDS = (
    "id",
    "category",
    "description_for_school",
    "filed_on",
    "deadline",
    "status",
    "finding",
    "school_report",
    "rectification_required",
    "rectification",
)


def school_cases(school: School, *, awaiting_only: bool = False) -> list[SchoolCase]:
    """Cases the bureau has brought to the school (verification asked), facts only.

    Only the columns in SCHOOL_FIELDS are read, and only the bureau's requests and the school's
    own reports from the timeline: nothing that says who filed can reach the school's pages.
    """
    statuses = [Status.VERIFYING, Status.RECTIFYING]
    if not awaiting_only:
        statuses += [Status.FINDING, Status.CLOSED]
    rows = list(
        Complaint.objects.filter(school=school, status__in=statuses)
        .filter(events__action="request_verification")
        .distinct()
        .order_by("deadline", "id")
        .values(*SCHOOL_FIELDS)
    )
    ids = [r["id"] for r in rows]
    requests: dict[int, list[Request]] = {i: [] for i in ids}
    events = (
        ComplaintEvent.objects.filter(complaint_id__in=ids, action__in=SCHOOL_ACTIONS | SCHOOL_OWN)
        .order_by("at", "id")
        .values("complaint_id", "at", "action", "note", "side")
    )
    for e in events:
        if e["side"] in (Side.BUREAU, Side.SCHOOL):
            requests[e["complaint_id"]].append(
                Request(e["at"], e["action"], e["note"], e["side"] == Side.SCHOOL)
            )
    labels_c, labels_s, labels_f = (
        dict(Category.choices),
        dict(Status.choices),
        dict(Finding.choices),
    )
    return [
        SchoolCase(
            id=r["id"],
            category=r["category"],
            category_label=str(labels_c[r["category"]]),
            facts=r["description_for_school"],
            filed_on=r["filed_on"],
            deadline=r["deadline"],
            status=r["status"],
            status_label=str(labels_s[r["status"]]),
            finding_label=str(labels_f.get(r["finding"], "")),
            requests=requests[r["id"]],
            school_report=r["school_report"],
            rectification_required=r["rectification_required"],
            rectification=r["rectification"],
        )
        for r in rows
    ]


def school_case_for_action(school: School, complaint_id: int | None) -> Complaint | None:
    """The row a school's answer is about, when it is the school's own case brought to it."""
    if complaint_id is None:
        return None
    return (
        Complaint.objects.filter(school=school, id=complaint_id)
        .filter(events__action="request_verification")
        .distinct()
        .first()
    )


# -- Public (tracking code) ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    action: str
    label: str
    note: str


@dataclass(frozen=True)
class PublicCase:
    category: str
    category_label: str
    school: str
    filed_on: date
    deadline: date
    status: str
    status_label: str
    paused: bool
    question: str  # the bureau's open question while the case waits for the complainant
    finding: str
    finding_label: str
    reply: str
    closed_on: date | None
    escalated: bool
    timeline: list[PublicStep]

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


def public_case(c: Complaint) -> PublicCase:
    steps, question = [], ""
    for e in c.events.order_by("at", "id"):
        if e.action not in PUBLIC_LABELS:
            continue
        note = e.note if e.action in PUBLIC_NOTES else ""
        if e.action == "finding":
            note = str(dict(Finding.choices).get(e.detail.get("finding", ""), ""))
        if e.action == "special_supervision" and not e.detail.get("on"):
            continue
        if e.action == "pause":
            question = e.note
        steps.append(PublicStep(e.at, e.action, str(PUBLIC_LABELS[e.action]), note))
    return PublicCase(
        category=c.category,
        category_label=str(c.get_category_display()),
        school=c.school.name,
        filed_on=c.filed_on,
        deadline=c.deadline,
        status=c.status,
        status_label=str(c.get_status_display()),
        paused=c.paused_since is not None,
        question=question if c.paused_since else "",
        finding=c.finding,
        finding_label=str(c.get_finding_display()) if c.finding else "",
        reply=c.reply,
        closed_on=c.closed_on,
        escalated=c.escalated_to_id is not None,
        timeline=steps,
    )


# -- Statistics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    total: int
    open: int
    closed: int
    overdue: int
    substantiated: int


@dataclass(frozen=True)
class Stats:
    start: date
    end: date
    total: int
    open: int
    closed: int
    overdue: int
    escalated: int
    supervised: int
    median_days_to_close: float | None
    closed_on_time: int
    on_time_share: float | None
    by_category: list[CountRow]
    by_school: list[CountRow]


def _counts(today: date):
    return {
        "total": Count("id"),
        "open": Count("id", filter=~Q(status=Status.CLOSED)),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        "overdue": Count("id", filter=overdue_q(today)),
        "substantiated": Count("id", filter=Q(finding__in=list(rules.PUBLISHABLE))),
    }


def region_stats(region: Region, *, start: date, end: date, today: date) -> Stats:
    """Cases filed from start to end: by category, by school, time to close, share on time."""
    qs = Complaint.objects.filter(in_region(region), filed_on__gte=start, filed_on__lte=end)
    labels = dict(Category.choices)
    by_cat = {r["category"]: r for r in qs.values("category").annotate(**_counts(today)).order_by()}
    by_category = [
        CountRow(
            key,
            str(labels[key]),
            **{k: by_cat.get(key, {}).get(k, 0) for k in _counts(today)},
        )
        for key in Category.values
    ]
    by_school = [
        CountRow(str(r["school_id"]), r["school__name"], **{k: r[k] for k in _counts(today)})
        for r in qs.values("school_id", "school__name")
        .annotate(**_counts(today))
        .order_by("-total", "school__name")
    ]
    closed = list(qs.filter(status=Status.CLOSED).values_list("filed_on", "closed_on", "deadline"))
    days = [(c - f).days for f, c, _d in closed]
    on_time = sum(1 for _f, c, d in closed if c <= d)
    totals = qs.aggregate(
        **_counts(today),
        escalated=Count("id", filter=Q(escalated_to__isnull=False)),
        supervised=Count("id", filter=Q(special_supervision=True)),
    )
    return Stats(
        start=start,
        end=end,
        total=totals["total"],
        open=totals["open"],
        closed=totals["closed"],
        overdue=totals["overdue"],
        escalated=totals["escalated"],
        supervised=totals["supervised"],
        median_days_to_close=float(median(days)) if days else None,
        closed_on_time=on_time,
        on_time_share=on_time / len(closed) if closed else None,
        by_category=by_category,
        by_school=by_school,
    )


def working_days_left(c: Complaint, today: date) -> int:
    return rules.working_days_left(c.deadline, today, is_working_day)


# -- Exposure board --------------------------------------------------------------------------


def exposure_cases(region: Region | None = None) -> QuerySet[ExposureCase]:
    """Published cases, newest first: all of them, or those of a region and below."""
    qs = ExposureCase.objects.only(
        "id", "region_id", "school_name", "category", "title", "summary", "published_at"
    )
    if region is not None:
        qs = qs.filter(
            Q(region=region) | Q(region__parent=region) | Q(region__parent__parent=region)
        )
    return qs.order_by("-published_at", "-id")


def filing_schools() -> list[tuple[str, list[tuple[int, str]]]]:
    """Schools grouped by county, for the public filing form."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for s in School.objects.select_related("county").order_by("county__code", "code"):
        groups.setdefault(s.county.name, []).append((s.id, s.name))
    return list(groups.items())
