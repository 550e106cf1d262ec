"""The complaints demo: deterministic, every state of the lifecycle, and the stories it tells."""

import hashlib
from datetime import date
from io import StringIO

import pytest

from shuangjian.complaints import demo as cp_demo
from shuangjian.complaints import selectors, services
from shuangjian.complaints.models import Complaint, ComplaintEvent, ExposureCase
from shuangjian.org import demo
from shuangjian.org.models import Region, School

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)  # a Friday


def digest() -> str:
    rows = [
        *Complaint.objects.order_by("filed_at").values_list(
            "school__code",
            "category",
            "description",
            "description_for_school",
            "real_name",
            "complainant_name",
            "complainant_contact",
            "status",
            "owner__username",
            "filed_at",
            "deadline",
            "paused_since",
            "finding",
            "closed_on",
            "special_supervision",
            "escalated_to__code",
            "code_hash",
        ),
        *ComplaintEvent.objects.order_by("at", "action").values_list(
            "complaint__filed_at", "action", "side", "actor__username", "note", "at"
        ),
        *ExposureCase.objects.order_by("published_at").values_list(
            "title", "summary", "school_name", "category", "published_at"
        ),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_demo_covers_every_state_and_is_deterministic():
    demo.load_demo()
    out = StringIO()
    result = cp_demo.load_complaints_demo(today=TODAY, stdout=out)
    assert "举报演示数据" in out.getvalue()
    assert result.counts == {
        "complaints": 13,
        "overdue": 2,  # one overdue since yesterday, one escalated earlier
        "escalated": 1,
        "supervised": 1,
        "exposure": 2,
    }
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert statuses == {"received", "assigned", "verifying", "finding", "rectifying", "closed"}
    assert Complaint.objects.filter(paused_since__isnull=False).count() == 1
    assert Complaint.objects.filter(finding="not_substantiated", status="closed").count() == 1

    escalated = Complaint.objects.get(escalated_to__isnull=False)
    assert escalated.escalated_to == Region.objects.get(code="2113")
    overdue = [c for c in Complaint.objects.all() if c.is_overdue(TODAY)]
    assert {c.escalated_to_id is None for c in overdue} == {True, False}
    # The last escalation run is already done: running it for yesterday again changes nothing.
    assert services.escalate_overdue(today=date(2026, 11, 19)) == []

    # Every code finds its case; the school side sees only facts.
    for key, code in result.codes.items():
        assert services.find_by_code(code) is not None, key
    for school in School.objects.filter(code__in=(demo.SCHOOL_1, demo.SCHOOL_2)):
        dump = repr(selectors.school_cases(school))
        for c in Complaint.objects.filter(real_name=True):
            assert c.complainant_name not in dump and c.complainant_contact not in dump
    for e in ExposureCase.objects.all():
        assert e.complaint.finding in ("substantiated", "partly")
        for c in Complaint.objects.exclude(complainant_name=""):
            assert c.complainant_name not in e.summary + e.title

    first = digest()
    with pytest.raises(cp_demo.ComplaintsDemoExists):
        cp_demo.load_complaints_demo(today=TODAY)
    demo.load_demo(reset=True)  # the org reset removes the complaints with the schools
    assert not Complaint.objects.exists() and not ExposureCase.objects.exists()
    again = cp_demo.load_complaints_demo(today=TODAY)
    assert digest() == first and again.codes == result.codes
