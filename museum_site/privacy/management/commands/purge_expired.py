"""``manage.py purge_expired``: delete readings and clips past their retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from museum_site.privacy import selectors, services

LABELS = {
    "readings_deleted": "readings deleted",
    "clip_files_deleted": "clip videos deleted",
    "clips_expired_unanalysed": "clips expired before analysis",
    "clips_deleted": "clips deleted",
    "orphan_files_deleted": "orphaned clip files deleted",
}


class Command(BaseCommand):
    help = (
        "Delete emotion readings older than READINGS_RETENTION_DAYS and clip videos older "
        "than CLIPS_RETENTION_DAYS (clip rows follow the readings). Celery beat runs this daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        policy = selectors.retention_policy()
        self.stdout.write(
            f"Retention: readings {policy.readings_days} days, clips {policy.clips_days} days"
            + (" (dry run: nothing is deleted)" if dry_run else "")
        )
        report = services.purge_expired(dry_run=dry_run)
        for key, count in report.as_dict().items():
            label = LABELS[key].replace("deleted", "to delete") if dry_run else LABELS[key]
            self.stdout.write(f"{label}: {count}")
