"""Clip upload and status through the API, over the clips pipeline (emotions.clips).

The end-to-end test sends a real video of real faces, lets the (eager) Celery task analyse it
with the real model and reads the finished clip back.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from emotions.models import Clip, ClipStatus
from ml import EMOTIONS
from museum_site.api.models import ApiScope
from museum_site.api.services import partner_grant_create
from tests.api.conftest import v1
from tests.emotions import test_clips
from tests.emotions.test_clips import SECONDS, stored_files, write_video

# Fixtures shared with the clip service tests.
clip_storage = test_clips.clip_storage
clip_faces = test_clips.clip_faces
face_video = test_clips.face_video


@pytest.fixture
def small_video(tmp_path) -> Path:
    return write_video(tmp_path / "empty.mp4", [[]], size=(160, 120))


def upload(path: Path, exhibit) -> dict:
    file = io.BytesIO(path.read_bytes())
    file.name = path.name
    return {"exhibit": exhibit.slug, "file": file}


@pytest.fixture
def alice_grant(visitor, make_key):
    writer = make_key(ApiScope.CLIPS_WRITE, name="Guide app")
    reader = make_key(ApiScope.VISITORS_READ, name="Research")
    profile = visitor.visitor_profile
    for key in (writer, reader):
        partner_grant_create(visitor=profile, partner_prefix=key.obj.prefix)
    return writer, reader


def test_it_analyses_an_uploaded_video_end_to_end(
    api, visitor, exhibit, clip_storage, face_video, django_capture_on_commit_callbacks
):
    api.force_login(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(v1("me/clips/"), upload(face_video, exhibit), format="multipart")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["exhibit"]["slug"] == exhibit.slug
    assert created["original_name"] == "faces.mp4"

    body = api.get(v1(f"me/clips/{created['id']}/")).json()
    assert body["status"] == ClipStatus.DONE and body["finished"] and body["progress"] == 1.0
    assert [entry["t"] for entry in body["timeline"]] == list(range(SECONDS))
    for entry in body["timeline"]:
        assert entry["faces"] >= 1 and entry["label"] in EMOTIONS
        assert sum(entry["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    readings = api.get(v1("me/readings/?source=clip")).json()["results"]
    assert len(readings) == SECONDS
    assert {reading["clip"] for reading in readings} == {created["id"]}
    assert [c["id"] for c in api.get(v1("me/clips/")).json()["results"]] == [created["id"]]


def test_it_refuses_bytes_that_are_not_a_video(api, visitor, exhibit, clip_storage, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"this is not a video" * 100)
    api.force_login(visitor)
    response = api.post(v1("me/clips/"), upload(fake, exhibit), format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]
    assert not Clip.objects.exists() and stored_files(clip_storage) == []


def test_it_refuses_a_declared_oversized_upload_with_413(
    api, visitor, exhibit, clip_storage, face_video, settings
):
    settings.CLIP_MAX_BYTES = 1000
    api.force_login(visitor)
    response = api.post(v1("me/clips/"), upload(face_video, exhibit), format="multipart")
    assert face_video.stat().st_size > 1000 + 64 * 1024
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Clip.objects.exists()


def test_it_cuts_off_an_upload_that_grows_past_the_limit(
    api, visitor, exhibit, clip_storage, small_video, settings
):
    settings.CLIP_MAX_BYTES = 1000
    assert 1000 < small_video.stat().st_size < 64 * 1024  # passes the declared-length check
    api.force_login(visitor)
    response = api.post(v1("me/clips/"), upload(small_video, exhibit), format="multipart")
    assert response.status_code == 413
    assert "too large" in response.json()["error"]["message"]
    assert not Clip.objects.exists() and stored_files(clip_storage) == []


def test_it_refuses_clips_without_consent(api, make_visitor, exhibit, clip_storage, small_video):
    api.force_login(make_visitor("carol", consent=False))
    response = api.post(v1("me/clips/"), upload(small_video, exhibit), format="multipart")
    assert response.status_code == 403
    assert not Clip.objects.exists()


def test_it_refuses_an_unknown_exhibit(api, visitor, db, clip_storage, small_video):
    api.force_login(visitor)
    payload = {**upload(small_video, type("E", (), {"slug": "nope"})), "exhibit": "nope"}
    response = api.post(v1("me/clips/"), payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "exhibit": ["No exhibit on display has this slug."]
    }


def test_it_requires_csrf_for_session_uploads(visitor, exhibit, clip_storage, small_video):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(visitor)
    response = api.post(v1("me/clips/"), upload(small_video, exhibit), format="multipart")
    assert response.status_code == 403
    assert not Clip.objects.exists()


def test_it_answers_404_for_another_visitors_clip(
    api, visitor, outsider, exhibit, clip_storage, small_video
):
    api.force_login(outsider)
    clip_id = api.post(v1("me/clips/"), upload(small_video, exhibit), format="multipart").json()[
        "id"
    ]
    api.force_login(visitor)
    assert api.get(v1(f"me/clips/{clip_id}/")).status_code == 404
    assert api.get(v1("me/clips/")).json()["results"] == []


def test_it_refuses_partner_keys_on_the_visitors_own_clip_routes(api, partner, small_video):
    assert api.get(v1("me/clips/"), **partner.headers).status_code == 403


# --- Partners -----------------------------------------------------------------------------


def test_it_lets_a_granted_partner_send_and_follow_a_clip(
    api, visitor, exhibit, clip_storage, small_video, alice_grant
):
    writer, reader = alice_grant
    pk = visitor.visitor_profile.pk
    response = api.post(
        v1(f"partner/visitors/{pk}/clips/"),
        upload(small_video, exhibit),
        format="multipart",
        **writer.headers,
    )
    assert response.status_code == 201, response.json()
    clip_id = response.json()["id"]
    assert Clip.objects.get(pk=clip_id).visitor == visitor.visitor_profile
    for key in (writer, reader):
        detail = api.get(v1(f"partner/visitors/{pk}/clips/{clip_id}/"), **key.headers)
        assert detail.status_code == 200 and detail.json()["status"] == ClipStatus.QUEUED
    forbidden = api.post(
        v1(f"partner/visitors/{pk}/clips/"),
        upload(small_video, exhibit),
        format="multipart",
        **reader.headers,
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "This API key lacks the 'clips:write' scope."


def test_it_refuses_partner_clips_for_visitors_who_did_not_grant(
    api, outsider, exhibit, clip_storage, small_video, alice_grant, make_visitor
):
    writer, _ = alice_grant
    pk = outsider.visitor_profile.pk
    response = api.post(
        v1(f"partner/visitors/{pk}/clips/"),
        upload(small_video, exhibit),
        format="multipart",
        **writer.headers,
    )
    assert response.status_code == 404
    assert api.get(v1(f"partner/visitors/{pk}/clips/"), **writer.headers).status_code == 404
    assert not Clip.objects.exists()


def test_it_hides_other_visitors_clips_from_a_partner(
    api, visitor, outsider, exhibit, clip_storage, small_video, alice_grant
):
    writer, _ = alice_grant
    api.force_login(outsider)
    bob_clip = api.post(v1("me/clips/"), upload(small_video, exhibit), format="multipart").json()
    api.logout()
    pk = visitor.visitor_profile.pk
    response = api.get(v1(f"partner/visitors/{pk}/clips/{bob_clip['id']}/"), **writer.headers)
    assert response.status_code == 404


def test_it_refuses_partner_clip_routes_to_keys_without_clip_scopes(
    api, make_key, visitor, alice_grant
):
    key = make_key(ApiScope.ANALYSE, ApiScope.AGGREGATES_READ)
    pk = visitor.visitor_profile.pk
    assert api.get(v1(f"partner/visitors/{pk}/clips/"), **key.headers).status_code == 403
