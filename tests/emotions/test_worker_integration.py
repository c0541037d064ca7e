"""A real Celery worker on the local Redis analyses a clip, is killed mid-clip, and a new
worker finishes the clip exactly once.

Needs ``TEST_REDIS_URL`` (scripts/test.sh sets it when Redis answers) and PostgreSQL: the
worker processes connect to the very test database pytest-django created, which a SQLite
in-memory test database cannot offer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from emotions import clips
from emotions.models import Clip, ClipStatus, EmotionReading
from emotions.tasks import clip_analyse_task
from tests.emotions import test_clips

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
CLIP_SECONDS = 24
LEASE_SECONDS = 5

clip_faces = test_clips.clip_faces

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Generous: on a loaded 2-core machine a worker takes a while to start and to analyse.
    pytest.mark.timeout(600),
]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """``celery -A museum_site worker`` as a child process, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "museum_site",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}@%h",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no chance to hand the task back."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def workers(env: dict[str, str], log_dir: Path) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(name, env, log_dir / f"{name}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        # Keep the workers' logs for whoever debugs a failure (tmp_path is rotated away).
        artifacts = REPO_ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        for worker in started:
            (artifacts / f"{worker.name}.log").write_bytes(worker.log.read_bytes())


@contextmanager
def real_broker(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Queue clips on ``url`` as a web process with ``REDIS_URL`` set does.

    A client app of its own rather than reconfiguring the process's (eager) Celery app,
    whose connection state earlier tests may have shaped.
    """
    client = Celery("clips-test-client", broker=url, set_as_current=False)
    client.conf.update(task_serializer="json", accept_content=["json"])

    def enqueue(clip_id: int) -> None:
        client.send_task(clip_analyse_task.name, args=[clip_id])

    monkeypatch.setattr(clips, "_clip_enqueue", enqueue)
    try:
        yield
    finally:
        client.close()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, logs: Callable) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")


def clip_state(pk: int) -> Clip:
    return Clip.objects.get(pk=pk)


def test_a_clip_survives_its_worker_being_killed_and_completes_once(
    settings, monkeypatch, tmp_path, visitor, exhibit, clip_faces
) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is unset: no Redis for a real Celery worker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes need the test database over PostgreSQL")
    import redis

    broker = redis.Redis.from_url(TEST_REDIS_URL)
    broker.flushdb()  # this test's own Redis database: no messages left from earlier runs

    storage = tmp_path / "private-clips"
    settings.CLIP_STORAGE_ROOT = storage
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "museum_site.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": TEST_REDIS_URL,
        "CLIP_STORAGE_ROOT": str(storage),
        "MODEL_FILE": str(django_settings.MODEL_FILE),
        # Every frame analysed, so the clip takes long enough to be killed in the middle.
        "CLIP_SAMPLE_FPS": "10",
        "CLIP_LEASE_SECONDS": str(LEASE_SECONDS),
        # Redis hands a dead worker's task on after this long.
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "ML_TORCH_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    seconds = (clip_faces * (CLIP_SECONDS // len(clip_faces) + 1))[:CLIP_SECONDS]
    video = test_clips.write_video(tmp_path / "long.mp4", seconds)

    with workers(env, tmp_path) as start:
        first = start("clips-first")
        with real_broker(TEST_REDIS_URL, monkeypatch):
            clip = test_clips.make_clip(visitor, exhibit, video)
        assert clip_state(clip.pk).status == ClipStatus.QUEUED

        # Kill the worker well inside the clip, while it holds the lease.
        wait_for(
            lambda: clip_state(clip.pk).progress >= 0.15,
            timeout=240,
            what="the first worker to get into the clip",
            logs=first.output,
        )
        first.kill()
        killed = clip_state(clip.pk)
        assert killed.status == ClipStatus.PROCESSING, first.output()
        assert 0.15 <= killed.progress < 0.95
        assert not killed.readings.exists()

        second = start("clips-second")
        wait_for(
            lambda: clip_state(clip.pk).is_finished,
            timeout=240,
            what="the second worker to finish the clip",
            logs=lambda: f"--- first\n{first.output()}\n--- second\n{second.output()}",
        )

    done = clip_state(clip.pk)
    assert done.status == ClipStatus.DONE, done.error
    assert done.attempts == 2, "analysed once more after the kill, and only once"
    assert done.progress == 1.0 and done.lease_token is None
    readings = EmotionReading.objects.filter(clip=done)
    assert readings.count() == CLIP_SECONDS
    assert sorted(readings.values_list("offset_seconds", flat=True)) == [
        float(s) for s in range(CLIP_SECONDS)
    ]
    assert len(done.timeline) == CLIP_SECONDS
    assert not done.file and list(storage.rglob("*.mp4")) == []
    assert "taking over from a worker silent since" in second.output()
    # Nothing left for a third worker: the redelivered message was acknowledged.
    assert clips.clip_analyse(clip_id=done.pk) == "skipped"
