"""Celery tasks of the reports: keeping the rollup in step (scheduled by CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from museum_site.reports import services


@shared_task(name="reports.rollup_sync")
def rollup_sync_task(days_back: int | None = None) -> dict[str, object]:
    """Rebuild the rollup's stale days: the last ``days_back`` days, or every day if None.

    Safe to overlap with itself (the service serialises runs) and to retry: it only ever
    makes the rollup equal to the readings.
    """
    return services.rollup_sync(days_back=days_back).as_dict()
