"""Reads for the emotions app: who may watch the hall mood, and what it looked like lately."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, FloatField, Sum
from django.utils import timezone

from emotions.models import EmotionReading, ReadingSource
from ml import EMOTIONS

HALL_MOOD_WINDOW_SECONDS = 10
"""The live hall mood averages the faces of this many past seconds."""


def hall_mood_allowed(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff, and anyone holding ``core.view_reports`` (the Curators group), may watch."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_staff or user.has_perm("core.view_reports"))


def hall_mood_snapshot(
    *, now: datetime | None = None, window_seconds: float = HALL_MOOD_WINDOW_SECONDS
) -> list[dict[str, Any]]:
    """The live mood per active exhibit over the last seconds, from saved live readings.

    Same shape as the live updates camera consumers publish (``publisher`` is ``"saved"``),
    with ``cameras`` counting the visitors seen in the window. Probabilities are averaged per
    face, as the live updates do, so a crowded second weighs more than a single face.
    """
    since = (now or timezone.now()) - timedelta(seconds=window_seconds)
    weighted = {
        f"{name}_sum": Sum(F(name) * F("face_count"), output_field=FloatField())
        for name in EMOTIONS
    }
    rows = (
        EmotionReading.objects.filter(
            source=ReadingSource.LIVE, recorded_at__gte=since, exhibit__active=True
        )
        .values(
            "exhibit_id",
            "exhibit__slug",
            "exhibit__title",
            "exhibit__hall__name",
            "exhibit__hall__ordering",
        )
        .annotate(faces=Sum("face_count"), cameras=Count("visitor", distinct=True), **weighted)
        .order_by("exhibit__hall__ordering", "exhibit__hall__name", "exhibit__title")
    )
    return [
        {
            "publisher": "saved",
            "exhibit": {
                "id": row["exhibit_id"],
                "slug": row["exhibit__slug"],
                "title": row["exhibit__title"],
                "hall": row["exhibit__hall__name"],
            },
            "cameras": row["cameras"],
            "faces": row["faces"],
            "probabilities": {
                name: round(row[f"{name}_sum"] / row["faces"], 4) for name in EMOTIONS
            },
            "window_seconds": window_seconds,
        }
        for row in rows
        if row["faces"]
    ]
