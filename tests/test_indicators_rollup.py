"""SV-01 roll-up: random records → refresh() → figures from the roll-up equal the recomputation
from the raw records, for any sub-period, for schools and for the regions above them; an
incremental refresh after changes equals a full recomputation; the nightly command."""

import uuid
from datetime import date, time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from shuangjian.afternoon.models import Attendance, Session
from shuangjian.afterschool.models import Enrolment
from shuangjian.complaints.models import Complaint
from shuangjian.homework.models import Feedback, RulesDocument
from shuangjian.indicators import selectors, services
from shuangjian.indicators.models import DailyFigure, StaleSchool
from shuangjian.org.models import School, SchoolClass, Student
from tests.afterschool_world import programme
from tests.test_indicators import at, created_on, homework
from tests.world import build_world, make_student

START = date(2026, 11, 2)  # two weeks of the world's term
DAYS = 14
END = START + timedelta(DAYS - 1)

DAY = st.integers(min_value=0, max_value=DAYS - 1)
RECORDS = st.lists(
    st.one_of(
        st.tuples(
            st.just("homework"),
            st.integers(0, 2),  # class
            DAY,
            st.integers(5, 90),
            st.sampled_from(["basic", "reading"]),
            st.sampled_from(["published", "pending"]),
        ),
        st.tuples(st.just("feedback"), st.integers(0, 3), DAY, st.integers(0, 120)),
        st.tuples(st.just("complaint"), DAY, st.integers(0, 5), st.integers(0, 6)),
        st.tuples(st.just("absent"), st.integers(0, 3), DAY),
        st.tuples(st.just("enrol"), st.integers(0, 3), st.integers(-3, DAYS)),
        st.tuples(st.just("rules"), DAY),
    ),
    max_size=25,
)
PERIOD = st.tuples(DAY, DAY).map(sorted)


