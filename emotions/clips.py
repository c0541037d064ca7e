"""Recorded clips: accept a video, analyse it on a worker, keep one set of readings.

Services (writes) and selectors (reads) for :class:`~emotions.models.Clip`, in a module of their
own so the live camera's ``services.py`` and this pipeline grow independently.

The life of a clip::

    clip_create()            probe the file with OpenCV, store it privately, status "queued",
                             queue emotions.tasks.clip_analyse_task on commit
    clip_analyse(clip_id=)   on a worker: take the clip's lease ("processing"), sample frames,
                             detect and classify faces in batches, renew the lease with each
                             progress update, then in ONE transaction replace the clip's
                             readings and end in "done", "no_face" or "failed"

Why a lease rather than a plain status flag: with ``acks_late`` a task whose worker died is
delivered again, and Redis may even deliver a task twice while its first worker still runs.
The lease (a token known only to its worker, renewed as it progresses) lets exactly one worker
analyse a clip at a time, lets a redelivered task take over a clip whose worker is gone, and
lets only the current holder write results. Writing results replaces whatever the clip had, so
a second run never adds a second set (a unique constraint on (clip, second) backs this up).
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from emotions.models import Clip, ClipStatus, EmotionReading, ReadingSource
from emotions.services import ReadingBucket, reading_from_bucket, readings_save
from ml import EMOTIONS
from ml.inference import MAX_IMAGE_PIXELS, EmotionClassifier, crop_face, get_classifier
from museum_site.core.models import Exhibit, Visit, VisitorProfile

logger = logging.getLogger(__name__)

# File types offered by the upload form. The server never trusts the name: every file is
# opened with OpenCV (video_probe) and refused unless it decodes.
ACCEPTED_TYPES = ("video/mp4", "video/webm", "video/quicktime")
ACCEPTED_SUFFIXES = (".mp4", ".webm", ".mov")

# Faces classified per forward pass: large enough to amortise the call, small enough that a
# progress update (and so a lease renewal) is never far away.
CLASSIFY_BATCH = 32
MAX_FACES_PER_FRAME = 10
# Progress is written when it grew by this much, or when the lease needs renewing.
PROGRESS_STEP = 0.03
# A frame rate outside this range is a broken header (WebM from MediaRecorder reports 1000).
SANE_FPS = (1.0, 240.0)
# Videos whose duration is not in the header are scanned; a little slack over the limit
# tolerates rounding of the last frame's timestamp.
DURATION_SLACK_SECONDS = 0.5

# Errors worth retrying: the database or the file system hiccupped; the clip itself is fine.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


class ClipBusy(Exception):
    """Another worker holds a live lease on the clip; try again after ``retry_in`` seconds."""

    def __init__(self, clip_id: int, retry_in: float) -> None:
        super().__init__(f"clip {clip_id} is being analysed by another worker")
        self.retry_in = retry_in


class ClipLeaseLost(Exception):
    """This worker's lease was taken over (it was presumed dead): its results are discarded."""


class VideoUnusable(Exception):
    """The stored video cannot be analysed (damaged, too long); the message is for the visitor."""


# --- Reading videos -------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float | None
    duration_seconds: float


def _open(path: Path) -> cv2.VideoCapture:
    # FFmpeg explicitly: other backends would read a name like "x%03d.mp4" as an image sequence.
    return cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)


