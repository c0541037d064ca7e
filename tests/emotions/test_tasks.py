"""emotions.tasks: the clip task's wiring, in-process runs and its retry decisions.

The real worker, broker and a worker killed mid-clip are in test_worker_integration.py.
"""

from __future__ import annotations

import uuid

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone

from emotions import clips, tasks
from emotions.models import Clip, ClipStatus
from tests.emotions import test_clips
from tests.emotions.test_clips import make_clip

# Fixtures shared with the service tests.
clip_storage = test_clips.clip_storage
face_video = test_clips.face_video
clip_faces = test_clips.clip_faces


def test_it_is_configured_for_redelivery() -> None:
    task = tasks.clip_analyse_task
    assert task.name == "emotions.tasks.clip_analyse_task"
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.ignore_result is True
    assert task.max_retries == tasks.CLIP_TASK_MAX_RETRIES
    assert 0 < task.soft_time_limit


def test_it_backs_off_exponentially_up_to_a_cap() -> None:
    delays = [tasks.clip_retry_backoff(n) for n in range(10)]
    assert delays[:4] == [5, 10, 20, 40]
    assert delays == sorted(delays) and delays[-1] == tasks.CLIP_RETRY_BACKOFF_MAX


def test_it_runs_in_process_when_the_clip_is_committed(
    visitor, exhibit, clip_storage, face_video, django_capture_on_commit_callbacks
) -> None:
    # Without REDIS_URL Celery is eager: committing the clip runs the real analysis at once.
    with django_capture_on_commit_callbacks(execute=True):
        clip = make_clip(visitor, exhibit, face_video)
    clip.refresh_from_db()
    assert clip.status == ClipStatus.DONE
    assert clip.readings.count() == 4
    assert not clip.file


def test_a_transient_error_in_process_fails_the_clip_clearly(
    monkeypatch, visitor, exhibit, clip_storage, face_video, django_capture_on_commit_callbacks
) -> None:
    def database_went_away(*, clip_id: int) -> str:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(clips, "clip_analyse", database_went_away)
    with django_capture_on_commit_callbacks(execute=True):
        clip = make_clip(visitor, exhibit, face_video)
    clip.refresh_from_db()
    assert clip.status == ClipStatus.FAILED
    assert "could not be analysed right now" in clip.error


class _RetryRecorder:
    """Stands in for Task.retry, which on a real worker publishes the retry to the broker."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs) -> Retry:
        self.calls.append(kwargs)
        return Retry("retry recorded", when=kwargs.get("countdown"))


def _run_on_worker(monkeypatch, clip_id: int, *, retries: int = 0) -> _RetryRecorder:
    """Run the task body as a worker would (not eager), recording what it asks to retry."""
    task = tasks.clip_analyse_task
    recorder = _RetryRecorder()
    monkeypatch.setattr(task, "retry", recorder)
    task.push_request(retries=retries, is_eager=False, id=str(uuid.uuid4()))
    try:
        with pytest.raises(Retry):
            task.run(clip_id)
    finally:
        task.pop_request()
    return recorder


def test_a_worker_waits_for_a_live_lease_to_go_stale(
    monkeypatch, settings, visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    Clip.objects.filter(pk=clip.pk).update(
        status=ClipStatus.PROCESSING, lease_token=uuid.uuid4(), heartbeat_at=timezone.now()
    )
    recorder = _run_on_worker(monkeypatch, clip.pk, retries=tasks.CLIP_TASK_MAX_RETRIES)
    [call] = recorder.calls
    assert 0 < call["countdown"] <= settings.CLIP_LEASE_SECONDS + 1
    # Waiting on a live worker never runs out of retries.
    assert call["max_retries"] > tasks.CLIP_TASK_MAX_RETRIES


def test_a_worker_retries_transient_errors_with_backoff_then_gives_up(
    monkeypatch, visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)
    error = OperationalError("could not connect to server")

    def database_went_away(*, clip_id: int) -> str:
        raise error

    monkeypatch.setattr(clips, "clip_analyse", database_went_away)
    recorder = _run_on_worker(monkeypatch, clip.pk, retries=2)
    [call] = recorder.calls
    assert call == {"exc": error, "countdown": 20}
    clip.refresh_from_db()
    assert clip.status == ClipStatus.QUEUED, "still waiting for its retry"

    task = tasks.clip_analyse_task
    task.push_request(retries=tasks.CLIP_TASK_MAX_RETRIES, is_eager=False)
    try:
        with pytest.raises(OperationalError):
            task.run(clip.pk)
    finally:
        task.pop_request()
    clip.refresh_from_db()
    assert clip.status == ClipStatus.FAILED
    assert "could not be analysed right now" in clip.error


def test_a_transient_error_mid_analysis_gives_the_lease_back(
    monkeypatch, visitor, exhibit, clip_storage, face_video
) -> None:
    clip = make_clip(visitor, exhibit, face_video)

    def database_went_away(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(clips, "video_analyse", database_went_away)
    with pytest.raises(OperationalError):
        clips.clip_analyse(clip_id=clip.pk)
    clip.refresh_from_db()
    # Released, so the retry starts at once instead of waiting for the lease to go stale.
    assert clip.status == ClipStatus.QUEUED and clip.lease_token is None
