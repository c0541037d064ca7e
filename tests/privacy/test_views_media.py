"""Uploads are served as downloads, never as pages, and clips are never served."""

import pytest
from django.http import Http404
from django.test import RequestFactory

from museum_site.privacy.urls import media_urlpatterns
from museum_site.privacy.views import media


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "exhibits" / "2026").mkdir(parents=True)
    return settings.MEDIA_ROOT


def get(path: str):
    return media(RequestFactory().get(f"/media/{path}"), path)


def test_it_serves_uploads_as_attachments_that_cannot_run(db, media_root):
    (media_root / "exhibits" / "2026" / "kiss.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    response = get("exhibits/2026/kiss.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="kiss.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_it_never_renders_an_uploaded_page(db, media_root):
    (media_root / "exhibits" / "2026" / "evil.html").write_text("<script>alert(1)</script>")
    response = get("exhibits/2026/evil.html")
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_never_serves_a_clip_even_inside_media_root(db, media_root, settings):
    settings.CLIP_STORAGE_ROOT = media_root / "private-clips"
    (media_root / "private-clips" / "2026").mkdir(parents=True)
    (media_root / "private-clips" / "2026" / "a.mp4").write_bytes(b"video")
    for path in ("private-clips/2026/a.mp4", "exhibits/../private-clips/2026/a.mp4"):
        with pytest.raises(Http404):
            get(path)


def test_it_never_serves_a_file_a_clip_row_names(visitor, exhibit, make_clip, media_root):
    clip = make_clip(visitor=visitor.visitor_profile, exhibit=exhibit)
    (media_root / clip.file.name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / clip.file.name).write_bytes(b"video")
    with pytest.raises(Http404):
        get(clip.file.name)


def test_it_only_serves_media_in_development(settings):
    settings.DEBUG = False
    assert media_urlpatterns() == []
    settings.DEBUG = True
    [pattern] = media_urlpatterns()
    assert pattern.resolve("media/exhibits/2026/kiss.jpg").kwargs == {
        "path": "exhibits/2026/kiss.jpg"
    }
