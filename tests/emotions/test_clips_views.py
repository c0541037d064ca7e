"""Clip pages: upload (form and recorder JSON), the clip page and its status JSON."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from emotions.models import Clip, ClipStatus
from museum_site.core.models import Visit
from tests.emotions import test_clips
from tests.emotions.test_clips import make_clip, stored_files

# Fixtures shared with the service tests.
clip_storage = test_clips.clip_storage
face_video = test_clips.face_video
clip_faces = test_clips.clip_faces

JSON = {"HTTP_ACCEPT": "application/json"}


def upload_url(exhibit) -> str:
    return reverse("emotions:clip_upload", kwargs={"slug": exhibit.slug})


def video_upload(path: Path, name: str = "visit.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, path.read_bytes(), content_type="video/mp4")


def assert_csp_clean(html: str) -> None:
    """default-src 'self': no inline scripts, handlers or style attributes."""
    for script in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script or 'type="application/json"' in script, script
    assert not re.search(r"\son[a-z]+=", html)
    assert " style=" not in html


# --- Access ---------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, exhibit, visitor, clip_storage, face_video):
    clip = make_clip(visitor, exhibit, face_video)
    for url in (
        upload_url(exhibit),
        reverse("emotions:clip_detail", kwargs={"pk": clip.pk}),
        reverse("emotions:clip_status", kwargs={"pk": clip.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_asks_for_consent_first(client, make_visitor, exhibit) -> None:
    client.force_login(make_visitor("erin", consent=False))
    response = client.get(upload_url(exhibit))
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('core:consent')}?next=%2Fexhibits%2F{exhibit.slug}%2Fclips%2Fnew%2F"
    )
    response = client.post(upload_url(exhibit), {}, **JSON)
    assert response.status_code == 403


def test_it_hides_other_visitors_clips(
    client, visitor, outsider, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    client.force_login(outsider)
    assert client.get(reverse("emotions:clip_detail", kwargs={"pk": clip.pk})).status_code == 404
    assert client.get(reverse("emotions:clip_status", kwargs={"pk": clip.pk})).status_code == 404


def test_the_exhibit_page_links_to_the_clip_page(client, exhibit) -> None:
    response = client.get(exhibit.get_absolute_url())
    assert upload_url(exhibit) in response.content.decode()


# --- Upload ---------------------------------------------------------------------------------


def test_it_shows_the_upload_and_record_page(client, visitor, exhibit) -> None:
    client.force_login(visitor)
    response = client.get(upload_url(exhibit))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="video/mp4,video/webm,video/quicktime,.mp4,.webm,.mov"' in html
    assert 'id="clip-recorder"' in html and 'data-max-seconds="300"' in html
    assert "emotions/recorder.js" in html
    assert "deleted as soon as it has been analysed" in html
    assert_csp_clean(html)


def test_it_accepts_a_video_and_leads_to_the_clip_page(
    client, visitor, exhibit, clip_storage, face_video
) -> None:
    client.force_login(visitor)
    response = client.post(upload_url(exhibit), {"file": video_upload(face_video)})
    clip = Clip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("emotions:clip_detail", kwargs={"pk": clip.pk})
    assert clip.visitor == visitor.visitor_profile and clip.exhibit == exhibit
    assert clip.original_name == "visit.mp4"
    assert clip.status == ClipStatus.QUEUED
    assert clip.visit == Visit.objects.get(visitor=visitor.visitor_profile)
    assert len(stored_files(clip_storage)) == 1

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="clip-progress"' in html and "Queued" in html
    assert reverse("emotions:clip_status", kwargs={"pk": clip.pk}) in html
    assert_csp_clean(html)

    status = client.get(reverse("emotions:clip_status", kwargs={"pk": clip.pk}))
    assert status["Cache-Control"].startswith("max-age=0")
    assert status.json() == {
        "id": clip.pk,
        "status": "queued",
        "status_label": "Queued",
        "progress": 0.0,
        "finished": False,
        "error": "",
        "url": reverse("emotions:clip_detail", kwargs={"pk": clip.pk}),
        "status_url": reverse("emotions:clip_status", kwargs={"pk": clip.pk}),
    }


def test_the_recorder_gets_json(client, visitor, exhibit, clip_storage, face_video) -> None:
    client.force_login(visitor)
    upload = SimpleUploadedFile(
        "recording.webm", face_video.read_bytes(), content_type="video/webm"
    )
    response = client.post(upload_url(exhibit), {"file": upload}, **JSON)
    assert response.status_code == 201
    clip = Clip.objects.get()
    assert response.json()["url"] == reverse("emotions:clip_detail", kwargs={"pk": clip.pk})

    response = client.post(upload_url(exhibit), {}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0]["message"] == "Choose a video to send."


def test_it_refuses_a_file_that_is_not_a_video(client, visitor, exhibit, clip_storage) -> None:
    client.force_login(visitor)
    fake = SimpleUploadedFile("holiday.mp4", b"GIF89a" + b"\x00" * 5000, content_type="video/mp4")
    response = client.post(upload_url(exhibit), {"file": fake})
    assert response.status_code == 400
    assert "not a video we can read" in response.content.decode()
    assert not Clip.objects.exists() and not Visit.objects.exists()
    assert stored_files(clip_storage) == []


def test_it_refuses_a_video_over_the_size_limit_while_reading_it(
    settings, client, visitor, exhibit, clip_storage, face_video
) -> None:
    # The body is within the declared-length allowance, so the upload handler must stop it.
    settings.CLIP_MAX_BYTES = face_video.stat().st_size - 1000
    client.force_login(visitor)
    response = client.post(upload_url(exhibit), {"file": video_upload(face_video)})
    assert response.status_code == 413
    assert "The video is too large; the limit is" in response.content.decode()
    assert not Clip.objects.exists()
    assert stored_files(clip_storage) == []

    response = client.post(upload_url(exhibit), {"file": video_upload(face_video)}, **JSON)
    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["__all__"][0]["message"]


def test_it_refuses_an_oversized_request_on_its_declared_length(
    settings, client, visitor, exhibit, clip_storage, face_video
) -> None:
    settings.CLIP_MAX_BYTES = 1000
    client.force_login(visitor)
    response = client.post(upload_url(exhibit), {"file": video_upload(face_video)})
    assert response.status_code == 413
    assert "The video is too large (" in response.content.decode()
    assert not Clip.objects.exists()


def test_it_refuses_a_video_over_the_duration_limit(
    settings, client, visitor, exhibit, clip_storage, face_video
) -> None:
    settings.CLIP_MAX_SECONDS = 3
    client.force_login(visitor)
    response = client.post(upload_url(exhibit), {"file": video_upload(face_video)})
    assert response.status_code == 400
    assert "The video is 4 s long; the limit is 3 s." in response.content.decode()
    assert not Clip.objects.exists()


# --- After the analysis ---------------------------------------------------------------------


@pytest.mark.parametrize("fourcc, name", [("mp4v", "visit.mp4"), ("VP80", "visit.webm")])
def test_it_shows_the_timeline_of_an_analysed_clip(
    client,
    visitor,
    exhibit,
    clip_storage,
    clip_faces,
    tmp_path,
    django_capture_on_commit_callbacks,
    fourcc,
    name,
) -> None:
    video = test_clips.write_video(tmp_path / name, clip_faces, fourcc=fourcc)
    client.force_login(visitor)
    # Without a broker the analysis runs in-process once the clip is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(upload_url(exhibit), {"file": video_upload(video, name)})
    clip = Clip.objects.get()
    assert clip.status == ClipStatus.DONE
    assert client.get(reverse("emotions:clip_status", kwargs={"pk": clip.pk})).json()["finished"]

    html = client.get(response["Location"]).content.decode()
    assert 'id="clip-chart"' in html and 'id="clip-timeline"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert 'id="clip-progress"' not in html
    assert html.count('<th scope="row">') == test_clips.SECONDS
    assert_csp_clean(html)

    # The visitor's clips are listed on the upload page.
    listing = client.get(upload_url(exhibit)).content.decode()
    assert reverse("emotions:clip_detail", kwargs={"pk": clip.pk}) in listing


def test_it_explains_a_failed_clip(client, visitor, exhibit, clip_storage, face_video) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.NO_FACE, error="No face was found in the video."
    )
    client.force_login(visitor)
    html = client.get(reverse("emotions:clip_detail", kwargs={"pk": clip.pk})).content.decode()
    assert "No face found" in html and "No face was found in the video." in html
    assert 'id="clip-chart"' not in html


def test_staff_see_a_clip_in_the_admin_without_a_link_to_its_video(
    client, staff, visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    client.force_login(staff)
    response = client.get(reverse("admin:emotions_clip_change", args=[clip.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Queued" in html
    assert clip.file.name not in html, "the private file is neither linked nor named"
