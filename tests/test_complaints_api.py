"""The complaints API (SV-03, SV-04): anonymous filing (JSON or multipart), tracking by code,
the exposure board, and a region's cases for its officials."""

from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuangjian.complaints import services, tracking
from shuangjian.complaints.models import Attachment, Complaint
from tests.test_api import token_for
from tests.test_complaints import CONTACT, EXE, NAME, PDF, PNG, file, to_school

pytestmark = pytest.mark.django_db


def body(w, **kw):
    return {
        "school_id": w.school.id,
        "category": "homework_overload",
        "description": "每天作业写到十点。",
        **kw,
    }


def post_json(client, data):
    return client.post("/api/v1/complaints", data, content_type="application/json")


def test_file_anonymously_as_json_and_follow_the_case(world, client):
    response = post_json(client, body(world))
    assert response.status_code == 201, response.content
    out = response.json()
    assert set(out) == {"tracking_code", "deadline", "attachments"}
    c = Complaint.objects.get()
    assert (c.real_name, out["deadline"]) == (False, c.deadline.isoformat())
    to_school(world, c)
    track = client.get(f"/api/v1/complaints/track/{out['tracking_code']}")
    assert track.status_code == 200
    facts = track.json()
    assert (facts["status"], facts["school"]) == ("verifying", world.school.name)
    assert [s["action"] for s in facts["timeline"]] == ["filed", "assign", "request_verification"]
    assert "complainant_name" not in facts and "owner" not in facts


def test_file_with_files_as_multipart(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = {
        **body(world, real_name="true", complainant_name=NAME, complainant_contact=CONTACT),
        "files": [
            SimpleUploadedFile("a.png", PNG, "image/png"),
            SimpleUploadedFile("b.pdf", PDF, "application/pdf"),
        ],
    }
    response = client.post("/api/v1/complaints", data)
    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == 2
    c = Complaint.objects.get()
    assert (c.real_name, c.complainant_name, c.attachments.count()) == (True, NAME, 2)


def test_bad_filings_are_422_with_the_field_and_store_nothing(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bad_file = client.post(
        "/api/v1/complaints",
        {**body(world), "files": [SimpleUploadedFile("x.png", EXE, "image/png")]},
    )
    assert bad_file.status_code == 422
    assert (bad_file.json()["code"], bad_file.json()["field"]) == ("file_type", "files")
    assert bad_file.json()["rule"] == "SV-03"
    for data, field in (
        (body(world, category="gossip"), "category"),
        (body(world, description=""), "description"),
        ({"category": "other", "description": "x"}, "school_id"),
        (body(world, school_id=999999), "school_id"),
        (body(world, real_name=True), "complainant_name"),
    ):
        response = post_json(client, data)
        assert response.status_code == 422, data
        assert response.json()["field"] == field, response.json()
    assert post_json(client, [1, 2]).status_code == 422
    assert (
        client.post("/api/v1/complaints", "{", content_type="application/json").status_code == 422
    )
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_unknown_codes_are_the_same_404_and_throttled(world, client, monkeypatch):
    filing = file(world)
    a = client.get("/api/v1/complaints/track/2345-6789-ABCD-EFGH")
    b = client.get("/api/v1/complaints/track/nonsense")
    assert a.status_code == b.status_code == 404
    assert a.json() == b.json() and a.json()["code"] == "not_found"
    monkeypatch.setattr(tracking, "LOOKUPS", replace(tracking.LOOKUPS, limit=2))
    throttled = client.get(f"/api/v1/complaints/track/{filing.tracking_code}")
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"


def test_public_lists_and_the_region_endpoint(world, client, password):
    c = file(world).complaint
    file(world, school=world.other_school)
    schools = client.get("/api/v1/complaints/schools", {"county": world.county.code}).json()
    assert [s["id"] for s in schools] == [world.school.id]
    assert client.get("/api/v1/exposure").json() == []
    officer = token_for(client, "officer", password)
    rows = client.get(f"/api/v1/regions/{world.county.id}/complaints", **officer).json()
    assert [(r["id"], r["complainant_name"]) for r in rows] == [(c.id, NAME)]
    bad = client.get(f"/api/v1/regions/{world.county.id}/complaints?status=lost", **officer)
    assert bad.status_code == 422
    other = token_for(client, "other_officer", password)
    assert client.get(f"/api/v1/regions/{world.county.id}/complaints", **other).status_code == 404
    principal = token_for(client, "principal", password)
    url = f"/api/v1/regions/{world.county.id}/complaints"
    assert client.get(url, **principal).status_code == 404
    assert client.get(url).status_code == 401
    assert services.find_by_code("") is None


def test_openapi_documents_both_filing_bodies(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    content = paths["/api/v1/complaints"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)
    assert "/api/v1/complaints/track/{code}" in paths
