"""Request (``...Input``) and response (``...Output``) shapes, kept apart.

Input serializers validate and hand plain values to services; output serializers only
render. Neither holds business logic.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from emotions.models import EMOTION_CHOICES, Clip, EmotionReading, ReadingSource
from ml import EMOTIONS
from museum_site.api.models import (
    CREDENTIAL_STATUSES,
    PREFIX_LENGTH,
    ApiKey,
    PartnerGrant,
    VisitorToken,
)
from museum_site.core.models import Exhibit, Hall, Visit, VisitExhibit, VisitorProfile

SMALLINT_MIN, SMALLINT_MAX = -32768, 32767

# --- Collection ---------------------------------------------------------------------------


class HallOutput(serializers.ModelSerializer):
    exhibit_count = serializers.IntegerField(read_only=True, help_text="Active exhibits.")
    web_url = serializers.SerializerMethodField(help_text="The hall's page on the website.")

    class Meta:
        model = Hall
        fields = ["slug", "name", "description", "floor", "ordering", "exhibit_count", "web_url"]

    def get_web_url(self, hall: Hall) -> str:
        return self.context["request"].build_absolute_uri(hall.get_absolute_url())


class HallInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(
        max_length=120, required=False, help_text="Default: made from the name."
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    floor = serializers.IntegerField(min_value=SMALLINT_MIN, max_value=SMALLINT_MAX, default=0)
    ordering = serializers.IntegerField(min_value=0, max_value=SMALLINT_MAX, default=0)


class HallRef(serializers.ModelSerializer):
    class Meta:
        model = Hall
        fields = ["slug", "name"]


class ExhibitRef(serializers.ModelSerializer):
    class Meta:
        model = Exhibit
        fields = ["slug", "title"]


class ExhibitOutput(serializers.ModelSerializer):
    hall = HallRef()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    image = serializers.SerializerMethodField(help_text="Absolute URL of the photograph.")
    web_url = serializers.SerializerMethodField(help_text="The exhibit's stable page.")
    short_url = serializers.SerializerMethodField(help_text="The QR-code alias of the page.")

    class Meta:
        model = Exhibit
        fields = [
            "slug",
            "title",
            "description",
            "hall",
            "tags",
            "artist",
            "year",
            "active",
            "image",
            "web_url",
            "short_url",
            "created",
            "updated",
        ]

    def get_image(self, exhibit: Exhibit) -> str | None:
        if not exhibit.image:
            return None
        return self.context["request"].build_absolute_uri(exhibit.image.url)

    def get_web_url(self, exhibit: Exhibit) -> str:
        return self.context["request"].build_absolute_uri(exhibit.get_absolute_url())

    def get_short_url(self, exhibit: Exhibit) -> str:
        return self.context["request"].build_absolute_uri(exhibit.get_short_url())


class ExhibitInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=200, required=False, help_text="Default: made from the title. Keep it stable."
    )
    description = serializers.CharField()
    hall = serializers.SlugField(max_length=120, help_text="The hall's slug.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=30, required=False
    )
    artist = serializers.CharField(max_length=200, required=False, allow_blank=True)
    year = serializers.IntegerField(
        min_value=SMALLINT_MIN, max_value=SMALLINT_MAX, required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)

    def validate_hall(self, slug: str) -> Hall:
        # A SlugField first: only slug characters ever reach the query (no NUL for PostgreSQL).
        try:
            return Hall.objects.get(slug=slug)
        except Hall.DoesNotExist:
            raise serializers.ValidationError("No hall has this slug.") from None


# --- Visits and readings ------------------------------------------------------------------


class VisitStopOutput(serializers.ModelSerializer):
    exhibit = ExhibitRef()

    class Meta:
        model = VisitExhibit
        fields = ["exhibit", "first_seen", "last_seen", "dwell_seconds"]


class VisitOutput(serializers.ModelSerializer):
    is_open = serializers.BooleanField()
    duration_seconds = serializers.SerializerMethodField()
    exhibit_count = serializers.IntegerField()
    total_dwell_seconds = serializers.IntegerField()
    exhibits = VisitStopOutput(source="visit_exhibits", many=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "started_at",
            "ended_at",
            "is_open",
            "duration_seconds",
            "exhibit_count",
            "total_dwell_seconds",
            "exhibits",
        ]

    def get_duration_seconds(self, visit: Visit) -> int:
        return int(visit.duration().total_seconds())


class ProbabilitiesOutput(serializers.Serializer):
    """The seven class probabilities (0-1), in the model's order."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: serializers.FloatField(min_value=0.0, max_value=1.0) for name in EMOTIONS}


