"""The numeric core (no database): profile math, similarities, scoring, diversity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml import EMOTIONS
from recommendations import engine
from recommendations.engine import PairObservation

HAPPY, NEUTRAL, SURPRISE = (EMOTIONS.index(name) for name in ("happy", "neutral", "surprise"))


def sums(**values: float) -> tuple[float, ...]:
    out = [0.0] * len(EMOTIONS)
    for name, value in values.items():
        out[EMOTIONS.index(name)] = value
    return tuple(out)


def test_it_measures_responses_against_the_visitors_own_baseline():
    # Exhibit 1: two one-face readings (happy .8/.6); exhibit 2: one two-face reading (.1).
    profile = engine.profiles_from(
        [
            PairObservation(1, 1, readings=2, faces=2, sums=sums(happy=1.4, neutral=0.6)),
            PairObservation(1, 2, readings=1, faces=2, sums=sums(happy=0.2, neutral=1.8)),
        ]
    )[1]

    assert profile.baseline[HAPPY] == pytest.approx(0.4)  # (1.4 + 0.2) / 4 faces
    assert profile.baseline[NEUTRAL] == pytest.approx(0.6)
    first, second = profile.responses[1], profile.responses[2]
    assert first.mean[HAPPY] == pytest.approx(0.7)
    assert second.mean[HAPPY] == pytest.approx(0.1)
    assert first.difference[HAPPY] == pytest.approx(0.3)
    assert second.difference[NEUTRAL] == pytest.approx(0.3)
    # Spread: RMS of the differences with two prior exhibits at 0.05.
    spread = math.sqrt((0.3**2 + 0.3**2 + 2 * 0.05**2) / (2 + 2))
    assert profile.spread[HAPPY] == pytest.approx(spread)
    assert first.z[HAPPY] == pytest.approx(0.3 / spread)
    # Delight runs along valence + arousal / 2: happy 0.8 + 0.25, neutral 0.
    delight_diff = 0.3 * 1.05
    delight_spread = math.sqrt((2 * delight_diff**2 + 2 * 0.05**2) / 4)
    assert first.delight == pytest.approx(delight_diff / delight_spread * 2 / 3)  # 2 readings
    assert second.delight == pytest.approx(-delight_diff / delight_spread * 1 / 2)  # 1 reading
    assert first.affinity == pytest.approx(first.delight)  # no dwell, no rating
    assert first.strongest_emotion() == "happy"
    assert second.strongest_emotion() is None


def test_it_does_not_find_an_always_smiling_visitor_delighted_by_everything():
    smiler = [
        PairObservation(1, exhibit, readings=10, faces=10, sums=sums(happy=9.0, neutral=1.0))
        for exhibit in (1, 2, 3)
    ] + [PairObservation(1, 4, readings=10, faces=10, sums=sums(happy=9.0, surprise=1.0))]
    profile = engine.profiles_from(smiler)[1]

    assert profile.responses[1].mean[HAPPY] == pytest.approx(0.9)
    assert profile.responses[1].z[HAPPY] == pytest.approx(0.0)
    assert profile.responses[1].strongest_emotion() is None
    # What stands out is the surprise at exhibit 4, not the smile she always wears.
    assert profile.responses[4].strongest_emotion() == "surprise"
    assert profile.responses[4].delight > profile.responses[1].delight


def test_it_scales_responses_by_how_much_the_visitor_usually_varies():
    def visitor(visitor_id: int, low: float, high: float) -> list[PairObservation]:
        return [
            PairObservation(visitor_id, 1, 5, 5, sums(happy=5 * high, neutral=5 * (1 - high))),
            PairObservation(visitor_id, 2, 5, 5, sums(happy=5 * low, neutral=5 * (1 - low))),
            PairObservation(visitor_id, 3, 5, 5, sums(happy=5 * low, neutral=5 * (1 - low))),
        ]

    profiles = engine.profiles_from(visitor(1, 0.10, 0.16) + visitor(2, 0.10, 0.70))
    subtle, expressive = profiles[1].responses[1], profiles[2].responses[1]
    assert expressive.difference[HAPPY] == pytest.approx(10 * subtle.difference[HAPPY])
    # The z-scores are much closer than the raw differences (the prior keeps them apart).
    assert expressive.z[HAPPY] / subtle.z[HAPPY] < 2.5


def test_it_combines_dwell_and_ratings_into_affinity_and_hidden_trumps_all():
    profile = engine.profiles_from(
        [
            PairObservation(1, 1, dwell_seconds=240),
            PairObservation(1, 2, dwell_seconds=60),
            PairObservation(1, 3, dwell_seconds=15, rating=5),
            PairObservation(1, 4, dwell_seconds=60, rating=5, hidden=True),
        ]
    )[1]
    # Median dwell 60 s: 240 s is log2(4) = +2, 15 s is -2.
    assert profile.responses[1].dwell_log2 == pytest.approx(2.0)
    assert profile.responses[1].affinity == pytest.approx(engine.DWELL_WEIGHT * 2)
    assert profile.responses[2].affinity == pytest.approx(0.0)
    assert profile.responses[3].affinity == pytest.approx(engine.DWELL_WEIGHT * -2 + 2)
    assert profile.responses[4].affinity == engine.HIDDEN_AFFINITY
    assert not profile.has_readings


def test_it_finds_visitors_who_enjoyed_both_exhibits():
    # Visitors 1-6 love 10 and 11, dislike 12; exhibit 13 is liked by different people.
    observations = []
    for visitor in range(1, 7):
        observations += [
            PairObservation(visitor, 10, rating=5),
            PairObservation(visitor, 11, rating=5),
            PairObservation(visitor, 12, rating=1),
        ]
    for visitor in range(7, 10):
        observations += [PairObservation(visitor, 13, rating=5), PairObservation(visitor, 12, 0)]
    profiles = engine.profiles_from(observations)
    similarity, support = engine.collaborative_similarities(
        profiles=profiles, exhibit_ids=[10, 11, 12, 13]
    )[engine.AFFINITY]

    assert support[0, 1] == 6
    assert similarity[0, 1] > 0.2
    assert similarity[0, 1] > similarity[0, 2]
    assert support[0, 3] == 0 and similarity[0, 3] == 0


def test_it_relates_exhibits_by_shared_tags_and_hall():
    docs = [
        engine.ExhibitDocument(1, "sculpture", ("bronze", "symbolism"), "Two bronze figures."),
        engine.ExhibitDocument(2, "sculpture", ("bronze", "portrait"), "A bronze head."),
        engine.ExhibitDocument(3, "fossils", ("jurassic",), "Spiral shells in stone."),
    ]
    similarity, shared = engine.content_similarity(docs, exhibit_ids=[1, 2, 3])
    assert similarity[0, 1] > 0.3
    assert similarity[0, 2] == pytest.approx(0.0)
    assert shared[0, 1] == 1 and shared[0, 2] == 0
    neighbours = engine.top_neighbours(similarity, shared, [1, 2, 3], k=5)
    assert [n.exhibit for n in neighbours[1]] == [2]
    assert neighbours[1][0].support == 1


def model_with(**channels) -> engine.Model:
    model = engine.Model(popularity={})
    for channel, table in channels.items():
        model.neighbours[channel] = {
            source: [engine.Neighbour(t, score, 3) for t, score in targets]
            for source, targets in table.items()
        }
    return model


def test_it_recommends_by_popularity_to_a_visitor_without_history():
    model = engine.Model(popularity={1: 0.2, 2: 1.0, 3: 0.5, 4: 0.0})
    items = engine.recommend(
        profile=None, model=model, halls={1: "a", 2: "b", 3: "c", 4: "d"}, limit=3
    )
    assert [item.exhibit for item in items] == [2, 3, 1]
    # Popularity explains what stands above the median candidate (0.35), nothing else.
    assert [item.reason and item.reason.kind for item in items] == ["popularity"] * 2 + [None]
    assert items[0].reason.value == pytest.approx(1.0 - 0.35)


def test_it_never_recommends_seen_or_excluded_exhibits_and_explains_the_rest():
    profile = engine.profiles_from([PairObservation(1, 1, rating=5)])[1]
    model = model_with(content={1: [(2, 0.9), (3, 0.5)]}, affinity={1: [(4, 0.8)]})
    model.popularity = {2: 1.0, 3: 0.1, 4: 0.1, 5: 0.5, 6: 0.0}
    items = engine.recommend(
        profile=profile,
        model=model,
        halls={1: "a", 2: "a", 3: "b", 4: "c", 5: "d", 6: "e"},
        limit=5,
        exclude={3},
    )
    assert {item.exhibit for item in items} == {2, 4, 5, 6}
    by_id = {item.exhibit: item for item in items}
    assert by_id[4].reason.kind == engine.AFFINITY and by_id[4].reason.source == 1
    assert by_id[2].reason.kind == engine.CONTENT and by_id[2].reason.source == 1
    assert by_id[5].reason.kind == engine.POPULARITY


def test_it_spreads_a_list_across_halls():
    model = engine.Model(popularity={1: 1.0, 2: 0.95, 3: 0.9, 4: 0.85, 5: 0.2, 6: 0.1})
    halls = {1: "a", 2: "a", 3: "a", 4: "a", 5: "b", 6: "c"}
    items = engine.recommend(profile=None, model=model, halls=halls, limit=4)
    assert [item.exhibit for item in items] == [1, 2, 5, 6]
    # With only one hall left to choose from, the cap gives way rather than a short list.
    items = engine.recommend(profile=None, model=model, halls=halls, limit=6)
    assert len(items) == 6


def test_it_follows_emotion_channels_from_exhibits_the_visitor_enjoyed():
    visitor = [
        PairObservation(1, 1, 5, 5, sums(surprise=4.0, neutral=1.0)),
        PairObservation(1, 2, 5, 5, sums(neutral=5.0)),
        PairObservation(1, 3, 5, 5, sums(neutral=5.0)),
    ]
    profile = engine.profiles_from(visitor)[1]
    model = model_with(surprise={1: [(7, 0.6)], 2: [(8, 0.9)]})
    items = engine.recommend(profile=profile, model=model, halls={7: "a", 8: "b"}, limit=2)
    assert items[0].exhibit == 7
    assert items[0].reason.kind == "surprise" and items[0].reason.source == 1
    assert items[1].reason is None  # exhibit 2 did not surprise this visitor


def test_it_fits_a_model_end_to_end():
    docs = [engine.ExhibitDocument(i, f"h{i % 2}", (f"t{i % 3}",), "") for i in range(6)]
    observations = [
        PairObservation(v, e, 3, 3, sums(happy=1.0 + e % 2, neutral=2.0 - e % 2), 60.0)
        for v in range(5)
        for e in range(6)
    ]
    model = engine.fit(
        profiles=engine.profiles_from(observations),
        documents=docs,
        popularity_counts={i: i for i in range(6)},
        k=3,
    )
    assert set(model.neighbours) == set(engine.CHANNELS)
    assert model.popularity[5] == 1.0 and model.popularity[0] == 0.0
    for table in model.neighbours.values():
        for source, neighbours in table.items():
            assert len(neighbours) <= 3
            assert source not in {n.exhibit for n in neighbours}
            assert all(n.score > 0 for n in neighbours)
    assert np.isfinite(
        [n.score for t in model.neighbours.values() for ns in t.values() for n in ns]
    ).all()
