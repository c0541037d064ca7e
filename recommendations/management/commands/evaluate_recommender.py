"""``manage.py evaluate_recommender``: offline precision/recall/NDCG@k on simulated museums.

Thin wrapper around :mod:`recommendations.evaluation` (no database is touched). Each seed
is a different simulated museum and crowd; the table averages over all evaluated visitors.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.evaluation import combine, evaluate
from recommendations.simulation import simulate

HYBRID = "hybrid (this recommender)"


class Command(BaseCommand):
    help = (
        "Evaluate the recommender offline on simulated visitors with hidden tastes: "
        "precision, recall and NDCG at k against popularity and random."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=1000, help="Per museum (default 1000).")
        parser.add_argument("--exhibits", type=int, default=60, help="Per museum (default 60).")
        parser.add_argument("--halls", type=int, default=5, help="Per museum (default 5).")
        parser.add_argument(
            "--seeds", type=int, default=3, help="Simulated museums, seeds 0..N-1 (default 3)."
        )
        parser.add_argument("--first-seed", type=int, default=0, help="Default 0.")
        parser.add_argument("--k", type=int, default=5, help="List length (default 5).")
        parser.add_argument(
            "--train-share",
            type=float,
            default=0.6,
            help="Share of each visitor's stops used as history (default 0.6).",
        )
        parser.add_argument(
            "--no-ablations", action="store_true", help="Skip the single-signal rows."
        )
        parser.add_argument(
            "--require",
            type=float,
            default=None,
            help="Fail (exit 1) unless the hybrid's NDCG@k is at least this many times "
            "popularity's, e.g. 1.5 (default: report only).",
        )

    def handle(self, *args, **options) -> None:
        if options["visitors"] < 10 or options["exhibits"] < options["k"] + 2:
            raise CommandError("Need at least 10 visitors and k + 2 exhibits.")
        if options["seeds"] < 1 or options["k"] < 1 or not 0 < options["train_share"] < 1:
            raise CommandError("--seeds and --k must be positive, --train-share in (0, 1).")
        shown = {
            key: options[key]
            for key in ("visitors", "exhibits", "halls", "seeds", "first_seed", "k", "train_share")
        }
        self.stdout.write(f"evaluate_recommender {shown}")
        started = time.perf_counter()
        reports = []
        for seed in range(options["first_seed"], options["first_seed"] + options["seeds"]):
            simulation = simulate(
                visitors=options["visitors"],
                exhibits=options["exhibits"],
                halls=options["halls"],
                seed=seed,
            )
            report = evaluate(
                simulation,
                k=options["k"],
                train_share=options["train_share"],
                seed=seed,
                ablations=not options["no_ablations"],
            )
            reports.append(report)
            self.stdout.write(
                f"  seed {seed}: {report.evaluated} visitors evaluated, hybrid NDCG@{report.k} "
                f"{report.row(HYBRID).ndcg:.3f} = {report.ratio(HYBRID):.2f}x popularity"
            )
        combined = combine(reports)
        self.stdout.write("")
        self.stdout.write(combined.table())
        self.stdout.write("")
        ratio = combined.ratio(HYBRID)
        self.stdout.write(
            f"Hybrid NDCG@{combined.k} = {ratio:.2f}x popularity over {combined.evaluated} "
            f"visitors in {len(reports)} museum(s); {time.perf_counter() - started:.1f} s."
        )
        if options["require"] is not None and ratio < options["require"]:
            raise CommandError(
                f"Hybrid NDCG@{combined.k} is {ratio:.2f}x popularity, below the required "
                f"{options['require']:.2f}x."
            )
