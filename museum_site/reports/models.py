"""The daily rollup behind the reports: a derived, rebuildable cache of ``EmotionReading``.

Reports never read raw readings: a million readings take seconds to aggregate, their rollup
(one row per day, exhibit, source and visitor) a few milliseconds. The grain keeps the
visitor so that reports can still count *distinct* visitors over any range of days, which
the privacy threshold needs; nothing here is ever shown per visitor.

``services.rollup_sync`` keeps the rollup equal to the readings (see there for how it notices
changes); nothing else writes to these tables.

Change detection: the rows carry their readings' count, highest id and whether they have a
visitor, so that the rollup's per-day signature can be compared with the readings' own
(see ``services``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from museum_site.core.models import Exhibit, VisitorProfile


class ReadingRollup(models.Model):
    """The readings of one visitor at one exhibit on one (local) day, from one source."""

    day = models.DateField(help_text="Local date (settings.TIME_ZONE) of the readings.")
    exhibit = models.ForeignKey(Exhibit, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, help_text="Reading source: live or clip.")
    visitor = models.ForeignKey(
        VisitorProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Emptied with the readings' own visitor when an account is erased, so the "
        "rows then count as readings but not as visitors.",
    )
    readings = models.PositiveIntegerField(help_text="Number of readings.")
    faces = models.PositiveBigIntegerField(help_text="Sum of the readings' face counts.")
    non_neutral = models.PositiveIntegerField(
        help_text="Readings whose most likely emotion is not neutral."
    )
    max_reading_id = models.BigIntegerField(help_text="Highest reading id (change detection).")
    # Sum over readings of probability x face_count, so that face-weighted means of any
    # group are sums of sums divided by the sum of faces.
    angry = models.FloatField()
    disgust = models.FloatField()
    fear = models.FloatField()
    happy = models.FloatField()
    sad = models.FloatField()
    surprise = models.FloatField()
    neutral = models.FloatField()

    class Meta:
        db_table = "reports_reading_rollup"
        ordering = ["day", "exhibit"]
        indexes = [
            models.Index(fields=["day", "exhibit"], name="reports_rollup_day_idx"),
            models.Index(fields=["exhibit", "day"], name="reports_rollup_exhibit_idx"),
        ]
        constraints = [
            # NULL visitors (erased accounts) are distinct, so several such rows may exist.
            models.UniqueConstraint(
                fields=["day", "exhibit", "source", "visitor"], name="reports_rollup_once"
            ),
            models.CheckConstraint(
                condition=Q(readings__gte=1, faces__gte=0), name="reports_rollup_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.exhibit_id} {self.source}: {self.readings} readings"


class RollupState(models.Model):
    """The single row that serialises rollup runs (locked for update) and dates them."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Time zone the days were cut in; a change rebuilds."
    )
    synced_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the last run that compared recent days."
    )
    full_synced_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the last run that compared every day."
    )

    class Meta:
        db_table = "reports_rollup_state"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="reports_state_single")]

    def __str__(self) -> str:
        return f"Rollup synced at {self.synced_at}"
