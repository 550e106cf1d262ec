"""Complaint services and selectors (SV-03, SV-04): the lifecycle and its refusals, who sees
what, deadlines with holidays and pauses, escalation, uploads and the exposure board."""

from datetime import date, datetime, time

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from shuangjian.complaints import selectors, services
from shuangjian.complaints.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    ExposureCase,
    HandlingLimit,
)
from shuangjian.errors import RuleViolation
from shuangjian.notify.models import Notification
from shuangjian.org.models import RegionRole
from tests.world import make_user

pytestmark = pytest.mark.django_db

NAME, CONTACT = "王秀英", "13712345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def at(d: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour)))


def file(w, *, real_name=True, now=None, **kw):
    data = {
        "school": w.school,
        "category": "homework_overload",
        "description": "三年级(1)班每天数学作业写到九点半以后。我是王秀英，电话13712345678。",
        "real_name": real_name,
        "complainant_name": NAME if real_name else "",
        "complainant_contact": CONTACT,
        "now": now,
    }
    data.update(kw)
    return services.file_complaint(**data)


FACTS = "三年级(1)班每天数学书面作业量较大，学生完成时间超过一小时。"


def to_school(w, c, now=None):
    services.assign(actor=w.officer, complaint=c, owner=w.officer, now=now)
    return services.request_verification(
        actor=w.officer,
        complaint=c,
        request="请学校核查并于五个工作日内书面报告。",
        description_for_school=FACTS,
        now=now,
    )


def to_rectifying(w, c):
    to_school(w, c)
    services.submit_school_verification(actor=w.principal, complaint=c, report="情况属实。")
    services.record_finding(
        actor=w.officer, complaint=c, finding="substantiated", text="督学到校核查属实。"
    )
    return services.require_rectification(
        actor=w.officer, complaint=c, requirement="立即整改，十个工作日内报送整改报告。"
    )


def refused(code, field=None):
    """pytest.raises for a RuleViolation with this code (and field)."""

    class _Check:
        def __enter__(self):
            self.ctx = pytest.raises(RuleViolation)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            result = self.ctx.__exit__(*exc)
            assert self.info.value.code == code, self.info.value.code
            if field is not None:
                assert self.info.value.field == field, self.info.value.field
            return result

    return _Check()


# -- Filing -------------------------------------------------------------------------------------


def test_filing_gives_a_code_once_stores_only_its_hash_and_tells_the_county(world):
    filing = file(world, now=at(date(2026, 9, 28)))
    c = filing.complaint
    code = filing.tracking_code
    raw = code.replace("-", "")
    assert len(raw) == 16 and set(raw) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    assert code not in c.code_hash and raw not in c.code_hash
    assert (c.status, c.county, c.limit_days) == ("received", world.county, 15)
    assert c.deadline == date(2026, 10, 23)  # 15 working days over National Day (see rules)
    assert services.find_by_code(code.lower().replace("-", " ")) == c
    assert services.find_by_code("2345-6789-ABCD-EFGH") is None
    assert c.events.get().action == "filed"
    assert Notification.objects.filter(user=world.officer, kind="complaint_filed").exists()
    assert not Notification.objects.filter(user=world.other_officer).exists()
    assert file(world).tracking_code != code


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"description": "  "}, "required", "description"),
        ({"description": "多" * 5001}, "too_long", "description"),
        ({"category": "gossip"}, "invalid", "category"),
        ({"complainant_name": ""}, "required", "complainant_name"),
        ({"real_name": False, "complainant_name": "王秀英"}, "invalid", "complainant_name"),
        ({"complainant_contact": "call me"}, "invalid", "complainant_contact"),
        ({"complainant_contact": ""}, "required", "complainant_contact"),
    ],
)
def test_bad_filing_names_the_field_and_stores_nothing(world, kw, code, field):
    with refused(code, field):
        file(world, **kw)
    assert not Complaint.objects.exists()


def test_anonymous_filing_needs_no_name_nor_contact(world):
    c = file(world, real_name=False, complainant_contact="").complaint
    assert (c.real_name, c.complainant_name, c.complainant_contact) == (False, "", "")


