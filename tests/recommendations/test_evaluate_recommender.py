"""Offline evaluation: metrics, the simulator, and ``manage.py evaluate_recommender``."""

from __future__ import annotations

import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recommendations.evaluation import combine, evaluate, ndcg_at, precision_at, recall_at
from recommendations.simulation import observe, simulate


def test_it_computes_precision_recall_and_ndcg_at_k():
    ranked, relevant = [7, 1, 9, 2, 3], {1, 2, 8}
    assert precision_at(ranked, relevant, 5) == pytest.approx(2 / 5)
    assert recall_at(ranked, relevant, 5) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranked, relevant, 5) == pytest.approx(dcg / ideal)
    assert ndcg_at([1, 2, 8], relevant, 5) == pytest.approx(1.0)


def test_the_simulator_hides_tastes_behind_noisy_observations():
    sim = simulate(visitors=60, exhibits=20, halls=3, seed=4)
    again = simulate(visitors=60, exhibits=20, halls=3, seed=4)
    assert [s.exhibit for s in sim.stops[0]] == [s.exhibit for s in again.stops[0]]  # seeded
    assert sim.smilers.any() and not sim.smilers.all()
    stop = sim.stops[0][0]
    assert stop.probabilities.shape == (len(stop.faces), 7)
    assert stop.probabilities.sum(axis=1) == pytest.approx(1.0)
    pairs = observe(0, sim.stops[0])
    assert [p.exhibit for p in pairs] == [s.exhibit for s in sim.stops[0]]
    assert pairs[0].faces == stop.faces.sum()
    # People walk towards what they like: visited exhibits have higher hidden utility.
    visited = [sim.utility[v, s.exhibit] for v in range(60) for s in sim.stops[v]]
    assert sum(visited) / len(visited) > sim.utility.mean() + 0.2


def test_the_hybrid_beats_popularity_and_random_on_a_small_museum():
    report = evaluate(simulate(visitors=250, exhibits=30, halls=3, seed=1), k=5)
    hybrid = report.row("hybrid (this recommender)")
    assert report.evaluated > 150
    assert hybrid.ndcg > 1.2 * report.row("popularity").ndcg
    assert hybrid.ndcg > 1.5 * report.row("random").ndcg
    assert hybrid.precision > report.row("popularity").precision
    assert combine([report, report]).row("popularity").ndcg == pytest.approx(
        report.row("popularity").ndcg
    )


def test_the_command_prints_the_table_against_the_baselines():
    out = StringIO()
    call_command(
        "evaluate_recommender", "--visitors", "200", "--exhibits", "30", "--halls", "3",
        "--seeds", "2", "--require", "1.2", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "| Method | Precision@5 | Recall@5 | NDCG@5 | NDCG vs popularity |" in text
    for method in ("random", "popularity", "content only", "hybrid (this recommender)"):
        assert f"| {method} |" in text
    assert "seed 0:" in text and "seed 1:" in text
    assert "x popularity over" in text


def test_the_command_fails_when_the_required_margin_is_missed():
    with pytest.raises(CommandError, match="below the required 50.00x"):
        call_command(
            "evaluate_recommender", "--visitors", "60", "--exhibits", "20", "--halls", "2",
            "--seeds", "1", "--no-ablations", "--require", "50", stdout=StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError):
        call_command("evaluate_recommender", "--visitors", "5", stdout=StringIO())
