"""No code path keeps raw images: not in the database, not on disk, except the opted-in clips.

The real round trips run with the real model: frames of real faces over the camera socket,
two recorded clips analysed by the (eager) clip task, one kept by the visitor's choice and one
not, and an image sent to the API's analysis endpoint. Then

- every file under MEDIA_ROOT, the process's temporary folder and the repository that is new
  or changed must not be an image or a video, and the clip store must hold exactly the kept
  clip;
- every text, binary and JSON column of every model (found through ``apps.get_models()``) is
  scanned for image bytes, base64-encoded images and data: URLs.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.core.files import File
from django.db import models
from django.test import Client

from emotions import clips
from emotions.models import Clip, ClipStatus, EmotionReading
from museum_site.privacy import services as privacy_services
from tests.emotions.live_support import (
    face_frames,
    open_camera,
    receive_json,
    session_headers,
    stream_until_faces,
)
from tests.faces import faces_of, frame_with_faces, jpeg_of

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".ruff_cache", "test-artifacts"}
MEDIA_SUFFIXES = {
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm",
    ".y4m", ".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".npy", ".npz",
}  # fmt: skip
IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"RIFF",  # WebP, AVI
    b"\x1aE\xdf\xa3",  # WebM, Matroska
    b"YUV4MPEG2",
    b"\x93NUMPY",
)
# How images look inside text: base64 of JPEG/PNG headers, data: URLs, JPEG bytes as Latin-1.
TEXT_SIGNATURES = ("/9j/", "iVBORw0KGgo", "data:image", "data:video", "\xff\xd8\xff")


def is_media_bytes(head: bytes) -> bool:
    return head.startswith(IMAGE_SIGNATURES) or head[4:8] == b"ftyp"  # MP4/MOV at offset 4


def is_media_file(path: Path) -> bool:
    if path.suffix.lower() in MEDIA_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            return is_media_bytes(handle.read(16))
    except OSError:
        return False


def snapshot(roots: list[Path]) -> dict[Path, tuple[int, int]]:
    files: dict[Path, tuple[int, int]] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            if SKIPPED_DIRS.intersection(path.relative_to(root).parts):
                continue
            try:
                if path.is_file():
                    stat = path.stat()
                    files[path] = (stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue  # removed while we looked (other engineers share the checkout)
    return files


def new_media_files(before: dict, after: dict) -> list[Path]:
    return sorted(
        path for path, stat in after.items() if before.get(path) != stat and is_media_file(path)
    )


def value_has_image(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return any(signature in data for signature in IMAGE_SIGNATURES)
    text = value if isinstance(value, str) else repr(value)
    return any(signature in text for signature in TEXT_SIGNATURES)


def database_images() -> list[str]:
    """``app.Model.field #pk`` of every stored value that holds an image, over every model."""
    found = []
    kinds = (models.CharField, models.TextField, models.BinaryField, models.JSONField)
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for row in model._base_manager.values_list("pk", *names).iterator():
            for name, value in zip(names, row[1:], strict=True):
                if value_has_image(value):
                    found.append(f"{model._meta.label}.{name} #{row[0]}")
    return found


def write_video(path: Path, faces: list[np.ndarray], *, seconds: int = 3, fps: int = 10) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    assert writer.isOpened()
    try:
        for second in range(seconds):
            frame = frame_with_faces([faces[second % len(faces)]], size=(640, 480), face_px=200)
            for _ in range(fps):
                writer.write(frame)
    finally:
        writer.release()
    return path


# --- The detectors detect -------------------------------------------------------------------


def test_the_detectors_recognise_images_in_every_disguise(tmp_path):
    jpeg = jpeg_of(np.zeros((8, 8, 3), dtype=np.uint8))
    _, png = cv2.imencode(".png", np.zeros((8, 8), dtype=np.uint8))
    for value in (
        jpeg,
        b"prefix" + png.tobytes(),
        base64.b64encode(jpeg).decode(),
        {"frame": base64.b64encode(png.tobytes()).decode()},
        "data:image/webp;base64,UklGR",
        jpeg.decode("latin-1"),
    ):
        assert value_has_image(value), value
    assert not value_has_image({"t": 1, "label": "happy", "probabilities": {"happy": 0.9}})

    before = snapshot([tmp_path])
    (tmp_path / "frame.bin").write_bytes(jpeg)
    (tmp_path / "notes.txt").write_text("no image here")
    assert new_media_files(before, snapshot([tmp_path])) == [tmp_path / "frame.bin"]


# --- The round trips ------------------------------------------------------------------------


def test_no_code_path_keeps_raw_images(
    visitor, exhibit, fer_val_path, settings, tmp_path, monkeypatch, clip_storage
):
    settings.MEDIA_ROOT = tmp_path / "media"
    process_tmp = tmp_path / "process-tmp"
    process_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(process_tmp))
    profile = visitor.visitor_profile
    frames = face_frames(fer_val_path, 3)
    faces = list(faces_of(fer_val_path, "happy", 3))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    plain_video = write_video(inputs / "plain.mp4", faces)
    kept_video = write_video(inputs / "kept.mp4", faces)
    api_image = jpeg_of(frame_with_faces(faces[:1], size=(640, 480), face_px=200))
    watched = [settings.MEDIA_ROOT, process_tmp, REPO]
    before = snapshot(watched)

    # 1. The live camera: real faces over the socket, results back, readings on close.
    headers = session_headers(visitor)

    async def camera_round_trip() -> None:
        socket = await open_camera(exhibit.slug, headers)
        # The face shows once the whole-frame search after the first answer has found it.
        answers = await stream_until_faces(socket, frames[0])
        assert answers[-1]["faces"], answers
        for frame in frames[1:]:
            await socket.send_to(bytes_data=frame)
            assert (await receive_json(socket, timeout=60))["type"] == "result"
        await socket.disconnect()

    async_to_sync(camera_round_trip)()

    # 2. Two clips analysed by the task: one deleted after analysis, one kept by opt-in.
    with plain_video.open("rb") as handle:
        plain = clips.clip_create(visitor=profile, exhibit=exhibit, file=File(handle, "a.mp4"))
    privacy_services.consent_grant(profile=profile, keep_media=True)
    with kept_video.open("rb") as handle:
        kept = clips.clip_create(visitor=profile, exhibit=exhibit, file=File(handle, "b.mp4"))

    # 3. One image through the API's analysis endpoint.
    client = Client()
    client.force_login(visitor)
    response = client.post("/api/v1/analyse/", data=api_image, content_type="image/jpeg")
    assert response.status_code == 200, response.content

    # The round trips really ran.
    plain.refresh_from_db()
    kept.refresh_from_db()
    assert plain.status == kept.status == ClipStatus.DONE
    assert EmotionReading.objects.filter(visitor=profile, source="live").exists()
    assert EmotionReading.objects.filter(visitor=profile, source="clip").exists()

    # Disk: nothing new that is an image or a video, but the kept clip in the clip store.
    assert new_media_files(before, snapshot(watched)) == []
    stored = sorted(p.relative_to(clip_storage).as_posix() for p in clip_storage.rglob("*.*"))
    assert (plain.file.name, kept.keep_file) == ("", True)
    assert stored == [kept.file.name]
    # Database: no image bytes, base64 image or data: URL in any column of any model.
    assert Clip.objects.count() == 2
    assert database_images() == []
