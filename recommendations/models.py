"""What the recommender stores: exhibit fingerprints, visitor feedback and the learned model.

Fingerprints, neighbours and popularity are *derived* tables, rebuilt from emotion readings
and visits by ``services.py`` (on a Celery beat schedule), so that no page ever aggregates
raw readings. Feedback is the only thing here a visitor writes.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from emotions.models import EmotionColumnsMixin, emotion_constraints
from ml import EMOTIONS
from museum_site.core.models import Exhibit, VisitorProfile
from recommendations.engine import AFFINITY, CONTENT


class ExhibitFingerprint(EmotionColumnsMixin, models.Model):
    """How an exhibit makes visitors feel, aggregated over all its emotion readings.

    Means are weighted by ``face_count`` (a reading of two faces counts twice). Readings of
    visitors who erased their account still count here: the fingerprint is anonymous.
    """

    exhibit = models.OneToOneField(
        Exhibit, on_delete=models.CASCADE, primary_key=True, related_name="fingerprint"
    )
    angry = models.FloatField(default=0.0)
    disgust = models.FloatField(default=0.0)
    fear = models.FloatField(default=0.0)
    happy = models.FloatField(default=0.0)
    sad = models.FloatField(default=0.0)
    surprise = models.FloatField(default=0.0)
    neutral = models.FloatField(default=0.0)
    valence = models.FloatField(
        default=0.0, help_text="Mean valence, -1 (unpleasant) to +1 (pleasant)."
    )
    arousal = models.FloatField(default=0.0, help_text="Mean arousal, -1 (calm) to +1 (excited).")
    valence_spread = models.FloatField(
        default=0.0, help_text="Standard deviation of valence over readings."
    )
    arousal_spread = models.FloatField(
        default=0.0, help_text="Standard deviation of arousal over readings."
    )
    reading_count = models.PositiveIntegerField(default=0)
    face_count = models.PositiveIntegerField(default=0, help_text="Faces behind the readings.")
    visitor_count = models.PositiveIntegerField(
        default=0, help_text="Distinct (known) visitors behind the readings."
    )
    confidence = models.FloatField(
        default=0.0,
        help_text="How sure we are, 0-1: 1 - 1/sqrt(1 + visitors). The standard error of a "
        "mean over independent visitors shrinks as 1/sqrt(n); readings of one visitor are not "
        "independent, so visitors, not readings, count.",
    )
    last_reading_id = models.BigIntegerField(
        default=0, help_text="Newest reading included: incremental refreshes start after it."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recommendations_exhibitfingerprint"
        ordering = ["exhibit__title"]
        constraints = [
            *emotion_constraints("recommendations_fingerprint"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0.0, confidence__lt=1.0),
                name="recommendations_fingerprint_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(valence__gte=-1.0, valence__lte=1.0, arousal__gte=-1.0)
                & Q(arousal__lte=1.0),
                name="recommendations_fingerprint_circumplex_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Fingerprint of {self.exhibit} ({self.reading_count} readings)"

    @property
    def dominant(self) -> str:
        return max(EMOTIONS, key=lambda name: getattr(self, name))


class VisitorExhibitFeedback(models.Model):
    """A visitor's explicit word on an exhibit: a rating, hiding it, or both."""

    visitor = models.ForeignKey(
        VisitorProfile, on_delete=models.CASCADE, related_name="exhibit_feedback"
    )
    exhibit = models.ForeignKey(Exhibit, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 (not for me) to 5 (loved it); empty if not rated."
    )
    hidden = models.BooleanField(
        default=False, help_text="The visitor asked never to be recommended this exhibit."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recommendations_feedback"
        ordering = ["-updated_at"]
        verbose_name = "visitor feedback on an exhibit"
        verbose_name_plural = "visitor feedback on exhibits"
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "exhibit"], name="recommendations_feedback_once"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="recommendations_feedback_rating_1_5",
            ),
            # An empty row says nothing; the services delete it instead.
            models.CheckConstraint(
                condition=Q(rating__isnull=False) | Q(hidden=True),
                name="recommendations_feedback_not_empty",
            ),
        ]

    def __str__(self) -> str:
        parts = [f"{self.rating}/5"] if self.rating else []
        if self.hidden:
            parts.append("hidden")
        return f"{self.visitor} on {self.exhibit}: {', '.join(parts)}"


class Channel(models.TextChoices):
    AFFINITY = AFFINITY, "Visitors who enjoyed one enjoyed the other"
    HAPPY = "happy", "Visitors delighted by one were delighted by the other"
    SURPRISE = "surprise", "Visitors surprised by one were surprised by the other"
    SAD = "sad", "Visitors moved by one were moved by the other"
    FEAR = "fear", "Visitors gripped by one were gripped by the other"
    CONTENT = CONTENT, "Similar tags, hall and description"


class ExhibitNeighbour(models.Model):
    """One learned item-item link: ``neighbour`` is among ``exhibit``'s most similar."""

    exhibit = models.ForeignKey(Exhibit, on_delete=models.CASCADE, related_name="neighbours")
    neighbour = models.ForeignKey(Exhibit, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    score = models.FloatField(help_text="Similarity in this channel (shrunk cosine), 0-1.")
    support = models.PositiveIntegerField(
        default=0, help_text="Visitors who saw both (collaborative) or shared tags (content)."
    )

    class Meta:
        db_table = "recommendations_neighbour"
        ordering = ["exhibit", "channel", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["exhibit", "channel", "neighbour"], name="recommendations_neighbour_once"
            ),
            models.CheckConstraint(
                condition=~Q(exhibit=F("neighbour")), name="recommendations_neighbour_not_self"
            ),
            models.CheckConstraint(
                condition=Q(score__gt=0.0), name="recommendations_neighbour_score_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exhibit} → {self.neighbour} ({self.channel}, {self.score:.2f})"


class ExhibitPopularity(models.Model):
    """How many visitors saw an exhibit recently: the cold-start signal."""

    exhibit = models.OneToOneField(
        Exhibit, on_delete=models.CASCADE, primary_key=True, related_name="popularity"
    )
    recent_visitors = models.PositiveIntegerField(
        default=0, help_text="Distinct visitors in the popularity window (30 days)."
    )
    score = models.FloatField(default=0.0, help_text="recent_visitors on a 0-1 log scale.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recommendations_popularity"
        ordering = ["-score"]
        verbose_name_plural = "exhibit popularity"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0.0, score__lte=1.0),
                name="recommendations_popularity_score_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exhibit}: {self.recent_visitors} recent visitors"