class ReadingOutput(serializers.ModelSerializer):
    exhibit = ExhibitRef()
    probabilities = ProbabilitiesOutput()

    class Meta:
        model = EmotionReading
        fields = [
            "id",
            "exhibit",
            "visit",
            "clip",
            "recorded_at",
            "offset_seconds",
            "source",
            "label",
            "confidence",
            "face_count",
            "frame_count",
            "probabilities",
        ]


# --- Aggregates ---------------------------------------------------------------------------


class FiguresOutput(serializers.Serializer):
    visitors = serializers.IntegerField(help_text="Distinct visitors behind the readings.")
    readings = serializers.IntegerField()
    faces = serializers.IntegerField(help_text="Faces behind the readings (the mix's weight).")
    mix = ProbabilitiesOutput(help_text="Face-weighted mean probability of each emotion.")
    valence = serializers.FloatField(help_text="From -1 (unpleasant) to 1 (pleasant).")
    top_emotion = serializers.ChoiceField(choices=EMOTION_CHOICES)
    non_neutral_share = serializers.FloatField(
        help_text="Share of readings whose most likely emotion is not neutral."
    )


class DwellOutput(serializers.Serializer):
    stops = serializers.IntegerField(help_text="Visits that stopped at the exhibit(s).")
    visitors = serializers.IntegerField()
    mean_seconds = serializers.FloatField(help_text="Mean time spent per stop.")


class GroupOutput(serializers.Serializer):
    """Figures of one group; ``null`` (and ``hidden``) below the privacy threshold."""

    hidden = serializers.BooleanField(
        help_text="Fewer than min_visitors distinct visitors: the figures are withheld."
    )
    figures = FiguresOutput(allow_null=True)
    dwell = DwellOutput(allow_null=True)
    dwell_hidden = serializers.BooleanField()


class HallGroupOutput(GroupOutput):
    hall = HallRef()


class ExhibitGroupOutput(GroupOutput):
    exhibit = ExhibitRef()
    hall = serializers.SlugField(source="hall.slug", help_text="The exhibit's hall.")


# The reports work in whole local days; these bounds only keep dates computable.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)
DEFAULT_PERIOD_DAYS = 30


class AggregateQueryInput(serializers.Serializer):
    date_from = serializers.DateField(
        required=False, help_text="First local day (inclusive). Default: 30 days before date_to."
    )
    date_to = serializers.DateField(
        required=False, help_text="Last local day (inclusive). Default: today."
    )
    source = serializers.ChoiceField(choices=ReadingSource.choices, required=False)

    def _within_bounds(self, value: date | None) -> date | None:
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise serializers.ValidationError(f"Must be between {EARLIEST_DAY} and {LATEST_DAY}.")
        return value

    validate_date_from = _within_bounds
    validate_date_to = _within_bounds

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Defaults only after the bounds checks: 0001-01-01 minus 29 days would overflow.
        date_to = attrs.get("date_to") or timezone.localdate()
        date_from = attrs.get("date_from") or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if date_from > date_to:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return {"date_from": date_from, "date_to": date_to, "source": attrs.get("source")}


