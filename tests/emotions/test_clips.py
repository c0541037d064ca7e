"""emotions.clips: accepting clips and analysing them with the real model on real faces.

Videos are written in the test with OpenCV from FER-2013 validation faces. Helpers and the
``clip_storage`` fixture are imported by the other clip test modules.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone

from emotions import clips
from emotions.models import Clip, ClipStatus, EmotionReading, ReadingSource
from ml import EMOTIONS
from ml.inference import get_classifier
from museum_site.core import services as core_services
from tests.faces import faces_of, frame_with_faces

SECONDS = 4
FPS = 10


def write_video(
    path: Path,
    seconds: list[list[np.ndarray]],
    *,
    fps: int = FPS,
    size: tuple[int, int] = (640, 480),
    fourcc: str = "mp4v",
) -> Path:
    """A real video: second ``i`` shows the faces ``seconds[i]`` (none: an empty scene)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
    try:
        for faces in seconds:
            frame = frame_with_faces(list(faces), size=size)
            for _ in range(fps):
                writer.write(frame)
    finally:
        writer.release()
    return path


def detectable_faces(npz_path: Path, emotion: str, count: int) -> list[np.ndarray]:
    """Real faces of ``emotion`` that OpenCV's face detector finds once pasted into a frame.

    Not every FER-2013 crop is found by the Haar cascade; the clip tests are about the
    pipeline, so they use faces the detector sees (the model's answer is not assumed).
    """
    detector = get_classifier().detector
    found = []
    for face in faces_of(npz_path, emotion, count * 10):
        gray = cv2.cvtColor(frame_with_faces([face, face]), cv2.COLOR_BGR2GRAY)
        if len(detector.detect(gray)) == 2:
            found.append(face)
            if len(found) == count:
                return found
    raise AssertionError(f"fewer than {count} detectable {emotion} faces")


def face_seconds(npz_path: Path, count: int = SECONDS) -> list[list[np.ndarray]]:
    """``count`` seconds alternating a happy face and a surprised and a sad face side by side."""
    happy = detectable_faces(npz_path, "happy", count)
    surprise = detectable_faces(npz_path, "surprise", count)
    sad = detectable_faces(npz_path, "sad", count)
    return [[happy[i]] if i % 2 == 0 else [surprise[i], sad[i]] for i in range(count)]


@pytest.fixture
def clip_storage(settings, tmp_path) -> Path:
    """Clip files go to a private folder of the test, never to the real one."""
    root = tmp_path / "private-clips"
    settings.CLIP_STORAGE_ROOT = root
    settings.MEDIA_ROOT = tmp_path / "media"
    return root


@pytest.fixture
def analyse(django_capture_on_commit_callbacks):
    """``clip_analyse`` with its after-commit work (deleting files) carried out."""

    def run(clip_id: int) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return clips.clip_analyse(clip_id=clip_id)

    return run


@pytest.fixture(scope="session")
def clip_faces(fer_val_path) -> list[list[np.ndarray]]:
    return face_seconds(fer_val_path)


@pytest.fixture
def face_video(clip_faces, tmp_path) -> Path:
    return write_video(tmp_path / "faces.mp4", clip_faces)


@pytest.fixture
def empty_video(tmp_path) -> Path:
    return write_video(tmp_path / "empty.mp4", [[] for _ in range(3)])


def upload_of(path: Path, name: str | None = None) -> File:
    return File(path.open("rb"), name=name or path.name)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def make_clip(visitor, exhibit, video: Path, **kwargs) -> Clip:
    profile = visitor.visitor_profile
    profile.refresh_from_db()
    return clips.clip_create(visitor=profile, exhibit=exhibit, file=upload_of(video), **kwargs)


# --- Probing and accepting ----------------------------------------------------------------


def test_it_probes_a_real_video(face_video) -> None:
    info = clips.video_probe(face_video, max_seconds=300)
    assert (info.width, info.height) == (640, 480)
    assert info.fps == pytest.approx(FPS)
    assert info.duration_seconds == pytest.approx(SECONDS, abs=0.05)


