"""Writes for emotion readings, shared by the live consumer, the clip task and the admin."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from emotions.models import Clip, EmotionReading, ReadingSource
from emotions.selectors import HALL_MOOD_WINDOW_SECONDS
from ml import EMOTIONS
from museum_site.core.models import Exhibit, Visit, VisitorProfile
from museum_site.core.services import visit_record_exhibit, visit_start

if TYPE_CHECKING:
    import numpy as np

    from ml.inference import FaceResult, FaceTracker


@dataclass
class ReadingBucket:
    """Faces seen in one time bucket, averaged into one :class:`EmotionReading`.

    ``add`` takes each face's seven probabilities; the reading keeps their mean, the number
    of faces and frames behind it, so nothing the visitor was shown is lost by aggregating.
    """

    started_at: datetime
    sums: list[float] = field(default_factory=lambda: [0.0] * len(EMOTIONS))
    face_count: int = 0
    frame_count: int = 0

    def add_frame(self, faces: Sequence[Mapping[str, float]]) -> None:
        self.frame_count += 1
        for probabilities in faces:
            for i, name in enumerate(EMOTIONS):
                self.sums[i] += float(probabilities[name])
            self.face_count += 1

    @property
    def has_faces(self) -> bool:
        return self.face_count > 0

    def mean(self) -> dict[str, float]:
        n = max(self.face_count, 1)
        return {name: min(max(self.sums[i] / n, 0.0), 1.0) for i, name in enumerate(EMOTIONS)}


def reading_build(
    *,
    exhibit: Exhibit,
    probabilities: Mapping[str, float],
    recorded_at: datetime,
    visitor: VisitorProfile | None = None,
    visit: Visit | None = None,
    source: str = ReadingSource.LIVE,
    clip: Clip | None = None,
    offset_seconds: float | None = None,
    face_count: int = 1,
    frame_count: int = 1,
) -> EmotionReading:
    """An unsaved, validated reading (for bulk inserts).

    The rules of the model's CheckConstraints are checked here in Python, and ``full_clean``
    only checks the fields: Django validates each constraint and foreign key with a query of
    its own (31 queries per reading), which the live camera would pay every second per
    socket. The database still enforces every constraint and key on insert.
    """
    missing = set(EMOTIONS) - set(probabilities)
    if missing:
        raise ValidationError({"probabilities": f"missing {sorted(missing)}"})
    for name in EMOTIONS:
        value = float(probabilities[name])
        if not 0.0 <= value <= 1.0:  # also refuses NaN
            raise ValidationError({name: f"probability {value!r} is outside 0-1"})
    if (source == ReadingSource.CLIP) != (clip is not None):
        raise ValidationError({"clip": "clip readings, and only they, belong to a clip"})
    label = max(EMOTIONS, key=lambda name: probabilities[name])
    reading = EmotionReading(
        visitor=visitor,
        visit=visit,
        exhibit=exhibit,
        clip=clip,
        recorded_at=recorded_at,
        offset_seconds=offset_seconds,
        source=source,
        label=label,
        confidence=float(probabilities[label]),
        face_count=face_count,
        frame_count=frame_count,
        **{name: float(probabilities[name]) for name in EMOTIONS},
    )
    reading.full_clean(
        exclude={"exhibit", "visitor", "visit", "clip"},
        validate_unique=False,
        validate_constraints=False,
    )
    return reading


def reading_from_bucket(
    *, bucket: ReadingBucket, exhibit: Exhibit, **kwargs: object
) -> EmotionReading:
    return reading_build(
        exhibit=exhibit,
        probabilities=bucket.mean(),
        recorded_at=bucket.started_at,
        face_count=bucket.face_count,
        frame_count=bucket.frame_count,
        **kwargs,  # type: ignore[arg-type]
    )


@transaction.atomic
def readings_save(*, readings: Iterable[EmotionReading]) -> list[EmotionReading]:
    """Insert many readings in one statement (they were validated by :func:`reading_build`)."""
    return EmotionReading.objects.bulk_create(list(readings), batch_size=500)


# --- Live camera -----------------------------------------------------------------------------
#
# Write policy for live readings (also in README.md, "Try the camera page"):
#
# - The camera consumer averages every face of every analysed frame into one ReadingBucket per
#   second and socket. When a frame lands in a new second, the finished second is written as one
#   EmotionReading (source "live", with the visitor and the visit); the last second is written
#   when the socket closes. A second without any face writes nothing.
# - A result is sent to the browser only after its faces are in the bucket, so every emotion the
#   visitor was shown ends up in a saved reading. A failed write keeps its seconds for the next
#   write instead of dropping them.
# - Nothing is written for a visitor without current consent: every write re-reads the consent
#   first, and a withdrawal discards the unsaved second.
# - Frames are analysed in memory and forgotten: no image is ever stored.

HALL_MOOD_GROUP = "hall-mood"
"""Channel-layer group of the staff hall-mood sockets; camera consumers publish to it."""

# Identifies this process in hall-mood updates: each process aggregates only its own cameras,
# so the page adds up the updates of every publisher (several daphne processes behind Redis).
LIVE_PUBLISHER_ID = uuid.uuid4().hex[:12]


class LiveConsentMissing(Exception):  # noqa: N818 - reads as a state, like Django's DoesNotExist
    """The visitor no longer has current consent: stop analysing and store nothing more."""


def visitor_group_name(profile_id: int) -> str:
    """Channel-layer group joined by every open camera socket of one visitor."""
    return f"visitor-{profile_id}"


def live_notify_consent_withdrawn(*, profile: VisitorProfile) -> None:
    """Close the visitor's open camera sockets at once (call after ``consent_withdraw``).

    Synchronous, for views and services; the consumers answer with a ``consent_withdrawn``
    error and close.
    """
    layer = get_channel_layer()
    if layer is None:  # CHANNEL_LAYERS unset: no socket can be open in this process either.
        return
    async_to_sync(layer.group_send)(visitor_group_name(profile.pk), {"type": "consent.withdrawn"})


def live_frame_analyse(
    data: bytes, *, max_faces: int, tracker: FaceTracker | None = None
) -> list[FaceResult]:
    """Faces and emotions in one JPEG camera frame; raises ``InvalidImageError`` on bad bytes.

    The one place the live camera calls the model (CPU-bound: call it from a worker thread).
    ``tracker`` is the socket's :class:`ml.inference.FaceTracker` (faces are searched for
    near where they were in the previous frame). Tests replace this function to simulate a
    slow or failing model.
    """
    from ml.inference import analyse_jpeg  # Imported on first use: it loads torch.

    return analyse_jpeg(data, max_faces=max_faces, classifier=live_classifier(), tracker=tracker)


def live_faces_search(
    gray: np.ndarray, *, max_faces: int, tracker: FaceTracker
) -> list[tuple[int, int, int, int]]:
    """The full-frame face search a socket's tracker put off (run after the frame's answer,
    on a thread of its own: see ``FaceTracker.take_search``)."""
    return tracker.search(live_classifier().detector, gray, max_faces=max_faces)


def live_classifier():
    """The process's model (``settings.MODEL_FILE``), loaded on first use."""
    from ml.inference import get_classifier

    return get_classifier(settings.MODEL_FILE)


