"""Emotion readings: what the model read on visitors' faces, live or from recorded clips.

A reading is an aggregate, never an image: the mean class probabilities of the faces seen in
one time bucket (one second for the live camera, one sampled second of a clip), with the number
of frames and faces behind it. Probabilities are seven float columns rather than a JSON blob so
that reports can average them in SQL.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

from ml import EMOTIONS
from museum_site.core.models import Exhibit, Visit, VisitorProfile

EMOTION_CHOICES = [(name, name.capitalize()) for name in EMOTIONS]


class ReadingSource(models.TextChoices):
    LIVE = "live", "Live camera"
    CLIP = "clip", "Recorded clip"


class ClipStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    NO_FACE = "no_face", "No face found"
    FAILED = "failed", "Failed"


@deconstructible(path="emotions.models.PrivateClipStorage")
class PrivateClipStorage(FileSystemStorage):
    """Clip videos under ``settings.CLIP_STORAGE_ROOT``: outside MEDIA_ROOT and never served.

    The location is read from settings on use (and re-read when a test overrides it), so the
    migration does not freeze a machine-specific path.
    """

    @cached_property
    def base_location(self) -> str:
        return self._value_or_setting(self._location, settings.CLIP_STORAGE_ROOT)

    def _clear_cached_properties(self, setting: str, **kwargs: object) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "CLIP_STORAGE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        # Private files have no address. Empty rather than an error: the admin's file widget
        # asks every file for its URL and shows a link only when there is one.
        return ""


def clip_upload_to(instance: Clip, filename: str) -> str:
    """A random name: the visitor's file name is kept in ``original_name``, never on disk."""
    suffix = PurePath(filename).suffix.lower()
    suffix = suffix if suffix in {".mp4", ".webm", ".mov", ".m4v", ".mkv", ".avi"} else ".video"
    return timezone.now().strftime("%Y/%m/") + uuid.uuid4().hex + suffix


class Clip(models.Model):
    """A recorded video sent by a visitor (or a partner app) for analysis by a Celery worker.

    The file lives in a private storage (never served by URL) and is deleted after analysis
    unless ``keep_file`` (the visitor's opt-in at upload time) is set.
    """

    visitor = models.ForeignKey(
        VisitorProfile,
        on_delete=models.CASCADE,
        related_name="clips",
        help_text="Who sent the clip.",
    )
    exhibit = models.ForeignKey(Exhibit, on_delete=models.PROTECT, related_name="clips")
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="clips"
    )
    file = models.FileField(
        upload_to=clip_upload_to,
        storage=PrivateClipStorage(),
        blank=True,
        max_length=255,
        help_text="The uploaded video; emptied once analysed unless the visitor opted in.",
    )
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    keep_file = models.BooleanField(
        default=False, help_text="Visitor opted in to keep the video after analysis."
    )
    status = models.CharField(
        max_length=12, choices=ClipStatus.choices, default=ClipStatus.UPLOADED, db_index=True
    )
    progress = models.FloatField(default=0.0, help_text="Share of the clip analysed (0-1).")
    error = models.TextField(blank=True, help_text="Why analysis failed, in words for the visitor.")
    timeline = models.JSONField(
        default=list,
        blank=True,
        help_text="Per-second summary: [{t, label, faces, probabilities}], filled by the analysis.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of the worker analysing the clip: a token only that worker knows, renewed by
    # its progress updates. A redelivered task waits while the lease is fresh and takes the
    # clip over once it is stale (the worker died), so a clip is never stuck in "processing".
    lease_token = models.UUIDField(
        null=True, blank=True, help_text="Set while a worker analyses the clip."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker holding the lease."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started analysing the clip."
    )

    class Meta:
        db_table = "emotions_clip"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0.0, progress__lte=1.0), name="emotions_clip_progress_0_1"
            ),
            models.CheckConstraint(
                condition=~Q(status=ClipStatus.PROCESSING)
                | Q(lease_token__isnull=False, heartbeat_at__isnull=False),
                name="emotions_clip_processing_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"Clip {self.pk} of {self.exhibit} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ClipStatus.DONE, ClipStatus.NO_FACE, ClipStatus.FAILED}


def emotion_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Each emotion column is a probability, 0-1: constraints ``<prefix>_<emotion>_0_1``."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{name}__gte": 0.0, f"{name}__lte": 1.0}),
            name=f"{prefix}_{name}_0_1",
        )
        for name in EMOTIONS
    ]


class EmotionColumnsMixin:
    """For a model with one float column per emotion. The columns stay declared on each model,
    where they keep their place in the field order (admin forms, the privacy export)."""

    @property
    def probabilities(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in EMOTIONS}


class EmotionReading(EmotionColumnsMixin, models.Model):
    visitor = models.ForeignKey(
        VisitorProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emotion_readings",
        help_text="Whose face it was; empty once the visitor erased their account "
        "(the reading then only counts towards anonymous aggregates).",
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="emotion_readings"
    )
    exhibit = models.ForeignKey(
        Exhibit,
        on_delete=models.PROTECT,
        related_name="emotion_readings",
        help_text="The exhibit the visitor was looking at.",
    )
    clip = models.ForeignKey(
        "emotions.Clip",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="readings",
        help_text="The clip this reading comes from (clip readings only).",
    )
    recorded_at = models.DateTimeField(default=timezone.now, help_text="Start of the time bucket.")
    offset_seconds = models.FloatField(
        null=True, blank=True, help_text="Clip readings: seconds from the start of the clip."
    )
    source = models.CharField(
        max_length=8, choices=ReadingSource.choices, default=ReadingSource.LIVE
    )
    label = models.CharField(
        max_length=10, choices=EMOTION_CHOICES, help_text="Most likely emotion."
    )
    confidence = models.FloatField(help_text="Probability of the top emotion (0-1).")
    face_count = models.PositiveSmallIntegerField(
        default=1, help_text="Faces averaged in this reading."
    )
    frame_count = models.PositiveIntegerField(
        default=1, help_text="Frames averaged in this reading."
    )
    angry = models.FloatField(default=0.0)
    disgust = models.FloatField(default=0.0)
    fear = models.FloatField(default=0.0)
    happy = models.FloatField(default=0.0)
    sad = models.FloatField(default=0.0)
    surprise = models.FloatField(default=0.0)
    neutral = models.FloatField(default=0.0)

    class Meta:
        db_table = "emotions_reading"
        ordering = ["-recorded_at"]
        indexes = [
            models.Index(fields=["exhibit", "recorded_at"], name="emotions_reading_exhibit_idx"),
            models.Index(fields=["visitor", "recorded_at"], name="emotions_reading_visitor_idx"),
            models.Index(fields=["recorded_at", "source"], name="emotions_reading_time_idx"),
            models.Index(fields=["clip", "offset_seconds"], name="emotions_reading_clip_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(label__in=list(EMOTIONS)), name="emotions_reading_label_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0.0, confidence__lte=1.0),
                name="emotions_reading_confidence_0_1",
            ),
            *emotion_constraints("emotions_reading"),
            models.CheckConstraint(
                condition=Q(source=ReadingSource.LIVE, clip__isnull=True)
                | Q(source=ReadingSource.CLIP, clip__isnull=False),
                name="emotions_reading_clip_matches_source",
            ),
            # One reading per second of a clip: a re-run can never add a second set.
            models.UniqueConstraint(
                fields=["clip", "offset_seconds"],
                condition=Q(clip__isnull=False),
                name="emotions_reading_clip_second_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} at {self.exhibit} ({self.recorded_at:%Y-%m-%d %H:%M:%S})"
