"""``manage.py load_demo_emotions``: demo emotion readings and the recommender built on them.

Run at the end of ``manage.py load_demo``; rerunning it is safe (see recommendations/demo.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from museum_site.core import demo_data
from recommendations.demo import CROWD_PREFIX, demo_emotions_load


class Command(BaseCommand):
    help = (
        "Give the demo visits simulated emotion readings, optionally add simulated visitors, "
        "and rebuild the recommender."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--crowd",
            type=int,
            default=0,
            help=f"Also create this many simulated visitors ({CROWD_PREFIX}01, ...) with past "
            "visits and readings, sharing the demo password (default: 0).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DJANGO_PRODUCTION=1, writing made-up readings.",
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                "Refusing to write simulated emotion readings in production mode. "
                "Pass --allow-production if you really mean it."
            )
        if not 0 <= options["crowd"] <= 500:
            raise CommandError("--crowd must be between 0 and 500.")
        report = demo_emotions_load(crowd=options["crowd"], password=demo_data.DEMO_PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo emotions ready: {report.readings} readings at {report.stops} stops, "
                f"{report.ratings} ratings, {report.crowd_created} new crowd visitors; "
                f"recommender rebuilt ({report.rebuild.fingerprints} fingerprints, "
                f"{report.rebuild.neighbours} neighbour links, {report.rebuild.seconds} s)."
            )
        )