class _PeriodOutput(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    source = serializers.ChoiceField(choices=ReadingSource.choices, allow_null=True)
    min_visitors = serializers.IntegerField(help_text="The privacy threshold k.")


class ExhibitEmotionsOutput(_PeriodOutput):
    exhibit = ExhibitRef()
    total = GroupOutput()


class MuseumEmotionsOutput(_PeriodOutput):
    museum = GroupOutput()
    halls = HallGroupOutput(many=True)
    exhibits = ExhibitGroupOutput(many=True)


# --- Image analysis -----------------------------------------------------------------------


class AnalyseInput(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=False,
        help_text="A JPEG or PNG, as a multipart field or as the whole body (image/jpeg, "
        "image/png).",
    )


class AnalyseQueryInput(serializers.Serializer):
    max_faces = serializers.IntegerField(min_value=1, max_value=10, default=10)


class BoxOutput(serializers.Serializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()


class FaceOutput(serializers.Serializer):
    box = BoxOutput(help_text="The face in image pixels.")
    label = serializers.ChoiceField(choices=EMOTION_CHOICES)
    confidence = serializers.FloatField()
    probabilities = ProbabilitiesOutput()


class AnalyseOutput(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    face_count = serializers.IntegerField()
    faces = FaceOutput(many=True, help_text="Largest face first.")


# --- Recommendations ----------------------------------------------------------------------


class RecommendationQueryInput(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)


class RecommendedExhibitOutput(serializers.ModelSerializer):
    hall = HallRef()

    class Meta:
        model = Exhibit
        fields = ["slug", "title", "hall"]


class ReasonOutput(serializers.Serializer):
    kind = serializers.CharField(
        help_text="affinity, content, popularity, an emotion, or new: the strongest signal."
    )
    text = serializers.CharField(help_text="Why, in words for the visitor.")
    source = ExhibitRef(allow_null=True, help_text="The exhibit seen that led here, if any.")


class RecommendationOutput(serializers.Serializer):
    exhibit = RecommendedExhibitOutput()
    score = serializers.FloatField()
    reason = ReasonOutput()


# --- Clips --------------------------------------------------------------------------------


class ClipSecondOutput(serializers.Serializer):
    t = serializers.IntegerField(help_text="Seconds from the start of the clip.")
    frames = serializers.IntegerField()
    faces = serializers.IntegerField()
    label = serializers.ChoiceField(choices=EMOTION_CHOICES, allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    probabilities = ProbabilitiesOutput(allow_null=True)


class ClipOutput(serializers.ModelSerializer):
    exhibit = ExhibitRef()
    finished = serializers.BooleanField(source="is_finished")
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Clip
        fields = [
            "id",
            "exhibit",
            "status",
            "progress",
            "finished",
            "error",
            "original_name",
            "size_bytes",
            "duration_seconds",
            "created_at",
            "started_at",
            "finished_at",
            "timeline",
        ]

    @extend_schema_field(ClipSecondOutput(many=True))
    def get_timeline(self, clip: Clip) -> list[dict[str, Any]]:
        # Written by the analysis; anything that is not an entry (a bug, a hand edit) is left out.
        entries = [entry for entry in clip.timeline if isinstance(entry, dict)]
        return ClipSecondOutput(entries, many=True).data


class ClipInput(serializers.Serializer):
    exhibit = serializers.SlugField(max_length=200, help_text="The exhibit's slug.")
    file = serializers.FileField(
        allow_empty_file=False, help_text="The video: MP4, WebM or MOV, checked by decoding it."
    )


# --- Visitor account: profile, tokens, grants ---------------------------------------------


class ProfileOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.get_username")
    name = serializers.CharField(source="get_name")
    has_consent = serializers.BooleanField(source="has_current_consent")

    class Meta:
        model = VisitorProfile
        fields = ["username", "name", "has_consent", "consent_given_at", "consent_withdrawn_at"]


class TokenOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=CREDENTIAL_STATUSES)

    class Meta:
        model = VisitorToken
        fields = [
            "id",
            "name",
            "prefix",
            "status",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]


class TokenCreatedOutput(TokenOutput):
    key = serializers.CharField(help_text="The full token. It is shown this once only.")

    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "key"]


class TokenInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class PartnerRef(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["name", "prefix"]


class GrantOutput(serializers.ModelSerializer):
    partner = PartnerRef(source="api_key")
    is_active = serializers.BooleanField()

    class Meta:
        model = PartnerGrant
        fields = ["id", "partner", "is_active", "granted_at", "revoked_at"]


class GrantInput(serializers.Serializer):
    partner = serializers.RegexField(
        rf"^[a-z0-9]{{{PREFIX_LENGTH}}}\Z",
        help_text="The partner application's identifier (its key prefix), as the partner "
        "shows it to you.",
    )


class GrantedVisitorOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="get_name")
    has_consent = serializers.BooleanField(source="has_current_consent")

    class Meta:
        model = VisitorProfile
        fields = ["id", "name", "has_consent"]