def live_model_loaded() -> bool:
    from ml.inference import classifier_loaded

    return classifier_loaded(settings.MODEL_FILE)


def live_model_warm_up() -> None:
    """Load the model and run it once on this thread (first calls pay one-off set-up costs:
    the cascade's thread-local copy, torch's kernels)."""
    import numpy as np

    classifier = live_classifier()
    classifier.classify(np.zeros((1, 48, 48), dtype=np.uint8))
    classifier.detector.detect(np.zeros((240, 320), dtype=np.uint8))
    classifier.detector.redetect(np.zeros((240, 320), dtype=np.uint8), [(100, 60, 120, 120)])


def live_visitor_consents(*, visitor: VisitorProfile) -> bool:
    """Re-read the visitor's consent from the database (it may change while a socket is open).

    False as well once the profile is gone (the visitor erased their account).
    """
    current = VisitorProfile.objects.filter(pk=visitor.pk).first()
    return current is not None and current.has_current_consent()


def live_session_start(
    *, visitor: VisitorProfile, exhibit: Exhibit, now: datetime | None = None
) -> Visit:
    """Open (or continue) the visitor's visit when their camera starts at ``exhibit``."""
    if not live_visitor_consents(visitor=visitor):
        raise LiveConsentMissing
    return visit_start(visitor=visitor, exhibit=exhibit, now=now)


def live_dwell_record(
    *,
    visitor: VisitorProfile,
    visit: Visit,
    exhibit: Exhibit,
    seconds: int,
    now: datetime | None = None,
) -> Visit:
    """Add camera time at ``exhibit`` to the visit; returns the visit that got it.

    If the visit was ended meanwhile (the visitor ended it in another tab), the time goes to a
    new visit, which the camera then continues with.
    """
    visit.refresh_from_db(fields=["ended_at"])
    if not visit.is_open:
        visit = visit_start(visitor=visitor, exhibit=exhibit, now=now)
    visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=seconds, now=now)
    return visit


