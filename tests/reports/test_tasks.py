"""The rollup task: scheduled by beat, run in process without Redis and by a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from emotions.models import EmotionReading
from museum_site import celery_app
from museum_site.reports.models import ReadingRollup
from museum_site.reports.tasks import rollup_sync_task
from tests.reports.conftest import D1, at, read

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_is_scheduled_by_beat_recent_days_often_and_every_day_hourly():
    entries = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] == "reports.rollup_sync"
    }
    assert entries["reports-rollup-recent"]["kwargs"] == {"days_back": 2}
    assert entries["reports-rollup-recent"]["schedule"].total_seconds() == 300
    assert "kwargs" not in entries["reports-rollup-all-days"]
    assert celery_app.conf.beat_schedule["reports-rollup-recent"]["task"] == "reports.rollup_sync"
    celery_app.loader.import_default_modules()
    assert "reports.rollup_sync" in celery_app.tasks


def test_it_runs_in_process_without_redis(world):
    ReadingRollup.objects.all().delete()
    result = rollup_sync_task.delay().get(timeout=10)
    assert result["full"] and result["days_rebuilt"] == 3
    assert ReadingRollup.objects.count() == 8


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@pytest.mark.timeout(180)
@pytest.mark.django_db(transaction=True)
def test_it_runs_on_a_real_worker_through_redis(report_settings, exhibit, people, tmp_path):
    """``celery -A museum_site worker`` in its own process, on the local Redis and the test
    database (PostgreSQL: a worker process cannot share SQLite's in-memory test database)."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set: no Redis for a real worker")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the PostgreSQL test database")
    for i, visitor in enumerate(people[:3]):
        read(exhibit, at(D1, 10, i), visitor=visitor, happy=1.0)
    queue = f"reports-test-{uuid.uuid4().hex}"  # nothing else's tasks reach this worker
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": redis_url}
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "museum_site", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "-Q", queue, "-n", f"{queue}@%h"],
            cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = Celery("reports-test", broker=redis_url, backend=redis_url)
        try:
            result = client.send_task("reports.rollup_sync", kwargs={}, queue=queue)
            outcome = result.get(timeout=120)
        except Exception:
            print(log.read_text(errors="replace"))
            raise
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            client.close()
    assert outcome["full"] and outcome["days_rebuilt"] == 1
    rolled = ReadingRollup.objects.aggregate(n=Sum("readings"))["n"]
    assert rolled == EmotionReading.objects.count() == 3