def test_it_refuses_bytes_that_are_not_a_video_whatever_their_name(
    visitor, exhibit, clip_storage
) -> None:
    fake = SimpleUploadedFile("holiday.mp4", b"\x00\x00\x00\x18ftypmp42" + b"junk" * 500)
    with pytest.raises(ValidationError) as refused:
        clips.clip_create(visitor=visitor.visitor_profile, exhibit=exhibit, file=fake)
    assert refused.value.code == "unreadable"
    assert "not a video we can read" in refused.value.messages[0]
    assert not Clip.objects.exists()
    assert stored_files(clip_storage) == []


def test_it_refuses_a_video_longer_than_the_limit(
    settings, visitor, exhibit, clip_storage, face_video
) -> None:
    settings.CLIP_MAX_SECONDS = 2
    with pytest.raises(ValidationError) as refused:
        make_clip(visitor, exhibit, face_video)
    assert refused.value.code == "too_long"
    assert refused.value.messages == ["The video is 4 s long; the limit is 2 s."]
    assert not Clip.objects.exists()
    assert stored_files(clip_storage) == []


def test_it_refuses_a_file_over_the_size_limit_and_deletes_the_upload(
    settings, visitor, exhibit, clip_storage, face_video
) -> None:
    settings.CLIP_MAX_BYTES = 10_000
    upload = TemporaryUploadedFile("faces.mp4", "video/mp4", face_video.stat().st_size, None)
    upload.write(face_video.read_bytes())
    upload.flush()
    temporary = Path(upload.temporary_file_path())
    with pytest.raises(ValidationError) as refused:
        clips.clip_create(visitor=visitor.visitor_profile, exhibit=exhibit, file=upload)
    assert refused.value.code == "too_large"
    assert refused.value.messages[0].endswith("the limit is 9.8\xa0KB.")
    assert not temporary.exists(), "a refused upload is deleted at once"
    assert not Clip.objects.exists()


def test_it_refuses_a_clip_without_current_consent(
    make_visitor, exhibit, clip_storage, face_video
) -> None:
    shy = make_visitor("erin", consent=False)
    with pytest.raises(ValidationError) as refused:
        make_clip(shy, exhibit, face_video)
    assert refused.value.code == "consent"
    assert stored_files(clip_storage) == []