@transaction.atomic
def live_readings_save(
    *,
    buckets: Sequence[ReadingBucket],
    exhibit: Exhibit,
    visitor: VisitorProfile,
    visit: Visit | None,
) -> list[EmotionReading]:
    """Write one live reading per bucket that saw a face; raises ``LiveConsentMissing``.

    Consent is checked in the same transaction as the insert, so readings never outlive a
    withdrawal that committed before them.
    """
    profile = VisitorProfile.objects.select_for_update().filter(pk=visitor.pk).first()
    if profile is None or not profile.has_current_consent():
        raise LiveConsentMissing
    readings = [
        reading_from_bucket(
            bucket=bucket,
            exhibit=exhibit,
            visitor=visitor,
            visit=visit,
            source=ReadingSource.LIVE,
        )
        for bucket in buckets
        if bucket.has_faces
    ]
    return readings_save(readings=readings) if readings else []


@dataclass
class _ExhibitMood:
    exhibit: dict[str, object]
    cameras: set[str] = field(default_factory=set)
    # (monotonic time, per-emotion probability sums, faces) of each finished camera-second.
    seconds: deque[tuple[float, list[float], int]] = field(default_factory=deque)
    published_at: float | None = None


class LiveMoodBoard:
    """This process's anonymous live mood per exhibit, for the staff hall-mood page.

    Camera consumers report when they join and leave an exhibit and each finished second of
    faces; the board answers with the update to publish to :data:`HALL_MOOD_GROUP`, or ``None``
    while the exhibit was published less than ``min_interval_seconds`` ago. An update holds the
    exhibit, the number of open cameras and the mean probabilities of every face of the last
    ``window_seconds``: no face, no box, no visitor.

    Used from the event loop only (one per process, :data:`live_mood_board`), so it needs no
    lock.
    """

    def __init__(
        self,
        *,
        window_seconds: float = 10.0,
        min_interval_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self.min_interval_seconds = min_interval_seconds
        self.clock = clock
        self._moods: dict[int, _ExhibitMood] = {}

    @staticmethod
    def exhibit_summary(exhibit: Exhibit) -> dict[str, object]:
        """What an update says about the exhibit (``exhibit.hall`` must be loaded)."""
        return {
            "id": exhibit.pk,
            "slug": exhibit.slug,
            "title": exhibit.title,
            "hall": exhibit.hall.name,
        }

    def camera_joined(self, *, exhibit: Exhibit, camera: str) -> dict[str, object] | None:
        mood = self._moods.get(exhibit.pk)
        if mood is None:
            mood = self._moods[exhibit.pk] = _ExhibitMood(self.exhibit_summary(exhibit))
        mood.cameras.add(camera)
        return self._publish(mood)

    def camera_left(self, *, exhibit_id: int, camera: str) -> dict[str, object] | None:
        mood = self._moods.get(exhibit_id)
        if mood is None or camera not in mood.cameras:
            return None
        mood.cameras.discard(camera)
        if mood.cameras:
            return self._publish(mood)
        # The last camera left: always tell the pages, then forget the exhibit.
        del self._moods[exhibit_id]
        return self._update(mood, now=self.clock())

    def add_second(self, *, exhibit_id: int, bucket: ReadingBucket) -> dict[str, object] | None:
        mood = self._moods.get(exhibit_id)
        if mood is None or not bucket.has_faces:
            return None
        mood.seconds.append((self.clock(), list(bucket.sums), bucket.face_count))
        return self._publish(mood)

    def cameras_at(self, exhibit_id: int) -> int:
        mood = self._moods.get(exhibit_id)
        return len(mood.cameras) if mood else 0

    def _publish(self, mood: _ExhibitMood) -> dict[str, object] | None:
        now = self.clock()
        if mood.published_at is not None and now - mood.published_at < self.min_interval_seconds:
            return None
        mood.published_at = now
        return self._update(mood, now=now)

    def _update(self, mood: _ExhibitMood, *, now: float) -> dict[str, object]:
        while mood.seconds and now - mood.seconds[0][0] > self.window_seconds:
            mood.seconds.popleft()
        faces = sum(count for _, _, count in mood.seconds)
        probabilities = None
        if faces:
            totals = [sum(sums[i] for _, sums, _ in mood.seconds) for i in range(len(EMOTIONS))]
            probabilities = {name: round(totals[i] / faces, 4) for i, name in enumerate(EMOTIONS)}
        return {
            "type": "mood.update",
            "publisher": LIVE_PUBLISHER_ID,
            "exhibit": mood.exhibit,
            "cameras": len(mood.cameras),
            "faces": faces,
            "probabilities": probabilities,
            "window_seconds": self.window_seconds,
        }


live_mood_board = LiveMoodBoard(window_seconds=HALL_MOOD_WINDOW_SECONDS)
"""The process-wide board shared by every camera consumer of this process."""
