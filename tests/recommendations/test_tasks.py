"""The scheduled tasks: beat entries, eager runs, and a real worker on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from museum_site import celery_app
from recommendations import tasks
from recommendations.models import ExhibitFingerprint, ExhibitNeighbour, ExhibitPopularity
from tests.recommendations.conftest import probs

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_schedules_both_tasks_with_celery_beat():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert (
        schedule["recommendations-fingerprints"]["task"] == "recommendations.fingerprints_refresh"
    )
    assert schedule["recommendations-rebuild"]["task"] == "recommendations.rebuild"
    assert schedule["recommendations-fingerprints"]["schedule"].total_seconds() == 600
    assert schedule["recommendations-rebuild"]["schedule"].total_seconds() == 3600
    celery_app.loader.import_default_modules()
    for entry in ("recommendations-fingerprints", "recommendations-rebuild"):
        assert schedule[entry]["task"] in celery_app.tasks


def test_it_refreshes_fingerprints_and_rebuilds_in_process(visitor, gallery, see):
    alice = visitor.visitor_profile
    see(alice, gallery["kiss"], 120, readings=[probs(happy=0.6)] * 2)
    see(alice, gallery["Bronze Horse"], 60, readings=[probs()] * 2)

    assert tasks.fingerprints_refresh.delay().get(timeout=10) == 2
    report = tasks.recommender_rebuild.delay().get(timeout=30)

    assert report["fingerprints"] == 2
    assert report["exhibits"] == 10
    assert report["neighbours"] == ExhibitNeighbour.objects.count() > 0
    assert ExhibitPopularity.objects.count() == 10


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Plain transaction=True like the suite's other transactional tests: mixing in
# serialized_rollback makes a test restore content types that another's flush recreated.
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_a_real_worker_rebuilds_the_recommender_from_the_queue(tmp_path, visitor, gallery, see):
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is unset: no Redis for a real Celery worker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database over PostgreSQL")
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # this test's own Redis database
    alice = visitor.visitor_profile
    see(alice, gallery["kiss"], 120, readings=[probs(surprise=0.5)] * 3)
    see(alice, gallery["Marble Muse"], 60, readings=[probs()] * 3)

    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "museum_site.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "museum_site", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", "recs@%h"],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        # A client of its own, as beat is: the site's app stays eager and untouched.
        client = Celery("beat-like", broker=redis_url)
        try:
            # What beat sends: the task by name, no arguments.
            client.send_task("recommendations.rebuild")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not ExhibitNeighbour.objects.exists():
                assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
        finally:
            client.close()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert ExhibitNeighbour.objects.exists(), output[-3000:]
    assert ExhibitFingerprint.objects.count() == 2
    assert "recommendations.rebuild" in output and "succeeded" in output