def test_a_region_may_shorten_the_handling_limit(world):
    with pytest.raises(RuleViolation) as info:
        services.set_handling_limit(actor=world.officer, region=world.county, working_days=20)
    assert (info.value.code, info.value.field) == ("looser_than_default", "working_days")
    with pytest.raises(PermissionDenied):
        services.set_handling_limit(actor=world.inspector, region=world.county, working_days=10)
    services.set_handling_limit(actor=world.officer, region=world.county, working_days=10)
    assert HandlingLimit.objects.get().working_days == 10
    c = file(world, now=at(date(2026, 9, 28))).complaint
    assert (c.limit_days, c.deadline) == (10, date(2026, 10, 16))


# -- Uploads ----------------------------------------------------------------------------------


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def media_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_photos_and_pdfs_are_stored_with_their_real_type(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = [
        upload("a.png", PNG),
        upload("b.JPG", JPEG, "image/jpeg"),
        upload("c.webp", WEBP, "image/webp"),
        upload("d.pdf", PDF, "application/pdf"),
        upload("no-extension", JPEG, "application/octet-stream"),
    ]
    c = file(world, files=files).complaint
    rows = list(c.attachments.order_by("id"))
    assert [a.content_type for a in rows] == [
        "image/png",
        "image/jpeg",
        "image/webp",
        "application/pdf",
        "image/jpeg",
    ]
    assert [a.original_name for a in rows][:2] == ["a.png", "b.JPG"]
    assert all(a.file.name.startswith("complaints/") for a in rows)
    assert len(media_files(tmp_path)) == 5
    assert all(len(a.file.name.rsplit("/", 1)[1].split(".")[0]) == 32 for a in rows)  # random


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([upload("photo.png", EXE)], "file_type"),  # an .exe renamed .png: refused by content
        ([upload("ok.png", PNG), upload("evil.pdf", b"<html>", "application/pdf")], "file_type"),
        ([upload("big.png", PNG + b"\x00" * (5 * 1024 * 1024))], "file_too_large"),
        ([upload(f"{n}.png", PNG) for n in range(6)], "too_many_files"),
        ([upload("empty.png", b"")], "file_type"),
    ],
)
def test_one_bad_file_refuses_the_filing_and_stores_nothing(world, settings, tmp_path, files, code):
    settings.MEDIA_ROOT = tmp_path
    with refused(code, "files"):
        file(world, files=files)
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
    assert media_files(tmp_path) == []


