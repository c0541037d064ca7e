"""Writes for emotion readings, shared by the live consumer, the clip task and the admin."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from emotions.models import Clip, EmotionReading, ReadingSource
from ml import EMOTIONS
from museum_site.core.models import Exhibit, Visit, VisitorProfile


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
    """An unsaved, validated reading (for bulk inserts)."""
    missing = set(EMOTIONS) - set(probabilities)
    if missing:
        raise ValidationError({"probabilities": f"missing {sorted(missing)}"})
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
    reading.full_clean(validate_unique=False, validate_constraints=True)
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
