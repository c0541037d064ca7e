"""Celery tasks of the emotions app. A task takes an id and calls a service; it owns retries.

Run a worker with ``celery -A museum_site worker -l info`` (several may share the queue).
Without ``REDIS_URL`` tasks run eagerly in the process that queues them.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from emotions import clips

# The hard limit comes from CELERY_TASK_TIME_LIMIT; the soft one leaves time to record the
# failure, so a clip too slow to analyse ends in "failed" instead of being killed mid-way.
CLIP_TASK_SOFT_TIME_LIMIT = max(settings.CELERY_TASK_TIME_LIMIT - 20, 10)
CLIP_TASK_MAX_RETRIES = 5
CLIP_RETRY_BACKOFF_MAX = 300


def clip_retry_backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1`` after a transient error: 5, 10, 20, ..."""
    return min(5 * 2**retries, CLIP_RETRY_BACKOFF_MAX)


@shared_task(
    bind=True,
    # Acknowledge only after the work is done: a worker that dies mid-clip leaves the message
    # with the broker, which hands it to another worker (the clip's lease makes that safe).
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=CLIP_TASK_MAX_RETRIES,
    soft_time_limit=CLIP_TASK_SOFT_TIME_LIMIT,
)
def clip_analyse_task(self, clip_id: int) -> str:
    """Analyse clip ``clip_id``; returns the clip's final status (or why nothing was done)."""
    try:
        return clips.clip_analyse(clip_id=clip_id)
    except clips.ClipBusy as busy:
        if self.request.is_eager:
            # In-process there is no other worker to wait for, and "later" would mean now.
            return "busy"
        # Another worker holds a live lease. Look again when it would have gone stale: by
        # then the clip is finished (a no-op) or its worker is dead and this one takes over.
        # Never refused for max_retries (waiting on a live worker is not a failure): Celery
        # reads max_retries=None as "the task's default", so allow one more than done so far.
        raise self.retry(
            countdown=busy.retry_in + 1, max_retries=self.request.retries + 1
        ) from None
    except clips.TRANSIENT_ERRORS as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            # Out of retries, or in-process where nobody would retry later: fail it now.
            clips.clip_fail(
                clip_id=clip_id,
                error="The clip could not be analysed right now. Please send it again later.",
            )
            raise
        raise self.retry(exc=exc, countdown=clip_retry_backoff(self.request.retries)) from exc
