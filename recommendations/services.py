"""Writes: fingerprints, popularity and neighbours (the model), and visitor feedback.

The model tables are rebuilt here, on a schedule (``tasks.py``, Celery beat), from SQL
aggregates; pages only read the result. Feedback writes are validated with ``full_clean``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, FloatField, Max, Sum, Value
from django.db.models.expressions import CombinedExpression

from emotions.models import EmotionReading
from ml import EMOTIONS
from museum_site.core.models import Exhibit, VisitorProfile
from recommendations import engine, selectors
from recommendations.models import (
    ExhibitFingerprint,
    ExhibitNeighbour,
    ExhibitPopularity,
    VisitorExhibitFeedback,
)

logger = logging.getLogger(__name__)

# Exhibits aggregated per query in a fingerprint refresh (keeps the IN list and memory small).
FINGERPRINT_BATCH = 200


# --- Fingerprints -------------------------------------------------------------------------


def _circumplex_expression(coordinate: int) -> CombinedExpression:
    """SQL for one reading's valence (0) or arousal (1): Σ coordinate(emotion) × probability."""
    terms = [Value(engine.CIRCUMPLEX[name][coordinate]) * F(name) for name in EMOTIONS]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _fingerprint_aggregates() -> dict:
    valence = _circumplex_expression(0)
    arousal = _circumplex_expression(1)
    weighted = {
        name: Sum(F("face_count") * F(name), output_field=FloatField()) for name in EMOTIONS
    }
    return {
        "readings": Count("id"),
        "faces": Sum("face_count"),
        "visitors": Count("visitor", distinct=True),
        "last_id": Max("id"),
        "valence_squares": Sum(F("face_count") * valence * valence, output_field=FloatField()),
        "arousal_squares": Sum(F("face_count") * arousal * arousal, output_field=FloatField()),
        **weighted,
    }


def _fingerprint_from_row(row: dict) -> ExhibitFingerprint:
    faces = row["faces"]
    means = {name: min(max(row[name] / faces, 0.0), 1.0) for name in EMOTIONS}
    valence = sum(engine.CIRCUMPLEX[name][0] * p for name, p in means.items())
    arousal = sum(engine.CIRCUMPLEX[name][1] * p for name, p in means.items())
    fingerprint = ExhibitFingerprint(
        exhibit_id=row["exhibit_id"],
        **means,
        valence=min(max(valence, -1.0), 1.0),
        arousal=min(max(arousal, -1.0), 1.0),
        # Var = E[x²] - E[x]²; max() absorbs rounding just below zero.
        valence_spread=math.sqrt(max(row["valence_squares"] / faces - valence**2, 0.0)),
        arousal_spread=math.sqrt(max(row["arousal_squares"] / faces - arousal**2, 0.0)),
        reading_count=row["readings"],
        face_count=faces,
        visitor_count=row["visitors"],
        confidence=1 - 1 / math.sqrt(1 + row["visitors"]),
        last_reading_id=row["last_id"],
    )
    # No full_clean(): these rows are derived, not entered, and validating each check
    # constraint costs a query per row; the database enforces the same constraints.
    return fingerprint


_FINGERPRINT_FIELDS = [
    *EMOTIONS,
    "valence",
    "arousal",
    "valence_spread",
    "arousal_spread",
    "reading_count",
    "face_count",
    "visitor_count",
    "confidence",
    "last_reading_id",
    "updated_at",
]


def fingerprints_refresh(*, full: bool = False) -> int:
    """Recompute exhibit fingerprints from their readings; return how many were written.

    Incremental (the default): only exhibits with readings newer than the newest reading
    any fingerprint has seen. Reading ids come from a sequence, so "newer" is "larger id";
    a reading committed late with a smaller id, or a deleted one, waits for the next
    ``full`` run, which recomputes every exhibit and drops fingerprints without readings.
    """
    readings = EmotionReading.objects.order_by()
    if full:
        dirty = list(readings.values_list("exhibit_id", flat=True).distinct())
    else:
        watermark = ExhibitFingerprint.objects.aggregate(mark=Max("last_reading_id"))["mark"]
        dirty = list(
            readings.filter(id__gt=watermark or 0).values_list("exhibit_id", flat=True).distinct()
        )
    written = 0
    for start in range(0, len(dirty), FINGERPRINT_BATCH):
        batch = dirty[start : start + FINGERPRINT_BATCH]
        rows = (
            readings.filter(exhibit_id__in=batch)
            .values("exhibit_id")
            .annotate(**_fingerprint_aggregates())
        )
        fingerprints = [_fingerprint_from_row(row) for row in rows if row["faces"]]
        with transaction.atomic():
            ExhibitFingerprint.objects.bulk_create(
                fingerprints,
                update_conflicts=True,
                unique_fields=["exhibit"],
                update_fields=_FINGERPRINT_FIELDS,
            )
        written += len(fingerprints)
    if full:
        ExhibitFingerprint.objects.exclude(exhibit_id__in=dirty).delete()
    return written


