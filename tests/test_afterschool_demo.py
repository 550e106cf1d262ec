"""The after-school demo: deterministic, within the rules, with exactly one "5+2" gap."""

import hashlib
from collections import Counter
from datetime import date, timedelta
from io import StringIO

from django.db.models import Count, Q

from shuangjian.afterschool import demo as as_demo
from shuangjian.afterschool import services
from shuangjian.afterschool.models import (
    AgreementSignature,
    AllocationRun,
    Application,
    ApplicationEvent,
    Enrolment,
    Preference,
    Programme,
    ProgrammeSlot,
    SchoolAfterschoolSettings,
    ServiceAgreement,
)
from shuangjian.org import demo
from shuangjian.org.models import Guardianship, School, Student

TODAY = date(2026, 11, 23)
WEEK = date(2026, 11, 16)  # an ordinary school week of the term (Monday)


def digest() -> str:
    rows = []
    for p in Programme.objects.order_by("name"):
        slots = list(
            ProgrammeSlot.objects.filter(programme=p)
            .order_by("weekday", "start")
            .values_list("weekday", "start", "end")
        )
        rows.append(
            (p.name, p.category, p.grade_from, p.grade_to, p.capacity, p.venue.name)
            + (p.lead.staff_no, str(p.fee), p.status, tuple(slots))
        )
    apps = Application.objects.order_by("student__student_no").values_list(
        "student__student_no", "status", "reason", "note", "wants_homework_tutoring"
    )
    events = ApplicationEvent.objects.order_by("application__student__student_no", "id")
    events = events.values_list("application__student__student_no", "status", "actor__username")
    sigs = AgreementSignature.objects.order_by("application__student__student_no").values_list(
        "application__student__student_no", "agreement__version", "signer__username"
    )
    prefs = Preference.objects.order_by("student__student_no").values_list(
        "student__student_no", "choices"
    )
    names = dict(Programme.objects.values_list("id", "name"))
    prefs = [(no, [names[c] for c in choices]) for no, choices in prefs]
    # The allocation's seeded draw is keyed by pupil ids, which a reset renumbers: which of two
    # equally good allocations wins the draw may change, so only the totals are compared (the
    # run's welfare and statistics below are the same).
    enrolments = Enrolment.objects.order_by("status").values_list("status").annotate(n=Count("id"))
    runs = AllocationRun.objects.values_list("seed", "published", "welfare", "stats")
    parts = (rows, list(apps), list(events), list(sigs), prefs, list(enrolments), list(runs))
    text = repr(parts)
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_term_of_afterschool_service(db):
    demo.load_demo()
    out = StringIO()
    counts = as_demo.load_afterschool_demo(today=TODAY, stdout=out)
    assert "项目 31 个" in out.getvalue()
    first = digest()

    school = School.objects.get(code=demo.SCHOOL_1)
    term = services_term = Programme.objects.first().term
    assert term.name == counts["term"] == "2026-2027学年第一学期"
    assert services_term.start <= TODAY <= services_term.end

    # Settings and the agreement (AS-13, AS-03).
    conf = SchoolAfterschoolSettings.objects.get(school=school)
    assert conf.hotline and conf.mailbox
    assert ServiceAgreement.objects.filter(term=term).count() == 1

    # About thirty approved programmes, homework tutoring for grades 3–9, mostly free.
    programmes = list(Programme.objects.filter(term=term).select_related("venue"))
    assert 28 <= len(programmes) <= 34
    assert all(p.status == Programme.Status.APPROVED for p in programmes)
    tutoring = sorted(p.grade_from for p in programmes if p.category == "homework")
    assert tutoring == list(range(3, 10))
    assert all(p.capacity <= p.venue.capacity for p in programmes)
    assert all(p.fee >= 0 for p in programmes)
    assert sum(p.fee == 0 for p in programmes) > len(programmes) * 0.8

    # No venue or lead holds two programmes at once.
    slots = list(ProgrammeSlot.objects.filter(programme__term=term).select_related("programme"))
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if a.weekday == b.weekday and a.start < b.end and b.start < a.end:
                assert a.programme.venue_id != b.programme.venue_id, (a, b)
                assert a.programme.lead_id != b.programme.lead_id, (a, b)

    # Exactly the deliberate gap: Friday ends early and runs under two hours.
    check = services.check_timetable(school, WEEK)
    failing = {d.day: sorted(f.code for f in d.failures) for d in check.days if d.failures}
    assert failing == {WEEK + timedelta(days=4): ["ends_before_work", "under_two_hours"]}
    assert check.required_days == 5 and check.days_ok == 4

    # Applications: ~70% of grades 1–6, in several states, most signed, each by a guardian.
    pupils = Student.objects.filter(school=school, active=True, school_class__grade__lte=6)
    apps = Application.objects.filter(term=term)
    assert apps.count() == counts["applications"]
    assert 0.65 <= apps.count() / pupils.count() <= 0.75
    assert not apps.filter(student__school_class__grade__gt=6).exists()
    states = Counter(apps.values_list("status", flat=True))
    assert len(states) >= 5
    assert states["agreement_signed"] > apps.count() / 2
    assert AgreementSignature.objects.count() == states["agreement_signed"]
    for a in apps.filter(status="agreement_signed")[:50]:
        sig = a.signatures.get()
        assert Guardianship.objects.filter(user=sig.signer, student=a.student).exists()
    assert not apps.filter(status__in=["returned", "declined"], reason="").exists()

    # Three ranked choices for the applicants, all for the pupil's grade.
    prefs = list(Preference.objects.filter(term=term).select_related("student__school_class"))
    assert len(prefs) == counts["preferences"] > 0
    by_id = {p.id: p for p in programmes}
    for pref in prefs:
        assert len(pref.choices) == 3 == len(set(pref.choices))
        assert all(pref.student.school_class.grade in by_id[c].grades for c in pref.choices)

    # One published run (seed "2026秋"); no programme over capacity.
    run = AllocationRun.objects.get(term=term)
    assert (run.seed, run.published) == ("2026秋", True)
    over = Programme.objects.annotate(
        n=Count("enrolments", filter=Q(enrolments__status="allocated"))
    ).values_list("name", "n", "capacity")
    assert all(n <= cap for _name, n, cap in over)
    assert Enrolment.objects.filter(status="allocated").count() == counts["allocated"] > 0

    # Outside teachers: three admitted and teaching beside a lead teacher, one still applying.
    from shuangjian.afterschool.models import OutsideStaff

    assert counts["outside_staff"] == 4
    assert (
        OutsideStaff.objects.filter(status="approved", background_check_confirmed=True).count() == 3
    )
    assert Programme.objects.filter(outside_staff__status="approved").count() >= 3

    # A reset takes everything with the school; the same seed and day give the same rows.
    demo.load_demo(reset=True)
    assert not Programme.objects.exists() and not Application.objects.exists()
    assert as_demo.load_afterschool_demo(today=TODAY) == counts
    assert digest() == first


def test_without_a_term_containing_today_the_first_term_is_used(db):
    demo.load_demo()
    counts = as_demo.load_afterschool_demo(today=date(2020, 1, 1))
    assert counts["term"] == "2025-2026学年第二学期"