class RollupProperty(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = w = build_world()
        cls.classes = [w.class_3_1, w.class_3_2, w.other_class]
        extra = make_student(w.class_3_1, "2026030102", "赵小军")
        cls.pupils = [w.pupil, w.pupil2, extra, w.other_pupil]
        cls.programme = programme(w, "足球")
        created_on(cls.programme, START - timedelta(30))

    def _add(self, record, seen: set) -> None:
        w, kind = self.world, record[0]
        if kind == "homework":
            _k, c, d, minutes, hw_kind, status = record
            homework(w, self.classes[c], START + timedelta(d), minutes, kind=hw_kind, status=status)
        elif kind == "feedback":
            _k, p, d, minutes = record
            if (p, d) in seen:
                return
            seen.add((p, d))
            pupil = self.pupils[p]
            Feedback.objects.create(
                student=pupil,
                school_class=pupil.school_class,
                date=START + timedelta(d),
                minutes=minutes,
                mostly_at_school=False,
            )
        elif kind == "complaint":
            _k, d, late, wait = record
            filed = START - timedelta(days=10)
            closed = START + timedelta(d)
            Complaint.objects.create(
                code_hash=uuid.uuid4().hex,
                category="other",
                school=w.school if d % 2 else w.other_school,
                county=w.county,
                description="……",
                filed_on=filed,
                limit_days=15,
                deadline=closed - timedelta(late) + timedelta(wait),
                status="closed",
                closed_on=closed,
                closed_at=at(closed),
            )
        elif kind == "absent":
            _k, p, d = record
            pupil = self.pupils[p]
            if pupil.school_id != w.school.id or ("absent", p, d) in seen:
                return
            seen.add(("absent", p, d))
            session, _ = Session.objects.get_or_create(
                school=w.school,
                programme=self.programme,
                date=START + timedelta(d),
                start=time(16),
                defaults={"end": time(18), "status": "closed"},
            )
            Attendance.objects.create(session=session, student=pupil, state="absent_unexplained")
        elif kind == "enrol":
            _k, p, d = record
            pupil = self.pupils[p]
            if pupil.school_id != w.school.id or ("enrol", p) in seen:
                return
            seen.add(("enrol", p))
            place = Enrolment.objects.create(
                programme=self.programme, student=pupil, status="allocated", source="join"
            )
            created_on(place, START + timedelta(d))
        elif kind == "rules":
            RulesDocument.objects.create(
                school=w.school, title="办法", text="……", adopted_on=START + timedelta(record[1])
            )

    @settings(max_examples=30, deadline=None)
    @given(records=RECORDS, period=PERIOD)
    def test_rollup_equals_recompute(self, records, period):
        w, seen = self.world, set()
        for record in records:
            self._add(record, seen)
        services.refresh(start=START, end=END)
        first, last = START + timedelta(period[0]), START + timedelta(period[1])
        ids = [w.school.id, w.other_school.id]
        raw = selectors.recompute_figures(ids, first, last)
        assert selectors.school_figures(ids, first, last) == raw
        # A county's units are its schools; a city's units are its counties (sums of schools).
        county = selectors.unit_figures(w.county, first, last)
        assert {u.id: f for u, f in county.items()} == {w.school.id: raw[w.school.id]}
        city = selectors.unit_figures(w.city, first, last)
        by_county = {u.id: f for u, f in city.items()}
        assert by_county[w.county.id] == raw[w.school.id]
        assert by_county[w.other_county.id] == raw[w.other_school.id]
        province = selectors.unit_figures(w.province, first, last)
        assert list(province.values()) == [selectors.total_figures(raw)]


# -- Incremental refresh ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_changes_mark_the_school_stale_from_the_day_they_touch(world):
    services.refresh(start=START, end=END)
    StaleSchool.objects.all().delete()  # the world's own rows marked both schools
    hw = homework(world, world.class_3_1, START + timedelta(3))
    assert StaleSchool.objects.get(school=world.school).since == START + timedelta(3)
    homework(world, world.class_3_1, START + timedelta(5))  # later: the marker stays
    assert StaleSchool.objects.get(school=world.school).since == START + timedelta(3)
    hw.delete()
    Feedback.objects.create(
        student=world.pupil,
        school_class=world.class_3_1,
        date=START + timedelta(1),
        minutes=30,
        mostly_at_school=True,
    )
    assert StaleSchool.objects.get(school=world.school).since == START + timedelta(1)
    make_student(world.class_3_2, "2026030299")  # rosters change every day's denominators
    assert StaleSchool.objects.get(school=world.school).since is None
    assert not StaleSchool.objects.filter(school=world.other_school).exists()


@pytest.mark.django_db
def test_incremental_refresh_after_changes_equals_full_recompute(world):
    services.refresh(start=START, end=END)
    StaleSchool.objects.all().delete()  # the world's own rows marked both schools
    untouched = list(
        DailyFigure.objects.filter(school=world.other_school).values_list(
            "date", "indicator", "numerator", "denominator"
        )
    )
    homework(world, world.class_3_1, START + timedelta(2), 80)
    homework(world, world.class_3_2, START + timedelta(8))
    Feedback.objects.create(
        student=world.pupil,
        school_class=world.class_3_1,
        date=START + timedelta(2),
        minutes=75,
        mostly_at_school=False,
    )
    RulesDocument.objects.create(school=world.school, title="办法", text="…", adopted_on=START)
    ids = [world.school.id, world.other_school.id]
    assert selectors.school_figures(ids, START, END) != selectors.recompute_figures(ids, START, END)
    services.refresh_stale(today=END)
    assert selectors.school_figures(ids, START, END) == selectors.recompute_figures(ids, START, END)
    assert not StaleSchool.objects.exists()
    assert untouched == list(
        DailyFigure.objects.filter(school=world.other_school).values_list(
            "date", "indicator", "numerator", "denominator"
        )
    )


@pytest.mark.django_db
def test_schools_marked_from_the_same_day_are_refreshed_together(world):
    from shuangjian.org.models import Subject

    services.refresh(start=START, end=END)
    StaleSchool.objects.all().delete()
    day = START + timedelta(4)
    homework(world, world.class_3_1, day, 80)
    other_subject = Subject.objects.get(school=world.other_school)
    homework(world, world.other_class, day, 95, subject=other_subject)
    assert set(StaleSchool.objects.values_list("since", flat=True)) == {day}
    ids = [world.school.id, world.other_school.id]
    assert services.refresh_stale(today=END) > 0
    assert not StaleSchool.objects.exists()
    figures = selectors.school_figures(ids, START, END)
    assert figures == selectors.recompute_figures(ids, START, END)
    assert all(figures[sid]["HW-OVER-LIMIT"].value == 1 for sid in ids)


@pytest.mark.django_db
def test_refresh_replaces_days_whose_records_went(world):
    hw = homework(world, world.class_3_1, START, 90)
    services.refresh(start=START, end=END)
    assert (
        selectors.school_figures([world.school.id], START, END)[world.school.id][
            "HW-OVER-LIMIT"
        ].value
        == 1
    )
    hw.delete()
    services.refresh(school_ids=[world.school.id], start=START, end=START)
    assert (
        selectors.school_figures([world.school.id], START, END)[world.school.id][
            "HW-OVER-LIMIT"
        ].value
        == 0
    )


# -- The nightly command ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_since_and_school(world, capsys):
    homework(world, world.class_3_1, START)
    call_command("refresh_indicators", "--since", str(START), "--school", world.school.code)
    assert DailyFigure.objects.filter(school=world.school, date=START).exists()
    assert not DailyFigure.objects.filter(school=world.other_school).exists()
    assert "rows written" in capsys.readouterr().out


@pytest.mark.django_db
def test_command_nightly_run_clears_markers(world):
    homework(world, world.class_3_1, START)
    assert StaleSchool.objects.filter(school=world.school).exists()
    call_command("refresh_indicators")
    assert not StaleSchool.objects.exists()
    assert DailyFigure.objects.filter(school=world.school, date=START).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args", [["--since", "2026-13-01"], ["--since", "soon"], ["--school", "NOPE"]]
)
def test_command_bad_input_writes_nothing(world, args):
    with pytest.raises(CommandError):
        call_command("refresh_indicators", *args)
    assert not DailyFigure.objects.exists()
    assert School.objects.count() == 2


@pytest.mark.django_db
def test_deleting_a_school_leaves_no_marker_behind(world):
    school = School.objects.create(
        name="临时学校", code="T001", county=world.county, stage="primary"
    )
    klass = SchoolClass.objects.create(school=school, grade=3, number=1)
    make_student(klass, "T00101")
    assert StaleSchool.objects.filter(school=school).exists()
    Student.objects.filter(school=school).delete()  # its rows mark it while they go
    school.delete()
    assert not StaleSchool.objects.filter(school_id=school.id).exists()
    connection.check_constraints()
