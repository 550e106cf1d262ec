"""The homework demo: deterministic, within the limits, and with the story it is meant to tell."""

import hashlib
from collections import Counter, defaultdict
from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command

from shuangjian.homework import demo as hw_demo
from shuangjian.homework import selectors
from shuangjian.homework.models import (
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
    RulesDocument,
)
from shuangjian.org import demo
from shuangjian.org.models import Guardianship, Role, School, SchoolClass, StaffRole
from shuangjian.rules import homework as rules

TODAY = date(
    2026, 9, 30
)  # a month of term keeps the test quick  # a Friday; the next school day is Monday 2026-11-23
LAST_REPORTED = date(2026, 9, 29)  # feedback stops the school day before today
NEXT_SCHOOL_DAY = date(2026, 10, 8)  # after the National Day break
WRITTEN = [k.value for k in rules.WRITTEN_KINDS]

HW = ("school_class__grade", "school_class__number", "date", "subject__name", "content")


def _hw(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{f}" for f in HW)


def digest() -> str:
    """A hash of every homework demo row by natural keys (ids and timestamps differ)."""
    tables = [
        Homework.objects.values_list(
            *HW,
            "teacher__username",
            "day_kind",
            "kind",
            "minutes",
            "elastic",
            "personal",
            "status",
            "repeated",
            "note",
            "published_at",
        ),  # fmt: skip
        HomeworkTier.objects.values_list(*_hw("homework"), "name", "minutes"),
        HomeworkTier.pupils.through.objects.values_list(
            *_hw("homeworktier__homework"), "homeworktier__name", "student__student_no"
        ),
        HomeworkTarget.objects.values_list(*_hw("homework"), "student__student_no"),
        HomeworkEvent.objects.values_list(
            *_hw("homework"), "actor__username", "action", "note", "detail"
        ),
        Feedback.objects.values_list(
            "student__student_no",
            "school_class__grade",
            "school_class__number",
            "date",
            "minutes",
            "mostly_at_school",
            "reporter__username",
        ),  # fmt: skip
        FeedbackItem.objects.values_list(
            "feedback__student__student_no", "feedback__date", *_hw("homework"), "minutes"
        ),
        Grading.objects.values_list(
            *_hw("homework"), "full", "face_to_face", "feedback_note", "recorded_by__username"
        ),
        Alert.objects.values_list(
            "school_class__grade", "school_class__number", "kind", "last_day", "detail"
        ),
        ClassWeekAudit.objects.values_list(
            "school_class__grade",
            "school_class__number",
            "week_start",
            "verdict",
            "findings",
            "corrections",
            "auditor__username",
        ),  # fmt: skip
        RulesDocument.objects.values_list(
            "school__code", "title", "text", "adopted_on", "uploaded_by__username"
        ),
        HomeworkPolicy.objects.values_list("school__code", "over_limit"),
    ]
    text = "\n".join(repr(sorted(map(repr, rows))) for rows in tables)
    return hashlib.sha256(text.encode()).hexdigest()


def test_templates_never_trip_the_forbidden_practice_rules():
    templates = [
        t
        for stage in hw_demo.WRITTEN.values()
        for kinds in stage.values()
        for texts in kinds.values()
        for t in texts
    ]
    templates += [t for texts in hw_demo.PRACTICAL.values() for t in texts]
    templates += hw_demo.READING_LOW
    templates += [hw_demo.ELASTIC_READING, hw_demo.TIERED, hw_demo.PERSONAL]
    templates += [t for _kind, _minutes, t in hw_demo.HELD.values()]
    numbers = {
        "lesson": 12, "next_lesson": 13, "para": 3, "page": 45, "ex": "七", "a": 1, "b": 5,
        "c": 8, "unit": 3, "l": 2, "part": "A", "ch": 4, "sec": 2, "sec_ab": "B",
    }  # fmt: skip
    longest = max(len(v) for v in hw_demo.WORDS.values())
    for n in range(longest):
        words = {k: v[n % len(v)] for k, v in hw_demo.WORDS.items()}
        for template in templates:
            text = template.format(**numbers, **words)
            assert rules.forbidden_practices(text) == [], text
    assert [hw_demo.cn_number(n) for n in (1, 7, 10, 12, 20, 25)] == [
        "一", "七", "十", "十二", "二十", "二十五",
    ]  # fmt: skip


def test_a_term_of_homework(db):
    demo.load_demo()
    counts = hw_demo.load_homework_demo(today=TODAY)
    first = digest()

    # A reset takes the homework with the schools; the same seed and day give the same rows.
    demo.load_demo(reset=True)
    for model in (Homework, Feedback, FeedbackItem, Grading, HomeworkEvent, Alert):
        assert not model.objects.exists(), model
    assert hw_demo.load_homework_demo(today=TODAY) == counts
    assert digest() == first

    school = School.objects.get(code=demo.SCHOOL_1)
    classes = {(k.grade, k.number): k for k in SchoolClass.objects.filter(school=school)}
    chronic = {classes[key] for key in hw_demo.CHRONIC}
    assert counts["homework"] == Homework.objects.filter(school=school).count() > 1500
    assert counts["feedback"] == Feedback.objects.count() > 5000
    assert counts["tiers"] > 0 and counts["targets"] > 0 and counts["feedback_items"] > 0
    assert counts["events"] == counts["homework"]
    assert not Homework.objects.exclude(school=school).exists()  # BP002 gets none

    # Days: school days from the term start to today, and the next school day; nothing after.
    dates = set(Homework.objects.values_list("date", flat=True))
    kinds = selectors.day_kinds(school, hw_demo.TERM_START, NEXT_SCHOOL_DAY)
    school_days = {d for d, k in kinds.items() if k == rules.DayKind.SCHOOL_DAY}
    assert dates == school_days
    assert min(dates) == hw_demo.TERM_START and max(dates) == NEXT_SCHOOL_DAY
    assert date(2026, 10, 1) not in dates  # National Day
    assert set(Homework.objects.values_list("day_kind", flat=True)) == {"school_day"}
    assert not Homework.objects.filter(status="published", published_at__isnull=True).exists()

    # No class-day's published load passes its limit; the chronic classes sit right at it.
    at_limit: dict[int, int] = defaultdict(int)
    for grade in range(1, 10):
        week = selectors.week_start(hw_demo.TERM_START)
        while week <= NEXT_SCHOOL_DAY:
            for row in selectors.grade_week(school, grade, week):
                for total, limit in zip(row.totals, row.limits, strict=True):
                    assert limit is not None and total <= limit, (row.klass, week)
                    at_limit[row.klass.id] += bool(limit) and total == limit
            week += timedelta(days=7)
    for klass in classes.values():
        share = at_limit[klass.id] / len(school_days)
        assert share > 0.6 if klass in chronic else share < 0.3, (klass, share)

    # Grades 1–2: reading and practical items only, some days a week.
    low = Homework.objects.filter(school_class__grade__lte=2)
    assert low.exists() and not low.filter(kind__in=WRITTEN).exists()
    assert not low.filter(elastic=True).exists()

    # Every item is set by the class's own teacher of that subject.
    taught = set(
        StaffRole.objects.filter(role=Role.SUBJECT_TEACHER).values_list(
            "school_class_id", "subject_id", "staff__user_id"
        )
    )
    used = set(Homework.objects.values_list("school_class_id", "subject_id", "teacher_id"))
    assert used <= taught

    # Tiers split the whole class; personal items go to pupils with learning difficulties.
    for tier_item in Homework.objects.filter(tiers__isnull=False).distinct()[:10]:
        placed = [p.school_class_id for t in tier_item.tiers.all() for p in t.pupils.all()]
        assert len(placed) == len(set(selectors.pupil_ids(tier_item.school_class)))
        assert set(placed) == {tier_item.school_class_id}
    targets = HomeworkTarget.objects.values_list("student_id", flat=True)
    assert not targets.exclude(student__care_flags__flag="learning_difficulty").exists()
    assert set(Counter(HomeworkTarget.objects.values_list("homework", flat=True)).values()) <= {
        2,
        3,
    }

    # Two items of today in 三年级(1)班 wait for the head teacher, over the limit.
    pending = Homework.objects.filter(status="pending")
    assert pending.count() == 2
    assert {(h.school_class, h.date) for h in pending} == {(classes[hw_demo.HELD_CLASS], TODAY)}
    assert "shuxue" in {h.teacher.username for h in pending}
    for hw in pending:
        (event,) = hw.events.all()
        assert event.action == "held" and event.detail["total"] > event.detail["limit"] == 60
    assert selectors.budget(classes[hw_demo.HELD_CLASS], TODAY).pending == 2

    # Feedback: the days before today, grades 3–9, reported by a linked parent or nobody.
    assert not Feedback.objects.filter(date__gte=TODAY).exists()
    assert not Feedback.objects.filter(school_class__grade__lte=2).exists()
    links = set(Guardianship.objects.values_list("student_id", "user_id"))
    for student, reporter in Feedback.objects.exclude(reporter=None).values_list(
        "student_id", "reporter_id"
    ):
        assert (student, reporter) in links
    assert Feedback.objects.filter(reporter=None).exists()

    # Compliance: most pupil-days within the limit, the chronic classes mostly over it.
    start, end = hw_demo.TERM_START, TODAY - timedelta(days=1)
    (whole,) = selectors.compliance(school, start, end, by="school")
    assert 0.6 <= whole.share <= 0.98
    by_class = {c.label: c.share for c in selectors.compliance(school, start, end)}
    for klass in chronic:
        assert by_class[str(klass)] < 0.5
    gaps = selectors.estimate_gaps(school, start, end)
    assert any(g.gap > 1 for g in gaps) and any(g.gap < -1 for g in gaps)

    # The chronic classes were over the limit three school days running up to the last day
    # reported (another class may hit a short streak by chance); alerts have the service's shape.
    alerted = Counter(a.school_class for a in Alert.objects.all())
    assert chronic <= set(alerted)
    assert all(alerted[k] > n for k in chronic for c, n in alerted.items() if c not in chronic), (
        alerted
    )
    for klass in chronic:
        last = Alert.objects.filter(school_class=klass).latest("last_day")
        assert last.last_day == LAST_REPORTED and last.kind == "over_limit_3_days"
        assert len(last.detail["days"]) == 3
        assert all(mean > limit for _day, mean, limit in last.detail["days"])
        assert last.detail["days"][-1][0] == LAST_REPORTED.isoformat()

    # Grading: most past written items, never a future or unwritten one; more full in primary.
    graded = Grading.objects.select_related("homework__school_class")
    assert not graded.exclude(homework__kind__in=WRITTEN).exists()
    assert not graded.filter(homework__date__gte=TODAY).exists()
    past_written = Homework.objects.filter(kind__in=WRITTEN, date__lt=TODAY, status="published")
    assert 0.75 <= graded.count() / past_written.count() <= 0.95
    primary = graded.filter(homework__school_class__grade__lte=6)
    junior = graded.filter(homework__school_class__grade__gte=7)
    assert primary.filter(full=True).count() / primary.count() > 0.9
    assert 0.7 < junior.filter(full=True).count() / junior.count() < 0.9

    # The rules on file, the policy, and the academic office's audits.
    (rules_doc,) = RulesDocument.objects.filter(school=school)
    assert rules_doc.title == "北票市实验学校作业管理办法"
    assert rules_doc.adopted_on == date(2026, 8, 28)
    assert 8 <= len(rules_doc.text.strip().splitlines()) <= 12
    assert school.homework_policy.over_limit == "hold"
    audits = ClassWeekAudit.objects.filter(school_class__school=school)
    assert audits.count() >= 3 and {a.auditor.username for a in audits} == {"jiaowu"}
    (correct,) = audits.filter(verdict="correct")
    assert correct.school_class in chronic and correct.corrections

    # load_demo --keep leaves it all as it is.
    out = StringIO()
    call_command("load_demo", "--keep", stdout=out)
    assert "保留不变" in out.getvalue()
    assert digest() == first
