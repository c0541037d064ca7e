"""Celery tasks of the privacy app; ``settings.CELERY_BEAT_SCHEDULE`` runs the purge daily."""

from __future__ import annotations

from celery import shared_task

from museum_site.privacy import services

PURGE_TASK = "privacy.purge_expired"


@shared_task(name=PURGE_TASK, ignore_result=False)
def purge_expired_task() -> dict[str, int]:
    """Delete what is past its retention period (see ``services.purge_expired``)."""
    return services.purge_expired().as_dict()
