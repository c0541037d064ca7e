"""Celery tasks: the scheduled rebuilds of the recommender's tables.

Both run from Celery beat (``CELERY_BEAT_SCHEDULE`` in settings): fingerprints catch up
every few minutes; the full rebuild (every fingerprint, popularity, neighbours) runs hourly.
They take no arguments and are idempotent, so a retried or doubled run does no harm.
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.db import OperationalError

from recommendations import services


# A database that is briefly unreachable (failover, restart) is worth a few retries.
@shared_task(
    name="recommendations.fingerprints_refresh",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def fingerprints_refresh() -> int:
    return services.fingerprints_refresh(full=False)


@shared_task(
    name="recommendations.rebuild",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def recommender_rebuild() -> dict:
    return asdict(services.recommender_rebuild())
