"""Exhibit fingerprints: DB aggregation, exact values, incremental and full refreshes."""

from __future__ import annotations

import math

import pytest

from emotions.models import EmotionReading
from recommendations import services
from recommendations.models import ExhibitFingerprint
from tests.recommendations.conftest import probs


def test_it_weights_readings_by_faces_and_summarises_valence_and_arousal(
    db, visitor, outsider, exhibit, add_readings
):
    alice, bob = visitor.visitor_profile, outsider.visitor_profile
    add_readings(exhibit, [probs(happy=0.8), probs(happy=0.4, surprise=0.4)], visitor=alice)
    add_readings(exhibit, [probs(sad=0.5)], visitor=bob, faces=2)
    add_readings(exhibit, [probs(angry=1.0)], visitor=None)  # an erased visitor's reading

    assert services.fingerprints_refresh() == 1
    fp = ExhibitFingerprint.objects.get(exhibit=exhibit)

    # Faces: 1 + 1 + 2 + 1 = 5.
    assert fp.reading_count == 4 and fp.face_count == 5 and fp.visitor_count == 2
    assert fp.happy == pytest.approx((0.8 + 0.4) / 5)
    assert fp.surprise == pytest.approx(0.4 / 5)
    assert fp.sad == pytest.approx(2 * 0.5 / 5)
    assert fp.angry == pytest.approx(1.0 / 5)
    assert fp.neutral == pytest.approx((0.2 + 0.2 + 2 * 0.5) / 5)
    assert sum(fp.probabilities.values()) == pytest.approx(1.0)
    # Per reading: valence .8*.8=.64 | .8*.4+.4*.4=.48 | -.7*.5=-.35 (x2 faces) | -.6.
    valences = [0.64, 0.48, -0.35, -0.35, -0.6]
    arousals = [0.4, 0.2 + 0.32, -0.2, -0.2, 0.7]
    mean_v, mean_a = sum(valences) / 5, sum(arousals) / 5
    assert fp.valence == pytest.approx(mean_v)
    assert fp.arousal == pytest.approx(mean_a)
    assert fp.valence_spread == pytest.approx(
        math.sqrt(sum(v * v for v in valences) / 5 - mean_v**2)
    )
    assert fp.arousal_spread == pytest.approx(
        math.sqrt(sum(a * a for a in arousals) / 5 - mean_a**2)
    )
    assert fp.confidence == pytest.approx(1 - 1 / math.sqrt(3))
    assert fp.dominant == "neutral"
    assert fp.last_reading_id == EmotionReading.objects.latest("id").id


def test_it_refreshes_only_exhibits_with_new_readings(db, visitor, exhibit, fossil, add_readings):
    profile = visitor.visitor_profile
    add_readings(exhibit, [probs(happy=1.0)], visitor=profile)
    add_readings(fossil, [probs(surprise=1.0)], visitor=profile)
    assert services.fingerprints_refresh() == 2
    fossil_updated = ExhibitFingerprint.objects.get(exhibit=fossil).updated_at

    assert services.fingerprints_refresh() == 0  # nothing new
    add_readings(exhibit, [probs(sad=1.0)], visitor=profile)
    assert services.fingerprints_refresh() == 1

    assert ExhibitFingerprint.objects.get(exhibit=exhibit).happy == pytest.approx(0.5)
    assert ExhibitFingerprint.objects.get(exhibit=fossil).updated_at == fossil_updated


def test_it_catches_up_on_deletions_in_a_full_refresh(db, visitor, exhibit, fossil, add_readings):
    profile = visitor.visitor_profile
    add_readings(exhibit, [probs(happy=1.0), probs(sad=1.0)], visitor=profile)
    add_readings(fossil, [probs(surprise=1.0)], visitor=profile)
    services.fingerprints_refresh()

    EmotionReading.objects.filter(exhibit=fossil).delete()
    EmotionReading.objects.filter(exhibit=exhibit, sad=1.0).delete()
    services.fingerprints_refresh()  # incremental: no new ids, nothing changes
    assert ExhibitFingerprint.objects.filter(exhibit=fossil).exists()

    assert services.fingerprints_refresh(full=True) == 1
    assert not ExhibitFingerprint.objects.filter(exhibit=fossil).exists()
    assert ExhibitFingerprint.objects.get(exhibit=exhibit).happy == pytest.approx(1.0)


def test_it_has_no_fingerprint_without_readings(db, exhibit):
    assert services.fingerprints_refresh(full=True) == 0
    assert not ExhibitFingerprint.objects.exists()
