"""The purge task and the beat schedule that runs it."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.conf import settings

from emotions.models import EmotionReading
from museum_site.celery import app
from museum_site.privacy.tasks import PURGE_TASK, purge_expired_task

NOW = datetime(2027, 3, 1, 3, 17, tzinfo=UTC)


def test_it_is_scheduled_daily_by_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-purge-expired"]
    assert entry["task"] == PURGE_TASK
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {17}
    app.loader.import_default_modules()
    assert PURGE_TASK in app.tasks


def test_it_runs_the_purge_through_celery(visitor, exhibit, make_reading):
    make_reading(exhibit=exhibit, recorded_at=NOW - timedelta(days=400))
    with time_machine.travel(NOW, tick=False):
        result = purge_expired_task.delay()  # eager in tests: the real task code path
    assert result.get(timeout=10)["readings_deleted"] == 1
    assert not EmotionReading.objects.exists()


def test_a_real_worker_runs_the_purge_from_redis(transactional_db, exhibit, make_reading):
    """The path production takes: beat's message through Redis to a worker."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis for a real worker")
    make_reading(exhibit=exhibit, recorded_at=NOW - timedelta(days=400))
    make_reading(exhibit=exhibit, recorded_at=NOW - timedelta(days=1))
    worker_app = Celery("privacy-test", broker=redis_url, backend=redis_url, set_as_current=False)
    worker_app.conf.update(task_default_queue="privacy-test", broker_connection_retry=False)
    worker_app.finalize()  # shared tasks, ours included, register with every app
    assert PURGE_TASK in worker_app.tasks
    with time_machine.travel(NOW, tick=True):
        with start_worker(worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            result = worker_app.send_task(PURGE_TASK, queue="privacy-test")
            assert result.get(timeout=60)["readings_deleted"] == 1
    assert EmotionReading.objects.count() == 1
