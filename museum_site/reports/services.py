"""Writes for the reports: keeping the daily rollup equal to the emotion readings.

The rollup (``models.ReadingRollup``) is a cache, so the only question is *which days are
stale*. Readings are inserted, deleted or anonymised (their visitor emptied, their time cut
to the hour: ``privacy.services.readings_anonymise``), never otherwise edited, and ids only
grow. So a day's ``(number of readings, highest id, readings without a visitor)`` is a
signature that changes whenever its readings do: an insertion raises the highest id, a
deletion lowers the count, an anonymisation raises the third figure (and a reading moved to
another day changes both days' counts). The rollup rows carry all three, so a sync computes
the signature from the readings and from the rollup and rebuilds only the days that differ.
It so catches erasures, cascades from clips, the admin's deletions, late readings (a clip
analysed hours after it was recorded) and a damaged rollup, without any signal handlers.

Deleting a visitor profile empties the rollup's visitor at once (``on_delete=SET_NULL``, like
the readings); code that anonymises readings and keeps the profile calls
``rollup_forget_visitors`` in its transaction so that no link outlives the readings' own.

Celery beat runs it (``tasks.py``): the last two days every five minutes, every day hourly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import TruncDate
from django.utils import timezone

from emotions.models import EmotionReading
from ml import EMOTIONS
from museum_site.core.models import VisitorProfile
from museum_site.reports.dates import day_bounds, report_time_zone
from museum_site.reports.models import ReadingRollup, RollupState

# Days rebuilt per statement: bounds the memory of one grouped query on a full rebuild.
REBUILD_CHUNK_DAYS = 31
INSERT_BATCH_SIZE = 2000


@dataclass(frozen=True)
class RollupResult:
    """What one sync did: days compared, days rebuilt and rollup rows written."""

    days_checked: int
    days_rebuilt: int
    rows_written: int
    full: bool
    synced_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "days_checked": self.days_checked,
            "days_rebuilt": self.days_rebuilt,
            "rows_written": self.rows_written,
            "full": self.full,
            "synced_at": self.synced_at.isoformat(),
        }


def _readings_by_day(since: date | None):
    readings = EmotionReading.objects.all()
    if since is not None:
        # A bound on the indexed column itself, so PostgreSQL reads only the recent range.
        readings = readings.filter(recorded_at__gte=day_bounds(since, since)[0])
    return readings.annotate(day=TruncDate("recorded_at", tzinfo=report_time_zone()))


def _stale_days(*, since: date | None) -> tuple[int, list[date]]:
    """Days whose readings differ from what the rollup was built from, oldest first."""
    current = {
        row["day"]: (row["n"], row["max_id"], row["anonymous"])
        for row in _readings_by_day(since)
        .order_by()
        .values("day")
        .annotate(
            n=Count("id"),
            max_id=Max("id"),
            anonymous=Count("id", filter=Q(visitor__isnull=True)),
        )
    }
    rolled_rows = ReadingRollup.objects.order_by()
    if since is not None:
        rolled_rows = rolled_rows.filter(day__gte=since)
    rolled = {
        row["day"]: (row["n"], row["max_id"], row["anonymous"] or 0)
        for row in rolled_rows.values("day").annotate(
            n=Sum("readings"),
            max_id=Max("max_reading_id"),
            anonymous=Sum("readings", filter=Q(visitor__isnull=True)),
        )
    }
    stale = {day for day, signature in current.items() if rolled.get(day) != signature}
    stale |= set(rolled) - set(current)  # every reading of the day is gone
    return len(current.keys() | rolled.keys()), sorted(stale)


def _chunks(days: list[date], size: int) -> Iterator[list[date]]:
    for i in range(0, len(days), size):
        yield days[i : i + size]


def _rebuild_days(days: list[date]) -> int:
    """Replace the rollup rows of ``days`` with fresh aggregates of their readings."""
    first, last = days[0], days[-1]
    start, end = day_bounds(first, last)
    groups = (
        _readings_by_day(None)
        .filter(recorded_at__gte=start, recorded_at__lt=end, day__in=days)
        .order_by()
        .values("day", "exhibit_id", "source", "visitor_id")
        .annotate(
            n=Count("id"),
            face_sum=Sum("face_count"),
            non_neutral_n=Count("id", filter=~Q(label="neutral")),
            max_id=Max("id"),
            # Face-weighted sums: a reading that averaged three faces weighs three times.
            **{f"{name}_sum": Sum(_weighted(name)) for name in EMOTIONS},
        )
    )
    ReadingRollup.objects.filter(day__in=days).delete()
    batch: list[ReadingRollup] = []
    written = 0
    for group in groups.iterator(chunk_size=INSERT_BATCH_SIZE):
        batch.append(
            ReadingRollup(
                day=group["day"],
                exhibit_id=group["exhibit_id"],
                source=group["source"],
                visitor_id=group["visitor_id"],
                readings=group["n"],
                faces=group["face_sum"] or 0,
                non_neutral=group["non_neutral_n"],
                max_reading_id=group["max_id"],
                **{name: group[f"{name}_sum"] or 0.0 for name in EMOTIONS},
            )
        )
        if len(batch) >= INSERT_BATCH_SIZE:
            written += len(ReadingRollup.objects.bulk_create(batch))
            batch = []
    if batch:
        written += len(ReadingRollup.objects.bulk_create(batch))
    # A reading inserted while this ran is either in the rows written (and so in their
    # signature) or not; either way the next sync sees the difference and picks it up.
    return written


def _weighted(name: str) -> CombinedExpression:
    return F(name) * F("face_count")


def _lock_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def rollup_sync(*, days_back: int | None = None, now: datetime | None = None) -> RollupResult:
    """Bring the rollup up to date with the readings; returns what it did.

    ``days_back=None`` compares every day; ``days_back=N`` only today and the N days before
    (the frequent run). Runs are serialised by a row lock, so beat and a manual refresh may
    overlap safely; readers keep seeing the previous rollup until the run commits.
    """
    if days_back is not None and days_back < 0:
        raise ValueError("days_back must be zero or more.")
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state()
        full = days_back is None
        if state.time_zone != settings.TIME_ZONE:
            # Days cut in another zone are different days: start again from scratch.
            ReadingRollup.objects.all().delete()
            full = True
        since = (
            None
            if full
            else timezone.localdate(now, report_time_zone()) - timedelta(days=days_back or 0)
        )
        checked, stale = _stale_days(since=since)
        written = 0
        for days in _chunks(stale, REBUILD_CHUNK_DAYS):
            written += _rebuild_days(days)
        # Stamped with the start of the run: readings after it may not be in the rollup yet.
        state.time_zone = settings.TIME_ZONE
        state.synced_at = now
        if full:
            state.full_synced_at = now
        state.save()
    return RollupResult(
        days_checked=checked,
        days_rebuilt=len(stale),
        rows_written=written,
        full=full,
        synced_at=now,
    )


def rollup_forget_visitors(*, visitors: Iterable[VisitorProfile]) -> int:
    """Unlink visitors from the rollup, as anonymising their readings would.

    Deleting a profile does this by itself (``on_delete=SET_NULL``, like the readings). Code
    that anonymises readings without deleting the profile calls this in the same transaction.
    """
    ids = [visitor.pk for visitor in visitors]
    return ReadingRollup.objects.filter(visitor_id__in=ids).update(visitor=None)


def rollup_state() -> RollupState:
    """The state row (created on first use), for showing how fresh the reports are."""
    state, _ = RollupState.objects.get_or_create(pk=1)
    return state
