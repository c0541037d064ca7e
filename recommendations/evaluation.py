"""Offline evaluation of the recommender on a simulated museum (no Django, no database).

Protocol: each simulated visitor's stops are split in visit order; the first
``train_share`` are their history, the rest are held out. The model is fitted on every
visitor's history only (held-out stops never reach it), then for each visitor with at least
one held-out exhibit they *love* (hidden utility above the simulation's threshold), every
method ranks all exhibits outside that visitor's history. Precision@k, recall@k and NDCG@k
(binary gains) are averaged over those visitors.

The hybrid runs through :func:`recommendations.engine.recommend`, the very function behind
the "Recommended for you" page; popularity and random are the baselines, and the
single-signal rows show what each part of the hybrid brings.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from recommendations import engine
from recommendations.simulation import Simulation, observe


@dataclass(frozen=True)
class Metrics:
    method: str
    precision: float
    recall: float
    ndcg: float
    visitors: int


@dataclass(frozen=True)
class Report:
    k: int
    rows: list[Metrics]
    visitors: int
    exhibits: int
    evaluated: int
    fit_seconds: float
    total_seconds: float

    def row(self, method: str) -> Metrics:
        return next(row for row in self.rows if row.method == method)

    def ratio(self, method: str, baseline: str = "popularity") -> float:
        base = self.row(baseline).ndcg
        return self.row(method).ndcg / base if base else math.inf

    def table(self) -> str:
        """A Markdown table, as printed by ``manage.py evaluate_recommender``."""
        k = self.k
        pop = self.row("popularity").ndcg
        lines = [
            f"| Method | Precision@{k} | Recall@{k} | NDCG@{k} | NDCG vs popularity |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in self.rows:
            versus = f"{row.ndcg / pop:.2f}x" if pop else "n/a"
            lines.append(
                f"| {row.method} | {row.precision:.3f} | {row.recall:.3f} | {row.ndcg:.3f} "
                f"| {versus} |"
            )
        return "\n".join(lines)


def precision_at(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def ndcg_at(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


# Ablations: each keeps one signal of the hybrid (popularity stays as the tie-breaker).
ABLATIONS: dict[str, engine.Weights] = {
    "content only": engine.Weights(affinity=0, emotion=0, content=1, popularity=0.01),
    "collaborative only": engine.Weights(affinity=1, emotion=0, content=0, popularity=0.01),
    "emotional similarity only": engine.Weights(affinity=0, emotion=1, content=0, popularity=0.01),
}


def evaluate(
    simulation: Simulation,
    *,
    k: int = 5,
    train_share: float = 0.6,
    seed: int = 0,
    weights: engine.Weights = engine.DEFAULT_WEIGHTS,
    ablations: bool = True,
) -> Report:
    """Run the protocol above and return one :class:`Metrics` row per method."""
    if not 0 < train_share < 1:
        raise ValueError("train_share must be between 0 and 1.")
    started = time.perf_counter()
    histories: list[list[int]] = []
    held_out: list[list[int]] = []
    observations = []
    for visitor, stops in enumerate(simulation.stops):
        cut = max(1, math.floor(len(stops) * train_share))
        histories.append([stop.exhibit for stop in stops[:cut]])
        held_out.append([stop.exhibit for stop in stops[cut:]])
        observations.extend(observe(visitor, stops[:cut]))

    fit_started = time.perf_counter()
    profiles = engine.profiles_from(observations)
    counts = Counter(exhibit for history in histories for exhibit in history)
    halls = simulation.hall_of()
    model = engine.fit(
        profiles=profiles,
        documents=simulation.documents(),
        popularity_counts={exhibit: counts.get(exhibit, 0) for exhibit in halls},
    )
    fit_seconds = time.perf_counter() - fit_started

    rng = np.random.default_rng(seed)
    by_popularity = sorted(halls, key=lambda exhibit: (-counts.get(exhibit, 0), exhibit))

    def hybrid(w: engine.Weights) -> Callable[[int, set[int]], list[int]]:
        def rank(visitor: int, seen: set[int]) -> list[int]:
            items = engine.recommend(
                profile=profiles.get(visitor), model=model, halls=halls, limit=k, weights=w
            )
            return [item.exhibit for item in items]

        return rank

    def popularity(visitor: int, seen: set[int]) -> list[int]:
        return [exhibit for exhibit in by_popularity if exhibit not in seen][:k]

    def random(visitor: int, seen: set[int]) -> list[int]:
        pool = [exhibit for exhibit in halls if exhibit not in seen]
        return [int(x) for x in rng.permutation(pool)[:k]]

    methods: dict[str, Callable[[int, set[int]], list[int]]] = {
        "random": random,
        "popularity": popularity,
    }
    if ablations:
        methods.update({name: hybrid(w) for name, w in ABLATIONS.items()})
    methods["hybrid (this recommender)"] = hybrid(weights)

    sums = {name: [0.0, 0.0, 0.0] for name in methods}
    evaluated = 0
    for visitor in range(simulation.visitor_count):
        relevant = {e for e in held_out[visitor] if simulation.loves(visitor, e)}
        if not relevant:
            continue
        evaluated += 1
        seen = set(histories[visitor])
        for name, rank in methods.items():
            ranked = rank(visitor, seen)
            sums[name][0] += precision_at(ranked, relevant, k)
            sums[name][1] += recall_at(ranked, relevant, k)
            sums[name][2] += ndcg_at(ranked, relevant, k)

    n = max(evaluated, 1)
    rows = [
        Metrics(name, values[0] / n, values[1] / n, values[2] / n, evaluated)
        for name, values in sums.items()
    ]
    return Report(
        k=k,
        rows=rows,
        visitors=simulation.visitor_count,
        exhibits=len(simulation.exhibits),
        evaluated=evaluated,
        fit_seconds=fit_seconds,
        total_seconds=time.perf_counter() - started,
    )


def combine(reports: Sequence[Report]) -> Report:
    """Several runs (seeds) as one report: metrics averaged over all evaluated visitors."""
    if not reports:
        raise ValueError("Nothing to combine.")
    total = sum(report.evaluated for report in reports) or 1
    rows = []
    for first in reports[0].rows:
        runs = [report.row(first.method) for report in reports]
        rows.append(
            Metrics(
                method=first.method,
                precision=sum(r.precision * r.visitors for r in runs) / total,
                recall=sum(r.recall * r.visitors for r in runs) / total,
                ndcg=sum(r.ndcg * r.visitors for r in runs) / total,
                visitors=sum(r.visitors for r in runs),
            )
        )
    return Report(
        k=reports[0].k,
        rows=rows,
        visitors=sum(report.visitors for report in reports),
        exhibits=sum(report.exhibits for report in reports),
        evaluated=sum(report.evaluated for report in reports),
        fit_seconds=sum(report.fit_seconds for report in reports),
        total_seconds=sum(report.total_seconds for report in reports),
    )
