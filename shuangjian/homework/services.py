"""Writes for homework: publish, hold, approve, return, feedback, grading, audit (HW-01 … HW-08)."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuangjian.errors import RuleViolation
from shuangjian.notify.services import send
from shuangjian.org.grades import class_label
from shuangjian.org.models import Role, SchoolClass, StaffRole, Student, Subject, User
from shuangjian.rules import homework as rules

from . import selectors
from .models import (
    MAX_MINUTES,
    Alert,
    ClassWeekAudit,
    Feedback,
    FeedbackItem,
    Grading,
    Homework,
    HomeworkEvent,
    HomeworkPolicy,
    HomeworkTarget,
    HomeworkTier,
    LimitOverride,
    RulesDocument,
    SubjectPlan,
)

Status = Homework.Status
PUBLISH_AHEAD_DAYS = 14
FEEDBACK_BACK_DAYS = 7

PRACTICE_MESSAGES = {
    "parent_homework": gettext_lazy(
        "Homework may not be set for parents, nor may parents be asked to check or mark it."
    ),
    "phone_required": gettext_lazy(
        "Homework may not be set by phone or need a phone, an app or a chat group to do."
    ),
    "check_in": gettext_lazy("Check-in (打卡) homework is not allowed."),
    "self_grading": gettext_lazy("Pupils may not be asked to mark their own homework."),
    "punitive": gettext_lazy("Punitive or mechanically repetitive homework is not allowed."),
}


@dataclass(frozen=True)
class TierSpec:
    name: str
    minutes: int
    pupil_ids: tuple[int, ...] = ()


@dataclass
class PublishResult:
    homework: Homework
    total: int  # the heaviest pupil load of the day with this item (if it is published)
    limit: int | None


def _event(hw: Homework, actor: User | None, action: str, note: str = "", **detail) -> None:
    HomeworkEvent.objects.create(homework=hw, actor=actor, action=action, note=note, detail=detail)


def _check_minutes(value: int, field: str) -> None:
    if not 1 <= value <= MAX_MINUTES:
        raise RuleViolation(
            _("Estimated minutes must be between 1 and %(max)d.") % {"max": MAX_MINUTES},
            code="invalid_minutes",
            rule="HW-01",
            field=field,
            minutes=value,
        )


def _check_practices(content: str, confirm_not_punitive: bool) -> None:
    found = rules.forbidden_practices(content)
    if found:
        v = found[0]
        raise RuleViolation(
            _("%(rule)s: %(message)s (“%(phrase)s”)")
            % {"rule": v.rule, "message": PRACTICE_MESSAGES[v.code], "phrase": v.phrase},
            code="forbidden_practice",
            rule=v.rule,
            field="content",
            practice=v.code,
            phrase=v.phrase,
        )
    if not confirm_not_punitive:
        raise RuleViolation(
            _("Confirm that this homework is neither punitive nor mechanically repetitive."),
            code="forbidden_practice",
            rule="HW-05",
            field="confirm_not_punitive",
            practice="punitive",
        )


def _rule_item(kind: str, minutes: int, elastic: bool, tiers: list[TierSpec], personal: list[int]):
    return rules.Item(
        key="new",
        kind=rules.Kind(kind),
        minutes=minutes,
        elastic=elastic,
        tiers={t.name: t.minutes for t in tiers},
        tier_of={p: t.name for t in tiers for p in t.pupil_ids},
        only_for=frozenset(personal) if personal else None,
    )


def _over_limit(klass: SchoolClass, day: date, limit: int, used: int, minutes: int, total: int):
    return RuleViolation(
        _(
            "%(cls)s %(day)s: written homework would total %(total)d minutes, over the limit of "
            "%(limit)d (already %(used)d, this item %(minutes)d)."
        )
        % {
            "cls": class_label(klass.grade, klass.number),
            "day": day.isoformat(),
            "total": total,
            "limit": limit,
            "used": used,
            "minutes": minutes,
        },
        code="daily_limit_exceeded",
        rule="HW-02",
        limit=limit,
        used=used,
        minutes=minutes,
        total=total,
    )


def _loads(
    klass: SchoolClass, items: list[rules.Item], extra: rules.Item, pupils: set[int] | None
) -> tuple[int, int]:
    """The heaviest pupil load from the day's published items, without and with `extra`.  When
    no item is tiered or personal every pupil carries the same load, and the class's pupils are
    not needed (`pupils` None: not loaded yet)."""
    if any(i.tiers or i.only_for is not None for i in [*items, extra]):
        pupils = pupils if pupils is not None else set(selectors.pupil_ids(klass))
    else:
        pupils = set()  # rules.heaviest_load: the same total as for any one pupil
    ordered = sorted(pupils)
    return rules.heaviest_load(items, ordered), rules.heaviest_load([*items, extra], ordered)


@transaction.atomic
def publish_homework(
    *,
    teacher: User,
    klass: SchoolClass,
    subject: Subject,
    day: date,
    content: str,
    kind: str,
    minutes: int,
    confirm_not_punitive: bool,
    elastic: bool = False,
    tiers: list[TierSpec] | None = None,
    personal_pupil_ids: list[int] | None = None,
    today: date | None = None,
) -> PublishResult:
    """Publish an item, or hold it for the head teacher, or refuse it with the rule (HW-01–05).

    The class row is locked for the check, so two teachers publishing for the same class at the
    same moment are checked one after the other and cannot together pass the limit.
    """
    tiers = tiers or []
    personal = sorted(set(personal_pupil_ids or []))
    today = today or timezone.localdate()
    content = (content or "").strip()
    if not content:
        raise RuleViolation(
            _("Describe the homework."), code="invalid", rule="HW-01", field="content"
        )
    if len(content) > 2000:
        raise RuleViolation(
            _("The description is longer than 2,000 characters."),
            code="invalid",
            rule="HW-01",
            field="content",
        )
    if kind not in Homework.Kind.values:
        raise RuleViolation(_("Unknown homework kind."), code="invalid", rule="HW-01", field="kind")
    if subject.school_id != klass.school_id:
        raise RuleViolation(_("Unknown subject."), code="invalid", rule="HW-01", field="subject")
    if not today <= day <= today + timedelta(days=PUBLISH_AHEAD_DAYS):
        raise RuleViolation(
            _("Homework can be published for today and up to %(n)d days ahead.")
            % {"n": PUBLISH_AHEAD_DAYS},
            code="invalid_date",
            rule="HW-01",
            field="day",
        )
    _check_minutes(minutes, "minutes")
    # The class's pupils matter only when some item differs between pupils (tiers, personal).
    class_pupils = set(selectors.pupil_ids(klass)) if tiers or personal else None
    names = [t.name.strip() for t in tiers]
    if len(set(names)) != len(names) or any(not n or len(n) > 20 for n in names):
        raise RuleViolation(
            _("Each tier needs its own short name."), code="invalid", rule="HW-01", field="tiers"
        )
    placed: set[int] = set()
    for t in tiers:
        _check_minutes(t.minutes, "tiers")
        if not set(t.pupil_ids) <= class_pupils or placed & set(t.pupil_ids):
            raise RuleViolation(
                _("A tier names a pupil who is not in this class, or a pupil is in two tiers."),
                code="invalid",
                rule="HW-01",
                field="tiers",
            )
        placed |= set(t.pupil_ids)
    if personal and not set(personal) <= class_pupils:
        raise RuleViolation(
            _("A personal item names a pupil who is not in this class."),
            code="invalid",
            rule="HW-01",
            field="personal_pupil_ids",
        )
    _check_practices(content, confirm_not_punitive)

    klass = (
        SchoolClass.objects.select_for_update().select_related("school__county").get(id=klass.id)
    )
    kind_of_day = selectors.day_kind(klass.school, day)
    limit = selectors.class_limit(klass, kind_of_day)
    is_written = kind in rules.WRITTEN_KINDS
    if is_written and not elastic and limit.minutes == 0:
        raise RuleViolation(
            _(
                "Grades 1–2 have no written homework at home; consolidate in school instead (HW-02)."
            ),
            code="written_homework_not_allowed",
            rule="HW-02",
            field="kind",
            grade=klass.grade,
            limit=0,
        )
    item = _rule_item(kind, minutes, elastic, tiers, personal)
    day_items, week_contents = selectors.publish_reading(klass, day, subject)
    used, total = _loads(klass, day_items, item, class_pupils)
    status = Status.PUBLISHED
    if limit.minutes is not None and total > limit.minutes and item.counts:
        if selectors.over_limit_policy(klass.school) == HomeworkPolicy.OverLimit.REFUSE:
            raise _over_limit(klass, day, limit.minutes, used, item.max_minutes(), total)
        status = Status.PENDING

    norm = rules.normalise_content(content)
    repeated = any(rules.normalise_content(c) == norm for c in week_contents)
    hw = Homework.objects.create(
        school=klass.school,
        school_class=klass,
        subject=subject,
        teacher=teacher,
        date=day,
        day_kind=kind_of_day.value,
        content=content,
        kind=kind,
        minutes=max([minutes, *[t.minutes for t in tiers]]) if tiers else minutes,
        elastic=elastic,
        personal=bool(personal),
        status=status,
        repeated=repeated,
        published_at=timezone.now() if status == Status.PUBLISHED else None,
    )
    for t in tiers:
        tier = HomeworkTier.objects.create(homework=hw, name=t.name.strip(), minutes=t.minutes)
        tier.pupils.set(t.pupil_ids)
    HomeworkTarget.objects.bulk_create(
        [HomeworkTarget(homework=hw, student_id=p) for p in personal]
    )
    _event(
        hw,
        teacher,
        "published" if status == Status.PUBLISHED else "held",
        total=total,
        limit=limit.minutes,
        used=used,
    )
    if status == Status.PENDING or repeated:
        _tell_head_teacher(hw, held=status == Status.PENDING)
    return PublishResult(hw, total if status == Status.PUBLISHED else used, limit.minutes)


def _head_teachers(klass: SchoolClass) -> list[User]:
    return [
        r.staff.user
        for r in StaffRole.objects.filter(
            role=Role.HEAD_TEACHER, school_class=klass
        ).select_related("staff__user")
    ]


def _class_url(hw: Homework) -> str:
    return (
        reverse("homework_class", args=[hw.school_id, hw.school_class_id])
        + f"?date={hw.date.isoformat()}"
    )


def _tell_head_teacher(hw: Homework, *, held: bool) -> None:
    cls = class_label(hw.school_class.grade, hw.school_class.number)
    if held:
        title = _(
            "%(cls)s: %(subject)s homework for %(day)s is over the limit and waits for you"
        ) % {"cls": cls, "subject": hw.subject.name, "day": hw.date.isoformat()}
    else:
        title = _("%(cls)s: %(subject)s set the same homework again this week") % {
            "cls": cls,
            "subject": hw.subject.name,
        }
    send(
        users=_head_teachers(hw.school_class),
        kind="homework_held" if held else "homework_repeated",
        title=title,
        body=hw.content[:200],
        url=_class_url(hw),
    )


def _locked_pending(homework: Homework) -> Homework:
    SchoolClass.objects.select_for_update().get(id=homework.school_class_id)
    hw = Homework.objects.select_related("school_class__school__county", "subject").get(
        id=homework.id
    )
    if hw.status != Status.PENDING:
        raise RuleViolation(
            _("This item is not waiting for approval."), code="not_pending", rule="HW-03"
        )
    return hw


@transaction.atomic
def approve_homework(
    *, homework: Homework, actor: User, minutes: int | None = None, note: str = ""
) -> PublishResult:
    """The head teacher publishes a held item, trimmed if need be; it must then fit (HW-03)."""
    hw = _locked_pending(homework)
    if minutes is not None:
        _check_minutes(minutes, "minutes")
        if hw.tiers.exists():
            raise RuleViolation(
                _("Trim a tiered item by returning it to the teacher."),
                code="invalid",
                rule="HW-03",
                field="minutes",
            )
    trimmed_from = hw.minutes
    if minutes is not None:
        hw.minutes = minutes
    hw_item = selectors.as_rule_item(
        selectors.items_for_day(hw.school_class, hw.date, (Status.PENDING,)).get(id=hw.id)
    )
    if minutes is not None:
        hw_item = replace(hw_item, minutes=minutes)
    kind = rules.DayKind(hw.day_kind)
    limit = selectors.class_limit(hw.school_class, kind).minutes
    used, total = _loads(
        hw.school_class,
        selectors.rule_items_for_day(hw.school_class, hw.date),
        hw_item,
        set(selectors.pupil_ids(hw.school_class)),
    )
    if limit is not None and total > limit and hw_item.counts:
        raise _over_limit(hw.school_class, hw.date, limit, used, hw_item.max_minutes(), total)
    hw.status = Status.PUBLISHED
    hw.note = note[:200]
    hw.published_at = timezone.now()
    hw.save(update_fields=["status", "minutes", "note", "published_at"])
    _event(
        hw,
        actor,
        "approved" if minutes in (None, trimmed_from) else "trimmed",
        note,
        minutes_before=trimmed_from,
        minutes=hw.minutes,
        total=total,
        limit=limit,
    )
    send(
        users=[hw.teacher],
        kind="homework_approved",
        title=_("Your %(subject)s homework for %(day)s is published")
        % {"subject": hw.subject.name, "day": hw.date.isoformat()},
        body=note,
        url=_class_url(hw),
    )
    return PublishResult(hw, total, limit)


@transaction.atomic
def return_homework(*, homework: Homework, actor: User, note: str) -> Homework:
    """The head teacher sends a held item back with a note; nothing is silently cut."""
    if not note.strip():
        raise RuleViolation(
            _("Say why the homework is returned."), code="invalid", rule="HW-03", field="note"
        )
    hw = _locked_pending(homework)
    hw.status = Status.RETURNED
    hw.note = note.strip()[:200]
    hw.save(update_fields=["status", "note"])
    _event(hw, actor, "returned", hw.note)
    send(
        users=[hw.teacher],
        kind="homework_returned",
        title=_("Your %(subject)s homework for %(day)s was returned")
        % {"subject": hw.subject.name, "day": hw.date.isoformat()},
        body=hw.note,
        url=_class_url(hw),
    )
    return hw


@transaction.atomic
def withdraw_homework(*, homework: Homework, actor: User) -> Homework:
    if homework.status == Status.WITHDRAWN:
        raise RuleViolation(_("This item is already withdrawn."), code="withdrawn", rule="HW-01")
    homework.status = Status.WITHDRAWN
    homework.save(update_fields=["status"])
    _event(homework, actor, "withdrawn")
    return homework


@transaction.atomic
def set_subject_plan(
    *, klass: SchoolClass, subject: Subject, minutes: int, actor: User
) -> SubjectPlan:
    if subject.school_id != klass.school_id:
        raise RuleViolation(_("Unknown subject."), code="invalid", rule="HW-03", field="subject")
    limit = selectors.class_limit(klass, rules.DayKind.SCHOOL_DAY).minutes
    if minutes < 0 or (limit is not None and minutes > limit):
        raise RuleViolation(
            _("A subject's daily plan must be between 0 and the class limit of %(limit)s minutes.")
            % {"limit": limit},
            code="invalid",
            rule="HW-03",
            field="minutes",
            limit=limit,
        )
    plan, _created = SubjectPlan.objects.update_or_create(
        school_class=klass, subject=subject, defaults={"minutes": minutes}
    )
    return plan


@transaction.atomic
def set_policy(*, school, over_limit: str) -> HomeworkPolicy:
    if over_limit not in HomeworkPolicy.OverLimit.values:
        raise ValidationError({"over_limit": _("Unknown choice.")}, code="invalid")
    policy, _created = HomeworkPolicy.objects.update_or_create(
        school=school, defaults={"over_limit": over_limit}
    )
    return policy


@transaction.atomic
def add_limit_override(
    *, school=None, region=None, grade_from: int, grade_to: int, day_kind: str, minutes: int
) -> LimitOverride:
    """A region or school makes a limit stricter; a looser one is refused (HW-02)."""
    if day_kind not in rules.DayKind.__members__.values():
        raise RuleViolation(_("Unknown day kind."), code="invalid", rule="HW-02", field="day_kind")
    if not 1 <= grade_from <= grade_to <= 12:
        raise RuleViolation(
            _("Grades must run from 1 to 12, low to high."),
            code="invalid",
            rule="HW-02",
            field="grade_from",
        )
    for grade in range(grade_from, grade_to + 1):
        if rules.check_override(grade, minutes):
            raise RuleViolation(
                _(
                    "A local limit may only be stricter than the national one (grade %(grade)d: %(national)s minutes)."
                )
                % {"grade": grade, "national": rules.default_limit(grade)},
                code="looser_than_national",
                rule="HW-02",
                field="minutes",
                grade=grade,
                national=rules.default_limit(grade),
            )
    return LimitOverride.objects.create(
        school=school,
        region=region,
        grade_from=grade_from,
        grade_to=grade_to,
        day_kind=day_kind,
        minutes=minutes,
    )


# -- Feedback (HW-06) -------------------------------------------------------------------------


@transaction.atomic
def submit_feedback(
    *,
    reporter: User,
    student: Student,
    day: date,
    minutes: int | None = None,
    mostly_at_school: bool,
    item_minutes: dict[int, int] | None = None,
    today: date | None = None,
) -> Feedback:
    """A parent or pupil reports the actual time for a day; one report per pupil-day, editable.

    Either the total, or minutes per homework item (their sum becomes the total).
    """
    today = today or timezone.localdate()
    if not today - timedelta(days=FEEDBACK_BACK_DAYS) <= day <= today:
        raise RuleViolation(
            _("Report for today or the last %(n)d days.") % {"n": FEEDBACK_BACK_DAYS},
            code="invalid_date",
            rule="HW-06",
            field="day",
        )
    items = {}
    if item_minutes:
        valid = dict(
            Homework.objects.filter(
                school_class_id=student.school_class_id,
                date=day,
                status=Status.PUBLISHED,
                id__in=list(item_minutes),
            ).values_list("id", "kind")
        )
        if set(item_minutes) - set(valid):
            raise RuleViolation(
                _("An item is not this class's homework for that day."),
                code="invalid",
                rule="HW-06",
                field="item_minutes",
            )
        for _hid, m in item_minutes.items():
            if not 0 <= m <= 600:
                raise RuleViolation(
                    _("Minutes must be between 0 and 600."),
                    code="invalid",
                    rule="HW-06",
                    field="item_minutes",
                )
        items = item_minutes
        if minutes is None:
            minutes = sum(m for hid, m in items.items() if valid[hid] in rules.WRITTEN_KINDS)
    if minutes is None or not 0 <= minutes <= 600:
        raise RuleViolation(
            _("Minutes must be between 0 and 600."), code="invalid", rule="HW-06", field="minutes"
        )
    fb, _created = Feedback.objects.update_or_create(
        student=student,
        date=day,
        defaults={
            "school_class_id": student.school_class_id,
            "minutes": minutes,
            "mostly_at_school": mostly_at_school,
            "reporter": reporter,
        },
    )
    if items:
        FeedbackItem.objects.filter(feedback=fb).delete()
        FeedbackItem.objects.bulk_create(
            [FeedbackItem(feedback=fb, homework_id=h, minutes=m) for h, m in items.items()]
        )
    _raise_streak_alert(student.school_class, day)
    return fb


def _raise_streak_alert(klass: SchoolClass, day: date) -> None:
    """Three school days running over the limit: alert the head teacher and academic office once."""
    streak = selectors.over_limit_streak(klass, day)
    if streak is None:
        return
    _alert, created = Alert.objects.get_or_create(
        school_class=klass,
        kind="over_limit_3_days",
        last_day=day,
        defaults={"detail": {"days": [[d.isoformat(), m, lim] for d, m, lim in streak]}},
    )
    if not created:
        return
    users = _head_teachers(klass) + [
        r.staff.user
        for r in StaffRole.objects.filter(
            staff__school=klass.school, role__in=[Role.ACADEMIC], staff__active=True
        ).select_related("staff__user")
    ]
    send(
        users=users,
        kind="homework_over_limit",
        title=_("%(cls)s: reported homework time over the limit three school days running")
        % {"cls": class_label(klass.grade, klass.number)},
        body="; ".join(f"{d:%m-%d} {m}/{lim}" for d, m, lim in streak),
        url=reverse("homework_report", args=[klass.school_id]),
    )


# -- Grading and audit (HW-07, HW-08) ----------------------------------------------------------


@transaction.atomic
def record_grading(
    *, homework: Homework, actor: User, full: bool, face_to_face: int, feedback_note: str = ""
) -> Grading:
    if homework.status != Status.PUBLISHED:
        raise RuleViolation(
            _("Only published homework is graded."), code="not_published", rule="HW-07"
        )
    if not 0 <= face_to_face <= 200:
        raise RuleViolation(
            _("Face-to-face gradings must be between 0 and 200."),
            code="invalid",
            rule="HW-07",
            field="face_to_face",
        )
    grading, _created = Grading.objects.update_or_create(
        homework=homework,
        defaults={
            "full": full,
            "face_to_face": face_to_face,
            "feedback_note": feedback_note[:500],
            "recorded_by": actor,
        },
    )
    _event(homework, actor, "graded", full=full, face_to_face=face_to_face)
    return grading


@transaction.atomic
def record_audit(
    *,
    klass: SchoolClass,
    week_start: date,
    auditor: User,
    verdict: str,
    findings: str,
    corrections: str,
) -> ClassWeekAudit:
    if verdict not in ClassWeekAudit.Verdict.values:
        raise ValidationError({"verdict": _("Unknown choice.")}, code="invalid")
    if verdict == ClassWeekAudit.Verdict.CORRECT and not corrections.strip():
        raise RuleViolation(
            _("Say which corrections are required."),
            code="invalid",
            rule="HW-08",
            field="corrections",
        )
    audit, _created = ClassWeekAudit.objects.update_or_create(
        school_class=klass,
        week_start=selectors.week_start(week_start),
        defaults={
            "verdict": verdict,
            "findings": findings,
            "corrections": corrections,
            "auditor": auditor,
        },
    )
    if verdict == ClassWeekAudit.Verdict.CORRECT:
        send(
            users=_head_teachers(klass),
            kind="homework_audit",
            title=_("%(cls)s: the academic office requires homework corrections")
            % {"cls": class_label(klass.grade, klass.number)},
            body=corrections,
            url=reverse("homework_week", args=[klass.school_id, klass.id]),
        )
    return audit


@transaction.atomic
def file_rules_document(
    *, school, title: str, text: str, adopted_on: date, actor: User
) -> RulesDocument:
    if not title.strip() or not text.strip():
        raise ValidationError(
            {"text": _("Give the title and the text of the rules.")}, code="invalid"
        )
    return RulesDocument.objects.create(
        school=school,
        title=title.strip()[:100],
        text=text,
        adopted_on=adopted_on,
        uploaded_by=actor,
    )