def _header_duration(capture: cv2.VideoCapture) -> tuple[float | None, float | None]:
    """``(fps, duration)`` from the container header, ``None`` where it is missing or absurd."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    fps = fps if SANE_FPS[0] <= fps <= SANE_FPS[1] else None
    if fps is None or not (0 < frames < 10_000_000):
        return fps, None
    return fps, frames / fps


def video_probe(path: Path, *, max_seconds: float) -> VideoInfo:
    """Open ``path`` with OpenCV and check it is a video within limits.

    Raises ``ValidationError`` with a message for the visitor otherwise. When the header has
    no duration (WebM recorded by browsers has none), the frames are scanned, but never
    further than ``max_seconds``.
    """
    capture = _open(path)
    try:
        if not capture.isOpened():
            raise ValidationError(
                "This file is not a video we can read. Send an MP4, WebM or MOV video.",
                code="unreadable",
            )
        ok, frame = capture.read()
        if not ok or frame is None:
            raise ValidationError("The video contains no picture we can decode.", code="no_frames")
        height, width = frame.shape[:2]
        if width * height > MAX_IMAGE_PIXELS or min(width, height) < 48:
            raise ValidationError(
                f"The video's picture size ({width}x{height}) is not supported.", code="size"
            )
        fps, duration = _header_duration(capture)
        if duration is None:
            duration = 0.0
            while capture.grab():
                duration = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
                if duration > max_seconds + DURATION_SLACK_SECONDS:
                    break
            # The last frame lasts one frame interval too.
            duration += 1 / fps if fps else 0.0
        if duration > max_seconds + DURATION_SLACK_SECONDS:
            raise ValidationError(
                f"The video is {_seconds_label(duration)} long; the limit is "
                f"{_seconds_label(max_seconds)}.",
                code="too_long",
            )
        return VideoInfo(width=width, height=height, fps=fps, duration_seconds=round(duration, 3))
    finally:
        capture.release()


def _seconds_label(seconds: float) -> str:
    seconds = math.ceil(seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        return f"{minutes} min {rest} s"
    return f"{minutes} min" if minutes else f"{rest} s"


@dataclass
class VideoAnalysis:
    """What :func:`video_analyse` saw: one bucket per second of video that was sampled."""

    seconds: dict[int, ReadingBucket] = field(default_factory=dict)
    frames_analysed: int = 0
    duration_seconds: float = 0.0

    @property
    def face_count(self) -> int:
        return sum(bucket.face_count for bucket in self.seconds.values())


def video_analyse(
    path: Path,
    *,
    started_at: datetime,
    sample_fps: float,
    max_seconds: float,
    expected_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    classifier: EmotionClassifier | None = None,
    batch_size: int = CLASSIFY_BATCH,
) -> VideoAnalysis:
    """Sample ``sample_fps`` frames per second of video, find and classify the faces in them.

    Frames are picked by their timestamps, so variable frame rates (browser recordings) are
    sampled evenly. Face crops are classified ``batch_size`` at a time. ``on_progress`` gets
    the share of the video read so far (0-1). Raises :class:`VideoUnusable` when no frame
    decodes, or when the video turns out longer than ``max_seconds``.
    """
    classifier = classifier or get_classifier()
    capture = _open(path)
    if not capture.isOpened():
        raise VideoUnusable("The video file is damaged or not a video we can read.")
    try:
        fps, header_duration = _header_duration(capture)
        expected = expected_seconds or header_duration or max_seconds
        interval = 1.0 / sample_fps
        analysis = VideoAnalysis()
        pending_frames: list[tuple[int, int]] = []  # (second, number of faces) in frame order
        pending_crops: list[np.ndarray] = []
        index, next_sample, last_t = -1, 0.0, 0.0

        def flush() -> None:
            probabilities = (
                classifier.classify(np.stack(pending_crops)) if pending_crops else np.zeros((0, 7))
            )
            used = 0
            for second, faces in pending_frames:
                rows = probabilities[used : used + faces]
                used += faces
                bucket = analysis.seconds.setdefault(
                    second, ReadingBucket(started_at=started_at + timedelta(seconds=second))
                )
                bucket.add_frame(
                    [dict(zip(EMOTIONS, map(float, row), strict=True)) for row in rows]
                )
            pending_frames.clear()
            pending_crops.clear()

        while capture.grab():
            index += 1
            t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
            if t <= 0 and index > 0:
                # Containers without timestamps: fall back on the frame rate.
                t = index / (fps or 25.0)
            last_t = max(last_t, t)
            if t > max_seconds + DURATION_SLACK_SECONDS:
                raise VideoUnusable(
                    f"The video is longer than the limit of {_seconds_label(max_seconds)}."
                )
            if t + 1e-6 < next_sample:
                continue
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                continue
            while next_sample <= t + 1e-6:
                next_sample += interval
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
            boxes = classifier.detector.detect(gray, max_faces=MAX_FACES_PER_FRAME)
            pending_crops.extend(crop_face(gray, box) for box in boxes)
            pending_frames.append((int(t), len(boxes)))
            analysis.frames_analysed += 1
            if len(pending_crops) >= batch_size:
                flush()
            if on_progress is not None:
                on_progress(min(t / expected, 1.0) if expected else 0.0)
        flush()
        if analysis.frames_analysed == 0:
            raise VideoUnusable("The video file is damaged: no frame could be decoded.")
        analysis.duration_seconds = round(last_t + (1 / fps if fps else 0.0), 3)
        return analysis
    finally:
        capture.release()


def timeline_of(analysis: VideoAnalysis) -> list[dict]:
    """Per-second summary stored on the clip: every second, with or without faces."""
    last = max(analysis.seconds, default=-1)
    timeline = []
    for second in range(last + 1):
        bucket = analysis.seconds.get(second)
        entry: dict = {
            "t": second,
            "frames": bucket.frame_count if bucket else 0,
            "faces": bucket.face_count if bucket else 0,
            "label": None,
            "confidence": None,
            "probabilities": None,
        }
        if bucket is not None and bucket.has_faces:
            mean = bucket.mean()
            label = max(EMOTIONS, key=mean.__getitem__)
            entry.update(
                label=label,
                confidence=round(mean[label], 4),
                probabilities={name: round(value, 4) for name, value in mean.items()},
            )
        timeline.append(entry)
    return timeline


# --- Selectors ------------------------------------------------------------------------------


def clip_list_for(*, visitor: VisitorProfile, exhibit: Exhibit | None = None) -> QuerySet[Clip]:
    """The visitor's clips, newest first, optionally for one exhibit."""
    clips = Clip.objects.filter(visitor=visitor).select_related("exhibit")
    if exhibit is not None:
        clips = clips.filter(exhibit=exhibit)
    return clips.order_by("-created_at", "-pk")


