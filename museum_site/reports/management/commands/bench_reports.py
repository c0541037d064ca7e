"""Generate benchmark readings into the CURRENT database and time every report page.

    manage.py bench_reports --readings 1000000 --exhibits 50 --visitors 10000

Writes real rows (prefixed ``bench-``), so point DATABASE_URL at a scratch database.
``--time-only`` times the existing data again; ``--delete`` removes the generated data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from museum_site.reports import benchmark, services
from museum_site.reports.dates import report_time_zone

T = TypeVar("T")

# BenchSpec fields offered as options (--clip-share for clip_share), with their help text.
SPEC_OPTIONS = (
    ("readings", "Readings to generate"),
    ("exhibits", "Exhibits"),
    ("visitors", "Visitors"),
    ("halls", "Halls"),
    ("days", "Days back from today the readings cover"),
    ("clip_share", "Share of stops recorded as clips"),
    ("seed", "Random seed"),
)


def _timed(call: Callable[[], T]) -> tuple[T, float]:
    """``call()``'s result and how long it took, in seconds."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


class Command(BaseCommand):
    help = (
        "Generate benchmark emotion readings (bench- prefixed) into the current database, "
        "build the reports' rollup and time every report page as a superuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = benchmark.BenchSpec()
        for name, text in SPEC_OPTIONS:
            default = getattr(defaults, name)
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=type(default),
                default=default,
                help=f"{text} (default {default}).",
            )
        parser.add_argument(
            "--repeat",
            type=int,
            default=3,
            help="Requests per page; the table shows first, median and max (default 3).",
        )
        parser.add_argument(
            "--target-ms",
            type=float,
            default=1000.0,
            help="Slowest acceptable page in ms (default 1000).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete earlier benchmark data first instead of refusing.",
        )
        parser.add_argument(
            "--time-only",
            action="store_true",
            help="Generate nothing: time the pages on the data already there.",
        )
        parser.add_argument(
            "--delete", action="store_true", help="Only delete the benchmark data, then stop."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DJANGO_PRODUCTION=1 (it writes rows!).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if getattr(settings, "PRODUCTION", False) and not options["allow_production"]:
            raise CommandError(
                "Refusing to write benchmark data in production mode; use a scratch database "
                "(or pass --allow-production)."
            )
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        db = connection.settings_dict
        self.stdout.write(f"database: {connection.vendor} {db.get('NAME')}")
        if options["delete"]:
            counts = benchmark.bench_data_delete()
            self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()) + " deleted")
            return
        spec = benchmark.BenchSpec(**{name: options[name] for name, _ in SPEC_OPTIONS})
        if not options["time_only"]:
            if benchmark.bench_data_exists():
                if not options["replace"]:
                    raise CommandError(
                        "Benchmark data is already there: pass --replace to generate it again, "
                        "--time-only to time it, or --delete to remove it."
                    )
                self.stdout.write("deleting the earlier benchmark data ...")
                benchmark.bench_data_delete()
            self.stdout.write(
                f"generating {spec.readings} readings, {spec.exhibits} exhibits, "
                f"{spec.visitors} visitors over {spec.days} days ..."
            )
            try:
                benchmark.bench_data_generate(spec, log=self.stdout.write)
            except ValueError as error:
                raise CommandError(str(error)) from error

        built, build_s = _timed(services.rollup_sync)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Planner statistics for the fresh rollup, as autovacuum would gather them.
                cursor.execute("ANALYZE reports_reading_rollup")
        _, check_s = _timed(services.rollup_sync)
        _, recent_s = _timed(lambda: services.rollup_sync(days_back=2))
        self.stdout.write(
            f"rollup (background task): {built.days_rebuilt} days, {built.rows_written} rows "
            f"built in {build_s:.1f} s; unchanged check of every day {check_s * 1000:.0f} ms, "
            f"of the last 2 days {recent_s * 1000:.0f} ms"
        )

        today = timezone.localdate(timezone=report_time_zone())
        pages = benchmark.report_pages(
            date_from=today - timedelta(days=spec.days - 1), date_to=today
        )
        timings = benchmark.time_pages(pages, repeat=options["repeat"])
        self.stdout.write(benchmark.timings_table(timings, target_ms=options["target_ms"]))
        failed = [t.name for t in timings if t.status != 200]
        slow = [t.name for t in timings if t.status == 200 and t.max_ms >= options["target_ms"]]
        if failed:
            raise CommandError(f"Pages that did not answer 200: {', '.join(failed)}")
        if slow:
            self.stdout.write(
                self.style.WARNING(f"Slower than {options['target_ms']:.0f} ms: {', '.join(slow)}")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Every page under {options['target_ms']:.0f} ms.")
            )
