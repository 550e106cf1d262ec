"""Direct reports (SV-01): freezing, submission, acceptance, return and resubmission, lateness,
the bureau's overview, and every denial; good-practice cases (SV-06)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from shuangjian.indicators.catalogue import INDICATORS
from shuangjian.org.access import access_region, access_school
from shuangjian.reporting import selectors, services
from shuangjian.reporting.models import GoodPractice, ReportEvent, SchoolReport
from tests.test_reporting_world import (
    add_school,
    daily,
    officer_acc,
    periods,
    principal_acc,
    set_schedule,
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sched(world):
    return set_schedule(world)


def test_lifecycle_freeze_submit_return_resubmit_accept(world, sched):
    p = periods(sched)[0]
    daily(world.school, p.start, "HW-WITHIN-LIMIT", 45, 50)
    acc = principal_acc(world)
    report = services.freeze_report(acc=acc, period_start=p.start)
    assert report.status == "draft" and (report.period_end, report.due) == (p.end, p.due)
    assert report.figures["HW-WITHIN-LIMIT"] == {"numerator": 45, "denominator": 50, "value": 90}
    assert set(report.figures) == set(INDICATORS)
    assert report.catalogue["version"] and "HW-WITHIN-LIMIT" in report.catalogue["indicators"]

    services.submit_report(acc=acc, report=report, comment="本期作业总量达标")
    report.refresh_from_db()
    assert (report.status, report.source, report.late) == ("submitted", "web", False)
    assert report.comment == "本期作业总量达标" and report.submitted_by == world.principal

    services.return_report(acc=officer_acc(world), report=report, reason="请核对分母")
    report.refresh_from_db()
    assert report.status == "returned" and report.return_reason == "请核对分母"

    daily(world.school, p.start + (p.end - p.start), "HW-WITHIN-LIMIT", 10, 10)
    report = services.freeze_report(acc=acc, period_start=p.start)  # refreeze after return
    assert report.status == "draft"
    assert report.figures["HW-WITHIN-LIMIT"]["numerator"] == 55
    services.submit_report(acc=acc, report=report, comment="已更正")
    services.accept_report(acc=officer_acc(world), report=report)
    report.refresh_from_db()
    assert report.status == "accepted"
    actions = list(report.events.values_list("action", flat=True))
    assert actions == ["frozen", "submitted", "returned", "frozen", "submitted", "accepted"]


def test_submission_after_the_due_date_is_late(world, sched):
    old = periods(sched)[2]
    acc = principal_acc(world)
    report = services.freeze_report(acc=acc, period_start=old.start)
    services.submit_report(acc=acc, report=report, comment="")
    report.refresh_from_db()
    assert report.late and report.status == "submitted"


def test_a_submitted_report_cannot_be_refrozen_or_submitted_twice(world, sched):
    p = periods(sched)[0]
    acc = principal_acc(world)
    report = services.freeze_report(acc=acc, period_start=p.start)
    services.submit_report(acc=acc, report=report, comment="")
    with pytest.raises(ValidationError) as exc:
        services.freeze_report(acc=acc, period_start=p.start)
    assert "period" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.submit_report(acc=acc, report=report, comment="again")
    assert "comment" in exc.value.error_dict
    assert ReportEvent.objects.filter(report=report).count() == 2


@pytest.mark.parametrize(
    ("offset", "code"), [(1, "no_period"), (-14 * 10, "no_period"), (None, "period_not_over")]
)
def test_wrong_periods_are_refused_naming_the_field(world, sched, offset, code):
    from datetime import timedelta

    from django.utils import timezone

    if offset is None:  # the period running today
        start = sched.first_day + timedelta(days=3 * sched.period_days)
        assert start <= timezone.localdate()
    else:
        start = periods(sched)[0].start + timedelta(days=offset)
    with pytest.raises(ValidationError) as exc:
        services.freeze_report(acc=principal_acc(world), period_start=start)
    assert exc.value.error_dict["period"][0].code == code
    assert not SchoolReport.objects.exists()


def test_no_schedule_is_refused(world):
    from django.utils import timezone

    with pytest.raises(ValidationError) as exc:
        services.freeze_report(acc=principal_acc(world), period_start=timezone.localdate())
    assert exc.value.error_dict["period"][0].code == "no_schedule"


def test_return_needs_a_reason_and_a_submitted_report(world, sched):
    p = periods(sched)[0]
    report = services.freeze_report(acc=principal_acc(world), period_start=p.start)
    with pytest.raises(ValidationError) as exc:
        services.return_report(acc=officer_acc(world), report=report, reason="x")
    assert "reason" in exc.value.error_dict  # a draft cannot be returned
    services.submit_report(acc=principal_acc(world), report=report, comment="")
    with pytest.raises(ValidationError) as exc:
        services.return_report(acc=officer_acc(world), report=report, reason="   ")
    assert "reason" in exc.value.error_dict
    report.refresh_from_db()
    assert report.status == "submitted"


@pytest.mark.parametrize("role", ["academic", "head_teacher", "subject_teacher", "duty_leader"])
def test_only_the_principal_freezes_and_submits(world, sched, role):
    acc = access_school(getattr(world, role), world.school.id)
    with pytest.raises(PermissionDenied):
        services.freeze_report(acc=acc, period_start=periods(sched)[0].start)
    assert not SchoolReport.objects.exists()


def test_inspectors_and_principals_cannot_accept_or_return(world, sched):
    p = periods(sched)[0]
    report = services.freeze_report(acc=principal_acc(world), period_start=p.start)
    services.submit_report(acc=principal_acc(world), report=report, comment="")
    for acc in (access_school(world.inspector, world.school.id), principal_acc(world)):
        with pytest.raises(PermissionDenied):
            services.return_report(acc=acc, report=report, reason="no")
        with pytest.raises(PermissionDenied):
            services.accept_report(acc=acc, report=report)
    report.refresh_from_db()
    assert report.status == "submitted"


def test_other_county_officer_and_other_principal_do_not_see_the_school(world):
    for user in (world.other_officer, world.outsider, world.parent):
        with pytest.raises(Http404):
            access_school(user, world.school.id)


def test_schedule_is_set_by_an_officer_with_valid_numbers(world):
    role, region = access_region(world.inspector, world.county.id)
    with pytest.raises(PermissionDenied):
        set_schedule_as(role, region, 14, 3)
    role, region = access_region(world.officer, world.county.id)
    with pytest.raises(ValidationError) as exc:
        set_schedule_as(role, region, 3, 3)
    assert "period_days" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        set_schedule_as(role, region, 14, 99)
    assert "due_days" in exc.value.error_dict
    assert selectors.schedule_for(world.school) is None
    set_schedule_as(role, region, 14, 3)
    assert selectors.schedule_for(world.school).period_days == 14


def set_schedule_as(role, region, period_days, due_days):
    from django.utils import timezone

    return services.set_schedule(
        role=role,
        region=region,
        first_day=timezone.localdate(),
        period_days=period_days,
        due_days=due_days,
    )


def test_city_schedule_applies_unless_the_county_has_its_own(world):
    from django.utils import timezone

    from shuangjian.org.models import RegionRole
    from tests.world import make_user

    city_officer = RegionRole.objects.create(
        user=make_user("city_officer"), region=world.city, kind="officer"
    )
    services.set_schedule(
        role=city_officer,
        region=world.city,
        first_day=timezone.localdate(),
        period_days=7,
        due_days=1,
    )
    assert selectors.schedule_for(world.school).period_days == 7
    set_schedule(world)
    assert selectors.schedule_for(world.school).period_days == 14
    assert selectors.schedule_for(world.other_school).period_days == 7


def test_overview_counts_on_time_late_missing_and_rates(world, sched):
    late_p, p = periods(sched)[2], periods(sched)[0]
    b = add_school(world, "A002", "北票市第二小学")
    add_school(world, "A003", "北票市第三小学")
    for period in (late_p, p):
        acc = principal_acc(world)
        services.submit_report(
            acc=acc,
            report=services.freeze_report(acc=acc, period_start=period.start),
            comment="",
        )
    acc_b = access_school(b.staff.get().user, b.id)
    services.freeze_report(acc=acc_b, period_start=late_p.start)  # a draft is not a report

    ov = selectors.period_overview(world.county, late_p)
    assert ov.overdue
    rows = {r.name: r for r in ov.rows}
    assert rows["北票市实验学校"].late == 1 and rows["北票市第二小学"].missing == 1
    assert (ov.total.expected, ov.total.on_time, ov.total.late, ov.total.missing) == (3, 0, 1, 2)
    assert ov.total.reporting_rate == pytest.approx(100 / 3)
    assert ov.total.on_time_rate == 0

    ov = selectors.period_overview(world.county, p)
    assert not ov.overdue
    assert (ov.total.on_time, ov.total.late) == (1, 0)
    assert ov.total.on_time_rate == pytest.approx(100 / 3)

    city = selectors.period_overview(world.city, late_p)
    by_county = {r.name: r for r in city.rows}
    assert by_county["北票市"].expected == 3 and by_county["北票市"].late == 1
    assert by_county["建平县"].expected == 1 and by_county["建平县"].missing == 1
    assert city.total.expected == 4


def test_returned_report_counts_as_not_reported(world, sched):
    p = periods(sched)[1]
    acc = principal_acc(world)
    report = services.freeze_report(acc=acc, period_start=p.start)
    services.submit_report(acc=acc, report=report, comment="")
    services.return_report(acc=officer_acc(world), report=report, reason="重填")
    total = selectors.period_overview(world.county, p).total
    assert (total.submitted, total.returned, total.missing) == (0, 1, 1)


# -- Good-practice cases (SV-06) ----------------------------------------------------------------


def test_case_submitted_then_published_or_declined(world):
    acc = principal_acc(world)
    case = services.submit_case(acc=acc, title="作业分层设计", summary="摘要", body="正文")
    assert case.status == "submitted"
    assert not selectors.published_cases(world.county).exists()
    services.decide_case(acc=officer_acc(world), case=case, publish=True)
    case.refresh_from_db()
    assert case.status == "published" and case.decided_by == world.officer
    assert list(selectors.published_cases(world.city)) == [case]
    assert not selectors.published_cases(world.other_county).exists()

    other = services.submit_case(acc=acc, title="课后服务", summary="摘要", body="正文")
    with pytest.raises(ValidationError) as exc:
        services.decide_case(acc=officer_acc(world), case=other, publish=False, reason="")
    assert "reason" in exc.value.error_dict
    services.decide_case(acc=officer_acc(world), case=other, publish=False, reason="内容不足")
    other.refresh_from_db()
    assert other.status == "declined" and other.decline_reason == "内容不足"
    with pytest.raises(ValidationError):
        services.decide_case(acc=officer_acc(world), case=other, publish=True)


def test_case_validation_and_denials(world):
    acc = principal_acc(world)
    with pytest.raises(ValidationError) as exc:
        services.submit_case(acc=acc, title="", summary="s", body="b")
    assert "title" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.submit_case(acc=acc, title="t" * 101, summary="s", body="b")
    assert "title" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.submit_case(
            acc=access_school(world.head_teacher, world.school.id), title="t", summary="s", body="b"
        )
    case = services.submit_case(acc=acc, title="t", summary="s", body="b")
    with pytest.raises(PermissionDenied):  # a school cannot publish its own case
        services.decide_case(acc=acc, case=case, publish=True)
    with pytest.raises(PermissionDenied):
        services.decide_case(
            acc=access_school(world.inspector, world.school.id), case=case, publish=True
        )
    assert GoodPractice.objects.get().status == "submitted"