# --- Popularity and neighbours: the model -------------------------------------------------


def popularity_refresh(*, now: datetime | None = None) -> dict[int, int]:
    """Store each active exhibit's distinct visitors of the last 30 days and 0-1 score."""
    counts = selectors.popularity_counts(now=now)
    scores = engine.popularity_from(counts)
    rows = [
        ExhibitPopularity(exhibit_id=exhibit, recent_visitors=n, score=scores[exhibit])
        for exhibit, n in counts.items()
    ]
    with transaction.atomic():
        ExhibitPopularity.objects.exclude(exhibit_id__in=counts).delete()
        ExhibitPopularity.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["exhibit"],
            update_fields=["recent_visitors", "score", "updated_at"],
        )
    return counts


def neighbours_rebuild(*, popularity_counts: dict[int, int] | None = None) -> int:
    """Fit the item-item neighbours on every visitor's profile and store them.

    The previous model is replaced in one transaction, so pages never see half of one.
    Returns the number of neighbour rows stored.
    """
    documents = selectors.exhibit_documents()
    profiles = engine.profiles_from(selectors.observations_for())
    if popularity_counts is None:
        popularity_counts = selectors.popularity_counts()
    model = engine.fit(profiles=profiles, documents=documents, popularity_counts=popularity_counts)
    rows = [
        ExhibitNeighbour(
            exhibit_id=exhibit,
            neighbour_id=n.exhibit,
            channel=channel,
            score=n.score,
            support=n.support,
        )
        for channel, table in model.neighbours.items()
        for exhibit, neighbours in table.items()
        for n in neighbours
    ]
    with transaction.atomic():
        ExhibitNeighbour.objects.all().delete()
        ExhibitNeighbour.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@dataclass(frozen=True)
class RebuildReport:
    fingerprints: int
    exhibits: int
    neighbours: int
    seconds: float


def recommender_rebuild(*, now: datetime | None = None) -> RebuildReport:
    """The full, scheduled rebuild: every fingerprint, popularity and the neighbours."""
    started = time.perf_counter()
    fingerprints = fingerprints_refresh(full=True)
    counts = popularity_refresh(now=now)
    neighbours = neighbours_rebuild(popularity_counts=counts)
    report = RebuildReport(
        fingerprints=fingerprints,
        exhibits=len(counts),
        neighbours=neighbours,
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info("Recommender rebuilt: %s", report)
    return report


# --- Feedback -----------------------------------------------------------------------------


def _feedback_save(
    *, visitor: VisitorProfile, exhibit: Exhibit, changes: dict
) -> VisitorExhibitFeedback | None:
    """Apply ``changes`` to the (locked) feedback row; delete it when nothing is left.

    Rating or hiding needs an exhibit on display; clearing either works on any exhibit.
    """
    if not exhibit.active and any(value not in (None, False) for value in changes.values()):
        raise ValidationError("This exhibit is not on display any more.", code="inactive")
    row = (
        VisitorExhibitFeedback.objects.select_for_update()
        .filter(visitor=visitor, exhibit=exhibit)
        .first()
    ) or VisitorExhibitFeedback(visitor=visitor, exhibit=exhibit)
    for name, value in changes.items():
        setattr(row, name, value)
    if row.rating is None and not row.hidden:
        if row.pk:
            row.delete()
        return None
    row.full_clean(validate_unique=False)
    row.save()
    return row


@transaction.atomic
def feedback_rate(
    *, visitor: VisitorProfile, exhibit: Exhibit, rating: int | None
) -> VisitorExhibitFeedback | None:
    """Rate an exhibit 1-5, or clear the rating with ``None``. Hiding is left as it was."""
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        raise ValidationError({"rating": "A rating is a whole number from 1 to 5."})
    return _feedback_save(visitor=visitor, exhibit=exhibit, changes={"rating": rating})


@transaction.atomic
def feedback_hide(
    *, visitor: VisitorProfile, exhibit: Exhibit, hidden: bool = True
) -> VisitorExhibitFeedback | None:
    """Hide an exhibit from the visitor's recommendations (or show it again)."""
    return _feedback_save(visitor=visitor, exhibit=exhibit, changes={"hidden": bool(hidden)})
