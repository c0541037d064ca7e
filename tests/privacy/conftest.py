"""Fixtures for the privacy tests: clips with real files in a throw-away clip storage."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from emotions.models import Clip, ClipStatus, EmotionReading, ReadingSource
from emotions.services import reading_build
from ml import EMOTIONS

# A few bytes that look like the start of an MP4 file; the privacy code never decodes them.
FAKE_VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)


@pytest.fixture(autouse=True)
def clip_storage(settings, tmp_path):
    """Every test gets an empty private clip storage of its own."""
    settings.CLIP_STORAGE_ROOT = tmp_path / "clip-storage"
    settings.CLIP_STORAGE_ROOT.mkdir()
    return settings.CLIP_STORAGE_ROOT


@pytest.fixture
def make_clip(db):
    def make(
        *,
        visitor,
        exhibit,
        status: str = ClipStatus.DONE,
        keep_file: bool = False,
        with_file: bool = True,
        created_at: datetime | None = None,
    ) -> Clip:
        clip = Clip(
            visitor=visitor,
            exhibit=exhibit,
            status=status,
            keep_file=keep_file,
            original_name="me-at-the-museum.mp4",
            size_bytes=len(FAKE_VIDEO),
            created_at=created_at or timezone.now(),
        )
        if status == ClipStatus.PROCESSING:
            clip.lease_token = uuid.uuid4()
            clip.heartbeat_at = timezone.now()
        if with_file:
            clip.file.save("clip.mp4", ContentFile(FAKE_VIDEO), save=False)
        clip.save()
        return clip

    return make


def probabilities(top: str = "happy", value: float = 0.7) -> dict[str, float]:
    rest = (1.0 - value) / (len(EMOTIONS) - 1)
    return {name: value if name == top else rest for name in EMOTIONS}


@pytest.fixture
def make_reading(db):
    def make(*, exhibit, recorded_at, visitor=None, visit=None, clip=None, top="happy"):
        reading = reading_build(
            exhibit=exhibit,
            probabilities=probabilities(top),
            recorded_at=recorded_at,
            visitor=visitor,
            visit=visit,
            source=ReadingSource.CLIP if clip else ReadingSource.LIVE,
            clip=clip,
            offset_seconds=0.0 if clip else None,
        )
        reading.save()
        return reading

    return make


def reading_count(**filters) -> int:
    return EmotionReading.objects.filter(**filters).count()