def clip_get_for(*, visitor: VisitorProfile, pk: int) -> Clip:
    """One of the visitor's own clips; raises ``Clip.DoesNotExist`` for anyone else's."""
    return clip_list_for(visitor=visitor).get(pk=pk)


# --- Services: accepting a clip -------------------------------------------------------------


@contextmanager
def _local_path(file: File) -> Iterator[Path]:
    """A path OpenCV can open: the upload's temporary file, or a private copy of the data."""
    temporary = getattr(file, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    if getattr(file, "name", None) and Path(file.name).is_file():
        yield Path(file.name)
        return
    with tempfile.NamedTemporaryFile(suffix=".video") as copy:
        file.seek(0)
        shutil.copyfileobj(file, copy, length=1024 * 1024)
        copy.flush()
        yield Path(copy.name)


def clip_create(
    *,
    visitor: VisitorProfile,
    exhibit: Exhibit,
    file: File,
    original_name: str | None = None,
    visit: Visit | None = None,
    now: datetime | None = None,
) -> Clip:
    """Accept a video for analysis: check it, store it privately and queue the analysis.

    Raises ``ValidationError`` (with a message for the visitor) when the visitor has no
    current consent, the exhibit is hidden, or the file is too large, too long or not a
    video; a refused upload is closed at once, which deletes Django's temporary file.
    """
    try:
        if not visitor.has_current_consent():
            raise ValidationError(
                "Give your consent on the camera notice before sending a clip.", code="consent"
            )
        if not exhibit.active:
            raise ValidationError("This exhibit is not on display.", code="inactive")
        size = file.size or 0
        if size > settings.CLIP_MAX_BYTES:
            raise ValidationError(clip_too_large_message(size), code="too_large")
        if size == 0:
            raise ValidationError("The file is empty.", code="empty")
        with _local_path(file) as path:
            info = video_probe(path, max_seconds=settings.CLIP_MAX_SECONDS)
    except ValidationError:
        file.close()
        raise

    name = original_name if original_name is not None else Path(file.name or "").name
    clip = Clip(
        visitor=visitor,
        exhibit=exhibit,
        visit=visit,
        original_name=name[:255],
        size_bytes=size,
        duration_seconds=info.duration_seconds,
        keep_file=visitor.keep_media,
        status=ClipStatus.QUEUED,
        created_at=now or timezone.now(),
    )
    file.seek(0)
    clip.file.save(name or "clip", file, save=False)
    try:
        with transaction.atomic():
            clip.full_clean()
            clip.save()
            transaction.on_commit(lambda: _clip_enqueue(clip.pk))
    except BaseException:
        clip.file.delete(save=False)
        raise
    return clip


def clip_too_large_message(size: int) -> str:
    """What the visitor reads when a video is over ``CLIP_MAX_BYTES`` (``size`` 0: unknown)."""
    limit = filesizeformat(settings.CLIP_MAX_BYTES)
    if size:
        return f"The video is too large ({filesizeformat(size)}); the limit is {limit}."
    return f"The video is too large; the limit is {limit}."


def _clip_enqueue(clip_id: int) -> None:
    from emotions.tasks import clip_analyse_task

    try:
        clip_analyse_task.delay(clip_id)
    except Exception:
        # The broker is unreachable (or, in-process, the task itself broke): the clip must not
        # sit in "queued" forever, so it ends in a clear failure the visitor can act on.
        logger.exception("could not queue the analysis of clip %s", clip_id)
        clip_fail(
            clip_id=clip_id,
            error="The analysis service is unavailable right now. "
            "Please send the clip again later.",
        )


# --- Services: analysing a clip -------------------------------------------------------------


def clip_analyse(*, clip_id: int) -> str:
    """Analyse the clip (on a worker) and return its final status, or what stopped it.

    Idempotent: a finished clip is left alone; a clip whose lease is live raises
    :class:`ClipBusy`; a clip whose worker died is taken over. Transient database errors
    release the lease and propagate (the task retries); anything else ends the clip in
    "failed" with a message, never in "processing".
    """
    token = uuid.uuid4()
    clip = _clip_claim(clip_id=clip_id, token=token)
    if clip is None:
        return "skipped"
    try:
        if not clip.visitor.has_current_consent():
            return _clip_finish(
                clip,
                token,
                status=ClipStatus.FAILED,
                error="You withdrew your consent, so the clip was not analysed and is deleted.",
                delete_file=True,
            )
        if not clip.file:
            return _clip_finish(
                clip, token, status=ClipStatus.FAILED, error="The video file is missing."
            )
        try:
            path = Path(clip.file.path)
            if not path.is_file():
                raise VideoUnusable("The video file is missing.")
            analysis = video_analyse(
                path,
                started_at=clip.created_at,
                sample_fps=settings.CLIP_SAMPLE_FPS,
                max_seconds=settings.CLIP_MAX_SECONDS,
                expected_seconds=clip.duration_seconds,
                on_progress=_ProgressReporter(clip.pk, token),
            )
        except VideoUnusable as exc:
            return _clip_finish(clip, token, status=ClipStatus.FAILED, error=str(exc))
        if analysis.face_count == 0:
            return _clip_finish(
                clip,
                token,
                status=ClipStatus.NO_FACE,
                error="No face was found in the video. Film your face from the front, in "
                "good light, and try again.",
                timeline=timeline_of(analysis),
            )
        return _clip_finish(
            clip,
            token,
            status=ClipStatus.DONE,
            buckets=analysis.seconds,
            timeline=timeline_of(analysis),
            duration_seconds=analysis.duration_seconds,
        )
    except ClipLeaseLost:
        logger.warning(
            "clip %s: lost its lease (taken over or cancelled); results dropped", clip_id
        )
        return "lease-lost"
    except TRANSIENT_ERRORS:
        _clip_release(clip_id=clip_id, token=token)
        raise
    except SoftTimeLimitExceeded:
        logger.warning("clip %s: analysis exceeded the task's time limit", clip_id)
        return _clip_finish_safely(
            clip_id, token, "The analysis took too long. Send a shorter clip."
        )
    except Exception:
        logger.exception("clip %s: analysis failed", clip_id)
        return _clip_finish_safely(
            clip_id, token, "The analysis stopped unexpectedly. Please send the clip again."
        )


def _clip_claim(*, clip_id: int, token: uuid.UUID, now: datetime | None = None) -> Clip | None:
    """Take the clip's lease, or say why not (``None``: nothing to do; ``ClipBusy``: wait)."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.CLIP_LEASE_SECONDS)
    with transaction.atomic():
        clip = (
            Clip.objects.select_for_update(of=("self",))
            .select_related("visitor", "exhibit", "visit")
            .filter(pk=clip_id)
            .first()
        )
        if clip is None:
            logger.info("clip %s no longer exists; nothing to analyse", clip_id)
            return None
        if clip.is_finished:
            return None
        if clip.status == ClipStatus.PROCESSING and clip.heartbeat_at + lease > now:
            raise ClipBusy(clip_id, retry_in=(clip.heartbeat_at + lease - now).total_seconds())
        if clip.status == ClipStatus.PROCESSING:
            logger.warning(
                "clip %s: taking over from a worker silent since %s", clip_id, clip.heartbeat_at
            )
        clip.status = ClipStatus.PROCESSING
        clip.lease_token = token
        clip.heartbeat_at = now
        clip.started_at = now
        clip.progress = 0.0
        clip.error = ""
        clip.attempts += 1
        clip.save(
            update_fields=[
                "status",
                "lease_token",
                "heartbeat_at",
                "started_at",
                "progress",
                "error",
                "attempts",
            ]
        )
    return clip


class _ProgressReporter:
    """Writes progress (and so renews the lease) every few percent or when the lease ages."""

    def __init__(self, clip_id: int, token: uuid.UUID) -> None:
        self.clip_id = clip_id
        self.token = token
        self.reported = 0.0
        self.renewed = time.monotonic()
        self.renew_every = settings.CLIP_LEASE_SECONDS / 4

    def __call__(self, progress: float) -> None:
        # Never 1.0 before the results are written: "100 %" means the readings exist.
        progress = min(max(progress, 0.0), 0.99)
        due = time.monotonic() - self.renewed >= self.renew_every
        if progress - self.reported < PROGRESS_STEP and not due:
            return
        updated = Clip.objects.filter(
            pk=self.clip_id, status=ClipStatus.PROCESSING, lease_token=self.token
        ).update(progress=progress, heartbeat_at=timezone.now())
        if not updated:
            raise ClipLeaseLost(self.clip_id)
        self.reported = progress
        self.renewed = time.monotonic()


def _clip_finish(
    clip: Clip,
    token: uuid.UUID,
    *,
    status: str,
    error: str = "",
    buckets: Mapping[int, ReadingBucket] | None = None,
    timeline: list[dict] | None = None,
    duration_seconds: float | None = None,
    delete_file: bool = False,
) -> str:
    """Write the outcome if this worker still holds the lease, replacing earlier readings.

    One reading per second of ``buckets`` that saw a face. A failed clip's file is always
    deleted; otherwise it is kept only if the visitor opted in (``keep_file``).
    """
    with transaction.atomic():
        locked = Clip.objects.select_for_update().filter(pk=clip.pk).first()
        if locked is None or locked.lease_token != token or locked.status != ClipStatus.PROCESSING:
            raise ClipLeaseLost(clip.pk)
        # Replace, never add: whatever an earlier run wrote is dropped first (and only then
        # are the new readings validated, or the one-per-second constraint would object).
        EmotionReading.objects.filter(clip=locked).delete()
        readings = [
            reading_from_bucket(
                bucket=bucket,
                exhibit=clip.exhibit,
                visitor=clip.visitor,
                visit=clip.visit,
                source=ReadingSource.CLIP,
                clip=locked,
                offset_seconds=float(second),
            )
            for second, bucket in sorted((buckets or {}).items())
            if bucket.has_faces
        ]
        readings_save(readings=readings)
        drop_file = bool(locked.file) and (
            delete_file or status == ClipStatus.FAILED or not locked.keep_file
        )
        file_name = locked.file.name
        locked.status = status
        locked.error = error
        locked.progress = 1.0
        locked.timeline = timeline or []
        if duration_seconds:
            locked.duration_seconds = duration_seconds
        locked.finished_at = timezone.now()
        locked.lease_token = None
        locked.heartbeat_at = None
        if drop_file:
            locked.file = ""
        locked.save()
        if drop_file:
            storage = locked.file.storage
            # Only once the outcome is committed: a rolled-back run must still find its file.
            transaction.on_commit(lambda: _delete_quietly(storage, file_name))
    logger.info("clip %s: %s (%d readings)", clip.pk, status, len(readings))
    return status


def _clip_finish_safely(clip_id: int, token: uuid.UUID, error: str) -> str:
    """End a clip in "failed" after an error, unless another worker has taken it over."""
    try:
        clip = Clip.objects.get(pk=clip_id)
        return _clip_finish(clip, token, status=ClipStatus.FAILED, error=error)
    except (ClipLeaseLost, Clip.DoesNotExist):
        return "lease-lost"


def _clip_release(*, clip_id: int, token: uuid.UUID) -> None:
    """Give the lease back after a transient error, so the retry can start at once."""
    try:
        Clip.objects.filter(pk=clip_id, lease_token=token, status=ClipStatus.PROCESSING).update(
            status=ClipStatus.QUEUED, lease_token=None, heartbeat_at=None, progress=0.0
        )
    except DatabaseError:
        # The database is still away: the lease then simply goes stale and is taken over.
        logger.warning("clip %s: could not release the lease", clip_id)


def clip_fail(*, clip_id: int, error: str) -> bool:
    """Fail a clip that is not being analysed (the task gave up); True if it was changed.

    A clip whose lease is live is left to its worker; finished clips are left alone.
    """
    lease = timedelta(seconds=settings.CLIP_LEASE_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        clip = Clip.objects.select_for_update().filter(pk=clip_id).first()
        if clip is None or clip.is_finished:
            return False
        if clip.status == ClipStatus.PROCESSING and clip.heartbeat_at + lease > now:
            return False
        file_name = clip.file.name if clip.file else ""
        clip.status = ClipStatus.FAILED
        clip.error = error
        clip.finished_at = now
        clip.lease_token = None
        clip.heartbeat_at = None
        clip.file = ""
        clip.save()
        if file_name:
            storage = clip.file.storage
            transaction.on_commit(lambda: _delete_quietly(storage, file_name))
    return True


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete clip file %s", name)
