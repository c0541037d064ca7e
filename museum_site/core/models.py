"""The museum's domain: halls and their exhibits, visitors and their visits.

Models hold fields, database constraints and behaviour derived from their own fields.
Writes that span models live in ``services.py``; queries that span them in ``selectors.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


class Hall(models.Model):
    name = models.CharField(max_length=120, help_text="Name shown to visitors.")
    slug = models.SlugField(
        max_length=120, unique=True, help_text="Stable identifier used in URLs."
    )
    description = models.TextField(blank=True, help_text="A short introduction to the hall.")
    floor = models.SmallIntegerField(
        default=0, help_text="Floor number: 0 is the ground floor, negative is below ground."
    )
    ordering = models.PositiveSmallIntegerField(
        default=0, help_text="Position in lists of halls; lower numbers come first."
    )

    class Meta:
        db_table = "core_hall"
        ordering = ["ordering", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="core_hall_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:hall_detail", kwargs={"slug": self.slug})


class Tag(models.Model):
    """A keyword shared by exhibits (``impressionism``, ``fossil``, ``optics``).

    A model rather than a comma-separated field: tags are filtered and counted in the
    database, autocompleted in the admin and compared by the recommendation engine.
    """

    name = models.CharField(max_length=50, unique=True, help_text="Lower-case keyword.")
    slug = models.SlugField(max_length=50, unique=True, help_text="Used in filter URLs.")

    class Meta:
        db_table = "core_tag"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="core_tag_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('core:exhibit_list')}?tag={self.slug}"


class Exhibit(models.Model):
    title = models.CharField(max_length=200, help_text="Title of the work or object.")
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="Stable identifier in the exhibit's URL and QR code; do not change it "
        "once labels are printed.",
    )
    description = models.TextField(help_text="The text visitors read about the exhibit.")
    hall = models.ForeignKey(
        Hall,
        on_delete=models.PROTECT,
        related_name="exhibits",
        help_text="Where the exhibit is on display.",
    )
    image = models.ImageField(
        upload_to="exhibits/%Y/", blank=True, help_text="Optional photograph of the exhibit."
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="exhibits", help_text="Keywords for search and filters."
    )
    artist = models.CharField(
        max_length=200, blank=True, help_text="Artist, maker or discoverer, if known."
    )
    year = models.SmallIntegerField(
        null=True, blank=True, help_text="Year made or found; negative numbers are BCE."
    )
    active = models.BooleanField(
        default=True, help_text="Inactive exhibits are hidden from visitors but keep history."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "core_exhibit"
        ordering = ["title"]
        indexes = [models.Index(fields=["hall", "active"], name="core_exhibit_hall_active_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="core_exhibit_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("core:exhibit_detail", kwargs={"slug": self.slug})

    def get_short_url(self) -> str:
        """The short alias printed as a QR code next to the exhibit."""
        return reverse("core:exhibit_short", kwargs={"slug": self.slug})

    def year_label(self) -> str:
        if self.year is None:
            return ""
        return f"{-self.year} BCE" if self.year < 0 else str(self.year)


class VisitorProfile(models.Model):
    """Everything the platform knows about a visitor beyond their login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visitor_profile"
    )
    display_name = models.CharField(
        max_length=80, blank=True, help_text="How the site greets the visitor."
    )
    consent_version = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Version of the consent notice the visitor last agreed to; empty if never.",
    )
    consent_given_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visitor last gave consent."
    )
    consent_withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visitor withdrew consent, if they did."
    )
    keep_media = models.BooleanField(
        default=False,
        help_text="Opt-in: keep camera clips after analysis instead of deleting them.",
    )
    preferences = models.JSONField(
        default=dict, blank=True, help_text="Free-form visitor preferences (JSON object)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "core_visitorprofile"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_version__isnull=True, consent_given_at__isnull=True)
                | Q(consent_version__gte=1, consent_given_at__isnull=False),
                name="core_visitorprofile_consent_version_with_date",
            ),
        ]

    def __str__(self) -> str:
        return self.get_name()

    def get_absolute_url(self) -> str:
        return reverse("core:visitor_home")

    def get_name(self) -> str:
        return self.display_name or self.user.get_username()

    def has_current_consent(self) -> bool:
        """True when the visitor agreed to the current notice and has not withdrawn."""
        return (
            self.consent_version == settings.CURRENT_CONSENT_VERSION
            and self.consent_given_at is not None
            and self.consent_withdrawn_at is None
        )


class Visit(models.Model):
    """One trip to the museum: from the first exhibit a visitor opens to leaving."""

    visitor = models.ForeignKey(VisitorProfile, on_delete=models.CASCADE, related_name="visits")
    started_at = models.DateTimeField(default=timezone.now, help_text="When the visit began.")
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visit ended; empty while it is ongoing."
    )
    exhibits = models.ManyToManyField(
        Exhibit, through="VisitExhibit", related_name="visits", blank=True
    )

    class Meta:
        db_table = "core_visit"
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["visitor", "started_at"], name="core_visit_visitor_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="core_visit_ends_after_start",
            ),
        ]
        permissions = [("view_reports", "Can view visitor reports")]

    def __str__(self) -> str:
        return f"Visit by {self.visitor} on {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("core:visit_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def duration(self, *, now: datetime | None = None) -> timedelta:
        """Length of the visit; an open visit is measured up to ``now``."""
        end = self.ended_at or now or timezone.now()
        return max(end - self.started_at, timedelta(0))


class VisitExhibit(models.Model):
    """An exhibit seen during a visit, with the time spent in front of it."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="visit_exhibits")
    exhibit = models.ForeignKey(Exhibit, on_delete=models.PROTECT, related_name="visit_exhibits")
    first_seen = models.DateTimeField(default=timezone.now, help_text="First time at the exhibit.")
    last_seen = models.DateTimeField(default=timezone.now, help_text="Latest time at the exhibit.")
    dwell_seconds = models.IntegerField(
        default=0, help_text="Total seconds spent at the exhibit during this visit."
    )

    class Meta:
        db_table = "core_visitexhibit"
        ordering = ["first_seen"]
        verbose_name = "exhibit seen during a visit"
        verbose_name_plural = "exhibits seen during visits"
        constraints = [
            models.UniqueConstraint(fields=["visit", "exhibit"], name="core_visitexhibit_once"),
            models.CheckConstraint(
                condition=Q(dwell_seconds__gte=0), name="core_visitexhibit_dwell_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(last_seen__gte=F("first_seen")),
                name="core_visitexhibit_last_after_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exhibit} ({self.dwell_seconds} s)"

    def get_absolute_url(self) -> str:
        return self.exhibit.get_absolute_url()
