"""``manage.py load_demo``: create or refresh the demo museum and its accounts.

Safe to rerun: halls and exhibits are matched by slug and accounts by username, then
brought back to the demo state (including the documented password). Past visits are only
created for demo visitors who have none.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from museum_site.core import demo_data, services
from museum_site.core.models import Exhibit, Hall, VisitorProfile

CURATORS_GROUP = "Curators"


class Command(BaseCommand):
    help = "Create or update the demo museum (halls, exhibits, visitors, staff) and print logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any exhibit exists already (used by `make run`).",
        )
        parser.add_argument(
            "--password",
            default=demo_data.DEMO_PASSWORD,
            help=f"Password for every demo account (default: {demo_data.DEMO_PASSWORD}).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DJANGO_PRODUCTION=1, creating accounts with known passwords.",
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                "Refusing to create demo accounts with known passwords in production mode. "
                "Pass --allow-production if you really mean it."
            )
        if options["if_empty"] and Exhibit.objects.exists():
            self.stdout.write("Exhibits exist already; the demo museum was not loaded.")
            return

        with transaction.atomic():
            halls = self._load_halls()
            exhibits = self._load_exhibits(halls)
            accounts = self._load_accounts(password=options["password"], exhibits=exhibits)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo museum ready: {len(halls)} halls, {len(exhibits)} exhibits, "
                f"{len(demo_data.VISITORS)} demo visitors."
            )
        )
        self._print_credentials(accounts, password=options["password"])
        # Simulated emotion readings for the demo visits and the recommender built on them.
        call_command(
            "load_demo_emotions", allow_production=options["allow_production"], stdout=self.stdout
        )

    def _load_halls(self) -> dict[str, Hall]:
        halls = {}
        for data in demo_data.HALLS:
            fields = {key: value for key, value in data.items() if key != "slug"}
            hall, _ = Hall.objects.update_or_create(slug=data["slug"], defaults=fields)
            halls[hall.slug] = hall
        return halls

    def _load_exhibits(self, halls: dict[str, Hall]) -> dict[str, Exhibit]:
        exhibits = {}
        for data in demo_data.EXHIBITS:
            exhibit, _ = Exhibit.objects.update_or_create(
                slug=data["slug"],
                defaults={
                    "title": data["title"],
                    "description": data["description"],
                    "hall": halls[data["hall"]],
                    "artist": data["artist"],
                    "year": data["year"],
                    "active": True,
                },
            )
            services.exhibit_set_tags(exhibit=exhibit, tags=data["tags"])
            exhibits[exhibit.slug] = exhibit
        return exhibits

    def _load_accounts(
        self, *, password: str, exhibits: dict[str, Exhibit]
    ) -> list[tuple[str, str]]:
        """Create the staff, curator and visitor accounts; return (username, role) rows."""
        accounts = []
        self._account(demo_data.CURATOR_ADMIN, password=password, is_staff=True, is_superuser=True)
        accounts.append((demo_data.CURATOR_ADMIN, "staff superuser: everything in /admin/"))

        curator = self._account(demo_data.CURATOR, password=password, is_staff=True)
        try:
            curator.groups.set([Group.objects.get(name=CURATORS_GROUP)])
        except Group.DoesNotExist:
            raise CommandError(
                f"The {CURATORS_GROUP!r} group is missing; run `manage.py migrate`."
            ) from None
        accounts.append((demo_data.CURATOR, "curator: read-only /admin/ and reports"))

        for index, data in enumerate(demo_data.VISITORS):
            user = self._account(data["username"], password=password)
            profile = services.visitor_profile_get_or_create(user=user)
            profile.display_name = data["display_name"]
            profile.save(update_fields=["display_name"])
            if not profile.has_current_consent():
                services.consent_give(profile=profile)
            if not profile.visits.exists():
                self._create_past_visits(
                    profile, index=index, visits=data["visits"], exhibits=exhibits
                )
            accounts.append((data["username"], f"visitor {data['display_name']!r}"))
        return accounts

    def _account(
        self, username: str, *, password: str, is_staff: bool = False, is_superuser: bool = False
    ) -> AbstractBaseUser:
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "email": f"{username}@museum.example",
                "is_active": True,
                "is_staff": is_staff,
                "is_superuser": is_superuser,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        return user

    def _create_past_visits(
        self,
        profile: VisitorProfile,
        *,
        index: int,
        visits: list[list[str]],
        exhibits: dict[str, Exhibit],
    ) -> None:
        """Replay each listed visit through the visit services, days or weeks ago."""
        today = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        for number, slugs in enumerate(visits):
            days_ago = 7 * (len(visits) - number) + index
            moment = today - timedelta(days=days_ago, minutes=15 * index)
            visit = services.visit_start(visitor=profile, now=moment)
            for position, slug in enumerate(slugs):
                # Deterministic, varied dwell times between 40 s and about 5 minutes.
                seconds = 40 + (37 * (position + 1) + 53 * number + 11 * index) % 260
                services.visit_record_exhibit(
                    visit=visit, exhibit=exhibits[slug], seconds=seconds, now=moment
                )
                moment += timedelta(seconds=seconds + 90)
            services.visit_end(visit=visit, now=moment)

    def _print_credentials(self, accounts: list[tuple[str, str]], *, password: str) -> None:
        self.stdout.write(f"\nDemo accounts (password for all: {password}):")
        width = max(len(username) for username, _ in accounts)
        for username, role in accounts:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
        self.stdout.write("")
