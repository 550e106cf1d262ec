"""The reporting demo: a two-week schedule, reports (late, returned, missing), two bulletins,
published and pending cases — all written through the services."""

from io import StringIO

from django.utils import timezone

from shuangjian.indicators.demo import load_indicators_demo
from shuangjian.org import demo
from shuangjian.reporting import selectors
from shuangjian.reporting.demo import load_reporting_demo
from shuangjian.reporting.models import Bulletin, GoodPractice, ReportEvent, SchoolReport


def test_reporting_demo(db):
    demo.load_demo()
    load_indicators_demo(seed=2021)
    out = StringIO()
    counts = load_reporting_demo(seed=2021, stdout=out)
    assert "直报与通报" in out.getvalue()
    assert counts["returned"] == 1 and counts["missing"] == 1 and counts["late"] >= 1
    assert SchoolReport.objects.count() == counts["reports"]
    assert SchoolReport.objects.filter(status="returned").count() == 1
    assert SchoolReport.objects.filter(late=True).count() == counts["late"]
    for r in SchoolReport.objects.exclude(status="draft"):
        assert r.late == (timezone.localdate(r.submitted_at) > r.due)
        assert r.events.filter(action=ReportEvent.Action.SUBMITTED).exists()
    first, second = Bulletin.objects.order_by("number")
    assert second.previous == first and second.indicators == selectors.main_indicators()
    assert GoodPractice.objects.filter(status="published").count() == 2
    assert GoodPractice.objects.filter(status="submitted").count() == 1
    county = first.region
    latest = selectors.recent_periods(county)[0]
    assert selectors.period_overview(county, latest).total.missing == 1
