"""``manage.py create_api_key --name "City guide" --scopes aggregates:read,analyse``

Prints the full key once (on stdout, alone on its line, so scripts can capture it); the
database keeps only its prefix and hash.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from museum_site.api.models import ApiScope
from museum_site.api.services import api_key_create


class Command(BaseCommand):
    help = "Create a partner API key and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The partner and application.")
        parser.add_argument(
            "--scopes",
            default="",
            help=f"Comma-separated scopes (default: none). Known: {', '.join(ApiScope.values)}.",
        )
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help="Days until the key stops working (default: never).",
        )
        parser.add_argument(
            "--throttle-rate", default="", help="e.g. 1200/minute (default: the partner rate)."
        )

    def handle(self, *args, **options) -> None:
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            api_key, raw_key = api_key_create(
                name=options["name"],
                scopes=scopes,
                expires_at=expires_at,
                throttle_rate=options["throttle_rate"],
            )
        except ValidationError as exc:
            messages = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            )
            raise CommandError(messages) from None
        self.stderr.write(
            f"Created key {api_key.prefix} for {api_key.name!r} "
            f"(scopes: {', '.join(api_key.scopes) or 'none'}). It is shown only this once:"
        )
        self.stdout.write(raw_key)
