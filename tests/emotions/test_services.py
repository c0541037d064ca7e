from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from emotions import services
from emotions.consumers import inference_threads, inference_warm_up
from emotions.models import EmotionReading, ReadingSource
from emotions.services import ReadingBucket, reading_build, reading_from_bucket, readings_save
from ml import EMOTIONS, inference

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def probs(**overrides: float) -> dict[str, float]:
    base = dict.fromkeys(EMOTIONS, 0.0)
    base.update(overrides)
    return base


def test_it_averages_faces_of_a_bucket_into_one_reading(db, visitor, exhibit) -> None:
    bucket = ReadingBucket(started_at=T0)
    bucket.add_frame([probs(happy=0.8, neutral=0.2), probs(happy=0.4, surprise=0.6)])
    bucket.add_frame([])
    bucket.add_frame([probs(sad=1.0)])
    reading = reading_from_bucket(bucket=bucket, exhibit=exhibit, visitor=visitor.visitor_profile)
    readings_save(readings=[reading])
    saved = EmotionReading.objects.get()
    assert saved.face_count == 3 and saved.frame_count == 3
    assert saved.happy == pytest.approx(0.4)
    assert saved.sad == pytest.approx(1 / 3)
    assert saved.label == "happy" and saved.confidence == pytest.approx(0.4)
    assert saved.source == ReadingSource.LIVE


def test_it_refuses_incomplete_or_out_of_range_probabilities(db, exhibit) -> None:
    with pytest.raises(ValidationError):
        reading_build(exhibit=exhibit, probabilities={"happy": 1.0}, recorded_at=T0)
    with pytest.raises(ValidationError):
        reading_build(exhibit=exhibit, probabilities=probs(happy=1.5), recorded_at=T0)
    with pytest.raises(ValidationError):
        reading_build(exhibit=exhibit, probabilities=probs(sad=float("nan")), recorded_at=T0)


def test_it_validates_a_reading_without_querying_the_database(
    db, visitor, exhibit, django_assert_num_queries
) -> None:
    # The live camera builds one reading per second per socket: validation stays in Python.
    with django_assert_num_queries(0):
        reading_build(
            exhibit=exhibit,
            visitor=visitor.visitor_profile,
            probabilities=probs(happy=0.7, neutral=0.3),
            recorded_at=T0,
        )


def test_the_database_enforces_reading_invariants(db, exhibit) -> None:
    with pytest.raises(IntegrityError):
        EmotionReading.objects.create(
            exhibit=exhibit, label="happy", confidence=1.0, happy=1.0, source=ReadingSource.CLIP
        )


def test_a_clip_reading_needs_its_clip(db, exhibit) -> None:
    with pytest.raises(ValidationError):
        reading_build(
            exhibit=exhibit,
            probabilities=probs(happy=1.0),
            recorded_at=T0,
            source=ReadingSource.CLIP,
        )


def test_the_warm_up_loads_the_model_on_every_inference_and_search_thread(monkeypatch) -> None:
    """What the ASGI application starts with (LIVE_MODEL_PRELOAD), so that the first frame
    of the first visitor does not wait for the model; /healthz then says "loaded"."""
    monkeypatch.setattr(inference, "_classifiers", {})  # As in a process just started.
    assert not services.live_model_loaded()
    futures = inference_warm_up()
    assert len(futures) == 2 * inference_threads()  # The inference and the search threads.
    for future in futures:
        future.result(timeout=120)
    assert services.live_model_loaded()