def test_it_stores_the_clip_privately_and_queues_it_on_commit(
    settings, visitor, exhibit, clip_storage, face_video, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        clip = make_clip(visitor, exhibit, face_video, original_name="my visit.mp4")
    assert len(callbacks) == 1, "the analysis is queued once the clip is committed"
    clip.refresh_from_db()
    assert clip.status == ClipStatus.QUEUED
    assert clip.original_name == "my visit.mp4"
    assert clip.size_bytes == face_video.stat().st_size
    assert clip.duration_seconds == pytest.approx(SECONDS, abs=0.05)
    assert clip.keep_file is False
    stored = Path(clip.file.path)
    assert stored.is_file() and stored.is_relative_to(clip_storage)
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "my visit" not in stored.name, "files get random names"
    assert clip.file.url == "", "private: no address to fetch it from"


# --- Analysing ------------------------------------------------------------------------------


def test_it_analyses_a_real_video_into_clip_readings(
    visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    stored = Path(clip.file.path)

    assert analyse(clip.pk) == ClipStatus.DONE

    clip.refresh_from_db()
    assert clip.status == ClipStatus.DONE and clip.error == ""
    assert clip.progress == 1.0 and clip.attempts == 1
    assert clip.lease_token is None and clip.finished_at is not None
    readings = list(clip.readings.order_by("offset_seconds"))
    assert [r.offset_seconds for r in readings] == [0.0, 1.0, 2.0, 3.0]
    for reading in readings:
        assert reading.source == ReadingSource.CLIP
        assert reading.visitor == visitor.visitor_profile
        assert reading.exhibit == exhibit
        assert reading.recorded_at == clip.created_at + timedelta(seconds=reading.offset_seconds)
        assert sum(reading.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert reading.frame_count == 2, "2 frames sampled per second by default"
        assert reading.face_count >= 2
    assert len(clip.timeline) == SECONDS
    assert [entry["t"] for entry in clip.timeline] == [0, 1, 2, 3]
    for entry in clip.timeline:
        assert entry["faces"] >= 2 and entry["label"] in EMOTIONS
        assert set(entry["probabilities"]) == set(EMOTIONS)
    # The raw video is gone; only the readings remain.
    assert not clip.file and not stored.exists()


def test_it_samples_at_the_configured_rate(
    settings, visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    settings.CLIP_SAMPLE_FPS = 5
    clip = make_clip(visitor, exhibit, face_video)
    analyse(clip.pk)
    assert [r.frame_count for r in clip.readings.order_by("offset_seconds")] == [5, 5, 5, 5]


def test_it_keeps_the_file_when_the_visitor_opted_in(
    visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    core_services.consent_give(profile=visitor.visitor_profile, keep_media=True)
    clip = make_clip(visitor, exhibit, face_video)
    assert clip.keep_file is True
    analyse(clip.pk)
    clip.refresh_from_db()
    assert clip.status == ClipStatus.DONE
    assert Path(clip.file.path).is_file()


def test_running_it_again_leaves_exactly_one_set_of_readings(
    visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    core_services.consent_give(profile=visitor.visitor_profile, keep_media=True)
    clip = make_clip(visitor, exhibit, face_video)
    analyse(clip.pk)
    first = set(clip.readings.values_list("pk", flat=True))

    # A duplicate delivery of the finished clip changes nothing.
    assert analyse(clip.pk) == "skipped"
    assert set(clip.readings.values_list("pk", flat=True)) == first

    # A redelivery after a worker died just before acknowledging: the clip looks as if it
    # was still being processed by a worker that went silent.
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING,
        lease_token=uuid.uuid4(),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert analyse(clip.pk) == ClipStatus.DONE
    second = set(clip.readings.values_list("pk", flat=True))
    assert len(second) == len(first) == SECONDS
    assert not second & first, "the earlier set was replaced, not added to"
    assert EmotionReading.objects.filter(clip=clip).count() == SECONDS
    clip.refresh_from_db()
    assert clip.attempts == 2


def test_it_takes_over_a_clip_whose_worker_died(
    settings, visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    stale = timezone.now() - timedelta(seconds=settings.CLIP_LEASE_SECONDS + 1)
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING, lease_token=uuid.uuid4(), heartbeat_at=stale, progress=0.4
    )
    assert analyse(clip.pk) == ClipStatus.DONE
    assert clip.readings.count() == SECONDS


def test_it_waits_while_another_worker_holds_a_live_lease(
    settings, visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    token = uuid.uuid4()
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING, lease_token=token, heartbeat_at=timezone.now()
    )
    with pytest.raises(clips.ClipBusy) as busy:
        clips.clip_analyse(clip_id=clip.pk)
    assert 0 < busy.value.retry_in <= settings.CLIP_LEASE_SECONDS
    clip.refresh_from_db()
    assert clip.lease_token == token and not clip.readings.exists()


def test_a_worker_that_lost_its_lease_writes_nothing(
    monkeypatch, visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    usurper = uuid.uuid4()
    real_analyse = clips.video_analyse

    def analyse_then_get_taken_over(*args, **kwargs):
        result = real_analyse(*args, **kwargs)
        # Meanwhile another worker decided this one was dead and took the clip.
        Clip.objects.filter(pk=clip.pk).update(lease_token=usurper)
        return result

    monkeypatch.setattr(clips, "video_analyse", analyse_then_get_taken_over)
    assert analyse(clip.pk) == "lease-lost"
    clip.refresh_from_db()
    assert clip.status == ClipStatus.PROCESSING and clip.lease_token == usurper
    assert not clip.readings.exists()
    assert Path(clip.file.path).is_file(), "the file stays for the worker holding the lease"


def test_progress_renews_the_lease_and_stops_a_worker_that_lost_it(
    visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    token = uuid.uuid4()
    long_ago = timezone.now() - timedelta(seconds=30)
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING, lease_token=token, heartbeat_at=long_ago
    )
    report = clips._ProgressReporter(clip.pk, token)
    report(0.5)
    clip.refresh_from_db()
    assert clip.progress == 0.5 and clip.heartbeat_at > long_ago
    report(0.51)  # a smaller step than PROGRESS_STEP is not written
    clip.refresh_from_db()
    assert clip.progress == 0.5
    report(1.0)
    clip.refresh_from_db()
    assert clip.progress == 0.99, "100 % only once the readings are written"

    with pytest.raises(clips.ClipLeaseLost):
        clips._ProgressReporter(clip.pk, uuid.uuid4())(0.6)


def test_a_corrupt_video_ends_failed_and_its_file_is_deleted(
    visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    core_services.consent_give(profile=visitor.visitor_profile, keep_media=True)
    clip = make_clip(visitor, exhibit, face_video)
    stored = Path(clip.file.path)
    # The stored file got damaged after it was accepted: cut short, it lost its index.
    data = face_video.read_bytes()
    stored.write_bytes(data[: len(data) // 2])

    assert analyse(clip.pk) == ClipStatus.FAILED
    clip.refresh_from_db()
    assert clip.status == ClipStatus.FAILED
    assert "damaged" in clip.error
    assert not clip.readings.exists()
    assert not clip.file and not stored.exists(), "deleted on failure even if kept otherwise"
    assert clip.lease_token is None


def test_a_video_without_faces_ends_in_no_face(
    visitor, exhibit, clip_storage, empty_video, analyse
) -> None:
    clip = make_clip(visitor, exhibit, empty_video)
    assert analyse(clip.pk) == ClipStatus.NO_FACE
    clip.refresh_from_db()
    assert clip.status == ClipStatus.NO_FACE
    assert "No face was found" in clip.error
    assert not clip.readings.exists()
    assert [entry["faces"] for entry in clip.timeline] == [0, 0, 0]
    assert not clip.file


def test_a_missing_file_ends_failed(visitor, exhibit, clip_storage, face_video, analyse) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    Path(clip.file.path).unlink()
    assert analyse(clip.pk) == ClipStatus.FAILED
    clip.refresh_from_db()
    assert clip.error == "The video file is missing."


def test_withdrawn_consent_stops_the_analysis_and_deletes_the_file(
    visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    core_services.consent_give(profile=visitor.visitor_profile, keep_media=True)
    clip = make_clip(visitor, exhibit, face_video)
    stored = Path(clip.file.path)
    # Withdrawn between the upload and a worker picking the clip up.
    profile = visitor.visitor_profile
    profile.consent_withdrawn_at = timezone.now()
    profile.save(update_fields=["consent_withdrawn_at"])
    assert analyse(clip.pk) == ClipStatus.FAILED
    clip.refresh_from_db()
    assert "withdrew your consent" in clip.error
    assert not clip.readings.exists()
    assert not stored.exists(), "deleted although the visitor had chosen to keep clips"


def test_a_clip_cancelled_mid_analysis_is_abandoned(
    monkeypatch, visitor, exhibit, clip_storage, face_video, analyse
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    real_analyse = clips.video_analyse

    def cancelled_meanwhile(*args, **kwargs):
        # What the privacy feature does to unfinished clips when consent is withdrawn.
        Clip.objects.filter(pk=clip.pk).update(status=ClipStatus.FAILED, error="Cancelled.")
        return real_analyse(*args, **kwargs)

    monkeypatch.setattr(clips, "video_analyse", cancelled_meanwhile)
    assert analyse(clip.pk) == "lease-lost"
    clip.refresh_from_db()
    assert (clip.status, clip.error) == (ClipStatus.FAILED, "Cancelled.")
    assert not clip.readings.exists()


def test_an_unfinished_clip_can_be_failed_but_a_live_one_is_left_alone(
    visitor, exhibit, clip_storage, face_video, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        clip = make_clip(visitor, exhibit, face_video)
    stored = Path(clip.file.path)
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING, lease_token=uuid.uuid4(), heartbeat_at=timezone.now()
    )
    assert clips.clip_fail(clip_id=clip.pk, error="gave up") is False
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.QUEUED, lease_token=None, heartbeat_at=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert clips.clip_fail(clip_id=clip.pk, error="gave up") is True
    clip.refresh_from_db()
    assert (clip.status, clip.error) == (ClipStatus.FAILED, "gave up")
    assert not stored.exists()