def test_a_failure_after_storing_removes_the_stored_files(world, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path

    def boom(*args, **kwargs):
        raise RuntimeError("notification failed")

    monkeypatch.setattr(services, "_tell_bureau", boom)
    with pytest.raises(RuntimeError):
        file(world, files=[upload("a.png", PNG), upload("b.pdf", PDF)])
    assert Complaint.objects.count() == 0
    assert media_files(tmp_path) == []


# -- Lifecycle ---------------------------------------------------------------------------------


def test_the_whole_lifecycle_with_an_event_for_every_step(world):
    c = file(world).complaint
    services.assign(actor=world.officer, complaint=c, owner=world.officer)
    c = services.request_verification(
        actor=world.officer,
        complaint=c,
        request="请核查。",
        description_for_school=FACTS,
    )
    assert c.status == "verifying"
    assert Notification.objects.filter(user=world.principal, kind="complaint_verification")
    assert Notification.objects.filter(user=world.academic, kind="complaint_verification")
    assert not Notification.objects.filter(user=world.head_teacher).exists()
    note = Notification.objects.get(user=world.principal)
    assert NAME not in note.title + note.body and CONTACT not in note.title + note.body

    c = services.submit_school_verification(actor=world.academic, complaint=c, report="属实。")
    assert c.status == "finding"
    c = services.record_finding(
        actor=world.officer, complaint=c, finding="substantiated", text="属实。"
    )
    c = services.require_rectification(actor=world.officer, complaint=c, requirement="整改。")
    assert c.status == "rectifying"
    c = services.submit_rectification(actor=world.principal, complaint=c, report="已整改。")
    c = services.close(actor=world.officer, complaint=c, reply="已处理，感谢监督。")
    assert (c.status, c.closed_on) == ("closed", timezone.localdate())
    steps = list(c.events.values_list("action", "from_status", "to_status", "side"))
    assert steps == [
        ("filed", "", "received", "complainant"),
        ("assign", "received", "assigned", "bureau"),
        ("request_verification", "assigned", "verifying", "bureau"),
        ("school_verification", "verifying", "finding", "school"),
        ("finding", "finding", "finding", "bureau"),
        ("require_rectification", "finding", "rectifying", "bureau"),
        ("rectification", "rectifying", "rectifying", "school"),
        ("close", "rectifying", "closed", "bureau"),
    ]


def test_bad_transitions_are_refused_and_change_nothing(world):
    c = file(world).complaint
    with refused("bad_transition", "status"):
        services.request_verification(
            actor=world.officer, complaint=c, request="请核查。", description_for_school=FACTS
        )
    with refused("bad_transition"):
        services.submit_school_verification(actor=world.principal, complaint=c, report="x")
    with refused("bad_transition"):
        services.close(actor=world.officer, complaint=c, reply="x")
    to_school(world, c)
    with refused("bad_transition"):
        services.require_rectification(actor=world.officer, complaint=c, requirement="x")
    with refused("bad_transition"):
        services.submit_rectification(actor=world.principal, complaint=c, report="x")
    services.submit_school_verification(actor=world.principal, complaint=c, report="不属实。")
    with refused("finding_required", "finding"):
        services.close(actor=world.officer, complaint=c, reply="x")
    services.record_finding(
        actor=world.officer, complaint=c, finding="not_substantiated", text="不属实。"
    )
    with refused("not_substantiated", "finding"):
        services.require_rectification(actor=world.officer, complaint=c, requirement="x")
    services.close(actor=world.officer, complaint=c, reply="经核查不属实。")
    events = ComplaintEvent.objects.filter(complaint=c).count()
    for call in (
        lambda: services.assign(actor=world.officer, complaint=c, owner=world.officer),
        lambda: services.pause_for_complainant(actor=world.officer, complaint=c, question="?"),
        lambda: services.reply_as_complainant(complaint=c, text="还有问题"),
        lambda: services.set_special_supervision(actor=world.officer, complaint=c, on=True),
        lambda: services.close(actor=world.officer, complaint=c, reply="again"),
    ):
        with refused("bad_transition"):
            call()
    assert ComplaintEvent.objects.filter(complaint=c).count() == events
    assert Complaint.objects.get(id=c.id).status == "closed"


def test_closing_a_rectification_needs_the_schools_report(world):
    c = to_rectifying(world, file(world).complaint)
    with refused("rectification_missing", "rectification"):
        services.close(actor=world.officer, complaint=c, reply="x")


def test_bad_input_names_the_field(world):
    c = file(world).complaint
    with refused("invalid", "owner"):
        services.assign(actor=world.officer, complaint=c, owner=world.inspector)
    with refused("invalid", "owner"):
        services.assign(actor=world.officer, complaint=c, owner=world.other_officer)
    services.assign(actor=world.officer, complaint=c, owner=world.officer)
    with refused("required", "request"):
        services.request_verification(
            actor=world.officer, complaint=c, request=" ", description_for_school=FACTS
        )
    # The facts shown to the school may not carry the complainant's name or number.
    with refused("identifies_complainant", "description_for_school"):
        services.request_verification(
            actor=world.officer,
            complaint=c,
            request="请核查。",
            description_for_school=c.description,
        )
    with refused("identifies_complainant", "request"):
        services.request_verification(
            actor=world.officer,
            complaint=c,
            request=f"请联系{NAME}核实。",
            description_for_school=FACTS,
        )
    to_school(world, c)
    with refused("invalid", "finding"):
        services.record_finding(actor=world.officer, complaint=c, finding="maybe", text="x")
    with refused("required", "finding_text"):
        services.record_finding(actor=world.officer, complaint=c, finding="partly", text="")
    assert Complaint.objects.get(id=c.id).status == "verifying"


def test_only_officers_above_the_school_and_the_schools_leaders_act(world):
    c = file(world).complaint
    for user in (world.inspector, world.other_officer, world.principal, world.parent):
        with pytest.raises(PermissionDenied):
            services.assign(actor=user, complaint=c, owner=world.officer)
    city = make_user("city_officer")
    RegionRole.objects.create(user=city, region=world.city, kind="officer")
    services.assign(actor=city, complaint=c, owner=world.officer)  # a region above may act
    to_school(world, c)
    for user in (world.head_teacher, world.duty_leader, world.outsider, world.officer):
        with pytest.raises(PermissionDenied):
            services.submit_school_verification(actor=user, complaint=c, report="x")


# -- Who sees what ---------------------------------------------------------------------------


def test_the_school_selector_returns_facts_only(world):
    filing = file(world)
    c = to_school(world, filing.complaint)
    services.pause_for_complainant(actor=world.officer, complaint=c, question="请补充日期。")
    services.reply_as_complainant(complaint=c, text="是上周二，王秀英。")
    cases = selectors.school_cases(world.school)
    assert len(cases) == 1
    case = cases[0]
    assert case.facts == FACTS and case.awaits_verification
    assert [r.action for r in case.requests] == ["request_verification"]
    dump = repr(cases)
    for secret in (NAME, CONTACT, filing.tracking_code, "real_name", "上周二", "请补充日期"):
        assert secret not in dump
    assert not {"real_name", "complainant_name", "complainant_contact", "code_hash"} & set(
        case.__dataclass_fields__
    )
    # Cases not yet brought to the school, and other schools' cases, are not there.
    file(world)
    file(world, school=world.other_school)
    assert len(selectors.school_cases(world.school)) == 1
    assert selectors.school_cases(world.other_school) == []


def test_the_public_view_shows_the_steps_meant_for_the_complainant(world):
    c = to_school(world, file(world).complaint)
    services.pause_for_complainant(actor=world.officer, complaint=c, question="请补充日期。")
    public = selectors.public_case(Complaint.objects.get(id=c.id))
    assert public.paused and public.question == "请补充日期。"
    assert [s.action for s in public.timeline] == [
        "filed",
        "assign",
        "request_verification",
        "pause",
    ]
    assert "请学校核查" not in repr(public)  # the bureau's request to the school is internal
    assert "actor" not in public.timeline[0].__dataclass_fields__  # no officer's name
    assert not {"owner", "complainant_name", "complainant_contact"} & set(
        public.__dataclass_fields__
    )


# -- Pauses and escalation -------------------------------------------------------------------


def test_pause_and_resume_recompute_the_deadline(world):
    c = file(world, now=at(date(2026, 9, 28))).complaint
    assert c.deadline == date(2026, 10, 23)
    c = services.pause_for_complainant(
        actor=world.officer, complaint=c, question="请补充。", now=at(date(2026, 10, 12))
    )
    with refused("already_paused"):
        services.pause_for_complainant(actor=world.officer, complaint=c, question="again")
    assert not c.is_overdue(date(2026, 11, 30))  # the clock is stopped
    c = services.resume(actor=world.officer, complaint=c, now=at(date(2026, 10, 14)))
    assert (c.deadline, c.paused_since) == (date(2026, 10, 27), None)
    with refused("not_paused"):
        services.resume(actor=world.officer, complaint=c)
    # The complainant's answer also starts the clock again.
    services.pause_for_complainant(
        actor=world.officer, complaint=c, question="还有？", now=at(date(2026, 10, 19))
    )
    c = services.reply_as_complainant(complaint=c, text="没有了。", now=at(date(2026, 10, 20)))
    assert c.deadline == date(2026, 10, 28)
    assert list(c.events.values_list("action", flat=True))[-3:] == [
        "pause",
        "complainant_reply",
        "resume",
    ]


def test_escalation_is_idempotent_and_tells_the_city(world, capsys):
    city = make_user("city_officer")
    RegionRole.objects.create(user=city, region=world.city, kind="officer")
    # Due 2026-09-21: Sunday 09-20 is a make-up working day (调休) for Mid-Autumn.
    late = file(world, now=at(date(2026, 9, 1))).complaint
    paused = file(world, now=at(date(2026, 9, 1))).complaint
    services.pause_for_complainant(
        actor=world.officer, complaint=paused, question="?", now=at(date(2026, 9, 10))
    )
    closed = to_rectifying(world, file(world, now=at(date(2026, 9, 1))).complaint)
    services.submit_rectification(actor=world.principal, complaint=closed, report="已整改。")
    services.close(actor=world.officer, complaint=closed, reply="已办结。")
    file(world, now=at(date(2026, 9, 21)))  # not due yet
    assert late.deadline == date(2026, 9, 21)

    assert services.escalate_overdue(today=date(2026, 9, 21)) == []  # due today: not late
    done = services.escalate_overdue(today=date(2026, 9, 22))
    assert [c.id for c in done] == [late.id]
    late.refresh_from_db()
    assert late.escalated_to == world.city and late.escalated_at is not None
    assert late.events.filter(action="escalate", side="system").count() == 1
    assert Notification.objects.filter(user=city, kind="complaint_escalated").count() == 1
    assert services.escalate_overdue(today=date(2026, 9, 24)) == []
    call_command("escalate_complaints", today="2026-09-25")
    assert "0 complaint(s) escalated" in capsys.readouterr().out
    assert late.events.filter(action="escalate").count() == 1
    assert Notification.objects.filter(user=city, kind="complaint_escalated").count() == 1


def test_special_supervision_is_recorded_once(world):
    c = file(world).complaint
    services.set_special_supervision(actor=world.officer, complaint=c, on=True, note="挂牌")
    services.set_special_supervision(actor=world.officer, complaint=c, on=True)
    assert c.events.filter(action="special_supervision").count() == 1
    assert Complaint.objects.get(id=c.id).special_supervision
    with pytest.raises(PermissionDenied):
        services.set_special_supervision(actor=world.inspector, complaint=c, on=False)


# -- Exposure board --------------------------------------------------------------------------


def test_exposure_needs_a_substantiated_case_and_carries_no_personal_data(world):
    c = to_school(world, file(world).complaint)
    with refused("not_substantiated", "finding"):
        services.publish_exposure(actor=world.officer, complaint=c, title="t", summary="s")
    services.submit_school_verification(actor=world.principal, complaint=c, report="属实。")
    services.record_finding(actor=world.officer, complaint=c, finding="partly", text="部分属实。")
    with refused("identifies_complainant", "summary"):
        services.publish_exposure(
            actor=world.officer, complaint=c, title="作业超量", summary=f"家长{NAME}反映……"
        )
    with refused("identifies_complainant", "summary"):
        services.publish_exposure(
            actor=world.officer, complaint=c, title="作业超量", summary="联系电话13900001111"
        )
    with refused("personal_data", "title"):
        services.publish_exposure(
            actor=world.officer, complaint=c, title="张小明作业超量", summary="经核查……"
        )
    with pytest.raises(PermissionDenied):
        services.publish_exposure(
            actor=world.inspector, complaint=c, title="作业超量", summary="经核查……"
        )
    case = services.publish_exposure(
        actor=world.officer,
        complaint=c,
        title="北票市实验学校三年级作业超量",
        summary="经县教育局核查，该校三年级数学书面作业超出规定时长，已责令整改。",
    )
    assert (case.school_name, case.category, case.region) == (
        world.school.name,
        "homework_overload",
        world.county,
    )
    with refused("already_published"):
        services.publish_exposure(actor=world.officer, complaint=c, title="x", summary="y")
    fields = {f.name for f in ExposureCase._meta.get_fields()}
    assert not {f for f in fields if "complainant" in f or "real_name" in f or "contact" in f}
    values = " ".join(str(v) for v in ExposureCase.objects.values().get().values())
    assert NAME not in values and CONTACT not in values
    assert list(selectors.exposure_cases(world.city)) == [case]
    assert list(selectors.exposure_cases(world.other_county)) == []
