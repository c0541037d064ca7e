"""django-filter filter sets for the list routes.

Text filters are ``CharFilter``s: their form field rejects NUL characters, which PostgreSQL
cannot store or compare, before any query runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from emotions.models import EMOTION_CHOICES, EmotionReading, ReadingSource
from museum_site.core import selectors as core_selectors
from museum_site.core.models import Exhibit

MIN_YEAR, MAX_YEAR = 1970, 2999


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before any query sees it.

    Python accepts offsets up to ±24 h, PostgreSQL only about ±16 h, and shifting year 1 or
    9999 to UTC can leave the calendar: such values are refused here with a 400.
    """

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            cleaned = cleaned.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This time is out of range.", code="invalid") from None
        if not MIN_YEAR <= cleaned.year <= MAX_YEAR:
            raise ValidationError(f"Use a year from {MIN_YEAR} to {MAX_YEAR}.", code="invalid")
        return cleaned


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class ExhibitFilter(django_filters.FilterSet):
    hall = django_filters.CharFilter(field_name="hall__slug", help_text="A hall's slug.")
    tag = django_filters.CharFilter(
        field_name="tags__slug", distinct=True, help_text="A tag's slug."
    )
    q = django_filters.CharFilter(
        method="search", max_length=200, help_text="Words to find in titles, texts, artists."
    )

    class Meta:
        model = Exhibit
        fields = ["hall", "tag", "q"]

    def search(self, queryset: QuerySet[Exhibit], name: str, value: str) -> QuerySet[Exhibit]:
        matching = core_selectors.exhibit_list(search=value, include_inactive=True)
        return queryset.filter(pk__in=matching.values("pk"))


class ReadingFilter(django_filters.FilterSet):
    exhibit = django_filters.CharFilter(field_name="exhibit__slug", help_text="An exhibit's slug.")
    visit = django_filters.NumberFilter(field_name="visit_id", min_value=1, max_value=2**63 - 1)
    source = django_filters.ChoiceFilter(choices=ReadingSource.choices)
    label = django_filters.ChoiceFilter(choices=EMOTION_CHOICES, help_text="Top emotion.")
    since = UtcDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", help_text="Recorded at or after."
    )
    until = UtcDateTimeFilter(
        field_name="recorded_at", lookup_expr="lt", help_text="Recorded before."
    )
    date = django_filters.DateFilter(
        field_name="recorded_at", lookup_expr="date", help_text="Recorded on this day."
    )

    class Meta:
        model = EmotionReading
        fields = ["exhibit", "visit", "source", "label", "since", "until", "date"]
