"""Reads for the staff reports: every figure on every report page comes from here.

All aggregation happens in the database, over the daily rollup (``models.ReadingRollup``,
kept in step with the readings by ``services.rollup_sync``) and over ``VisitExhibit`` for
dwell times. Definitions, in one place:

- **Emotion mix** of a group: the mean of each emotion's probability over its readings,
  weighted by ``face_count`` (a reading that averaged three faces speaks for three people).
  The seven shares sum to 1.
- **Valence**: ``VALENCE_WEIGHTS`` applied to a reading's probabilities, from -1 (all
  negative) to +1 (all happy). It is linear, so a group's valence is the weights applied to
  its mix: the same face-weighted mean.
- **Engagement**: the mean dwell per stop (``VisitExhibit.dwell_seconds``, from visits, so
  the source filter does not apply to it) and the share of readings whose most likely
  emotion is not neutral (per reading, not per face).
- **Visitors**: distinct visitors behind a group's readings. Readings whose visitor is NULL
  (the account was erased) count as readings but not as visitors.
- **Privacy**: a group (museum, hall, exhibit, day or week) with fewer than
  ``settings.REPORTS_MIN_GROUP_SIZE`` distinct visitors is *hidden*: its figures are not
  computed into the result at all (``figures is None``), so no template or export can leak
  them, dwell included. A shown group's dwell is thresholded again on the visitors behind
  its stops (they need not be the camera's visitors). Nothing is ever grouped by visitor.
- Halls are the exhibits' current halls; hall and museum figures include all their
  exhibits' readings, hidden exhibits included (a hall of several small exhibits may be
  large enough to show).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek

from ml import EMOTIONS
from museum_site.core.models import Exhibit, Hall, VisitExhibit
from museum_site.reports.dates import day_bounds, report_time_zone
from museum_site.reports.models import ReadingRollup

# Weight of each emotion in valence: pleasant +1, surprise half pleasant, neutral 0.
VALENCE_WEIGHTS: dict[str, float] = {
    "angry": -1.0,
    "disgust": -1.0,
    "fear": -1.0,
    "happy": 1.0,
    "sad": -1.0,
    "surprise": 0.5,
    "neutral": 0.0,
}
if set(VALENCE_WEIGHTS) != set(EMOTIONS):  # a new emotion in ml/ must get a weight here
    raise ImproperlyConfigured("VALENCE_WEIGHTS must weigh exactly the model's emotions.")

PERIOD_DAY = "day"
PERIOD_WEEK = "week"
RANKING_SIZE = 5


def min_group_size() -> int:
    """k of the privacy threshold (read on every call, so a changed setting applies)."""
    return settings.REPORTS_MIN_GROUP_SIZE


def valence_of(mix: dict[str, float]) -> float:
    return sum(VALENCE_WEIGHTS[name] * mix[name] for name in EMOTIONS)


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: local dates (inclusive), and optionally a source, hall, exhibit."""

    date_from: date
    date_to: date
    source: str | None = None
    hall: Hall | None = None
    exhibit: Exhibit | None = None
    period: str = PERIOD_DAY


@dataclass(frozen=True)
class Figures:
    """The emotion figures of a group large enough to show."""

    visitors: int
    readings: int
    faces: int
    mix: dict[str, float]
    non_neutral_share: float

    @property
    def valence(self) -> float:
        return valence_of(self.mix)

    @property
    def top_emotion(self) -> str:
        return max(EMOTIONS, key=lambda name: self.mix[name])

    @property
    def mix_list(self) -> list[tuple[str, float]]:
        """The mix in the model's emotion order, for templates."""
        return [(name, self.mix[name]) for name in EMOTIONS]


@dataclass(frozen=True)
class Dwell:
    """Time spent at exhibits: stops (visit x exhibit) and their mean dwell."""

    stops: int
    visitors: int
    mean_seconds: float


@dataclass(frozen=True)
class GroupReport:
    """One row of a report: the museum, a hall, an exhibit or a time bucket.

    ``figures`` is None when the group has fewer than k visitors (``hidden``); ``dwell`` is
    None when it has no stops or when they come from fewer than k visitors (``dwell_hidden``).
    """

    label: str
    figures: Figures | None
    dwell: Dwell | None = None
    dwell_hidden: bool = False
    hall: Hall | None = None
    exhibit: Exhibit | None = None
    period_start: date | None = None

    @property
    def hidden(self) -> bool:
        return self.figures is None


@dataclass(frozen=True)
class Ranking:
    """Exhibits ordered three ways, among those whose figures may be shown."""

    most_delighting: list[GroupReport] = field(default_factory=list)
    most_surprising: list[GroupReport] = field(default_factory=list)
    least_engaging: list[GroupReport] = field(default_factory=list)


@dataclass(frozen=True)
class ExhibitComparison:
    """An exhibit beside its hall (the hall's figures include the exhibit itself)."""

    exhibit: GroupReport
    hall: GroupReport
    valence_rank: int | None  # 1 = highest valence in the hall, among shown exhibits
    ranked_exhibits: int


# --- Queries ------------------------------------------------------------------------------

_FIGURE_SUMS: dict[str, Any] = {
    "n_readings": Sum("readings"),
    "n_faces": Sum("faces"),
    "n_non_neutral": Sum("non_neutral"),
    **{f"sum_{name}": Sum(name) for name in EMOTIONS},
}
_FIGURE_VISITORS = ("n_visitors", "visitor")
_DWELL_SUMS: dict[str, Any] = {"n_stops": Count("id"), "mean_dwell": Avg("dwell_seconds")}
_DWELL_VISITORS = ("n_dwell_visitors", "visit__visitor")


def _distinct(name_and_field: tuple[str, str]) -> dict[str, Count]:
    name, field = name_and_field
    return {name: Count(field, distinct=True)}


def _grouped(
    rows: QuerySet, key: str, *, sums: dict[str, Any], visitors: tuple[str, str]
) -> dict[Any, dict[str, Any]]:
    """Aggregates of ``rows`` per ``key``: the sums and the distinct visitors, in one query.

    (Measured against splitting the distinct count into a second, narrower query: with
    current planner statistics one query is faster at a million readings.)
    """
    return {row[key]: row for row in rows.values(key).annotate(**sums, **_distinct(visitors))}


def _total(rows: QuerySet, *, sums: dict[str, Any], visitors: tuple[str, str]) -> dict[str, Any]:
    return rows.aggregate(**sums, **_distinct(visitors))


def _rollup(filters: ReportFilters) -> QuerySet[ReadingRollup]:
    rows = ReadingRollup.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.hall is not None:
        rows = rows.filter(exhibit__hall=filters.hall)
    if filters.exhibit is not None:
        rows = rows.filter(exhibit=filters.exhibit)
    return rows.order_by()


def _stops(filters: ReportFilters) -> QuerySet[VisitExhibit]:
    start, end = day_bounds(filters.date_from, filters.date_to)
    stops = VisitExhibit.objects.filter(first_seen__gte=start, first_seen__lt=end)
    if filters.hall is not None:
        stops = stops.filter(exhibit__hall=filters.hall)
    if filters.exhibit is not None:
        stops = stops.filter(exhibit=filters.exhibit)
    return stops.order_by()


def _figures(row: dict[str, Any] | None) -> Figures | None:
    """Figures from one aggregate row, or None below the threshold (or without readings)."""
    if not row or not row["n_readings"] or row["n_visitors"] < min_group_size():
        return None
    faces = row["n_faces"] or 0
    if faces > 0:
        mix = {name: row[f"sum_{name}"] / faces for name in EMOTIONS}
    else:  # only face-less readings: no basis for a mix
        mix = dict.fromkeys(EMOTIONS, 0.0)
    return Figures(
        visitors=row["n_visitors"],
        readings=row["n_readings"],
        faces=faces,
        mix=mix,
        non_neutral_share=row["n_non_neutral"] / row["n_readings"],
    )


def _dwell(row: dict[str, Any] | None) -> tuple[Dwell | None, bool]:
    if not row or not row["n_stops"]:
        return None, False
    if row["n_dwell_visitors"] < min_group_size():
        return None, True
    dwell = Dwell(
        stops=row["n_stops"], visitors=row["n_dwell_visitors"], mean_seconds=row["mean_dwell"]
    )
    return dwell, False


def _group(label: str, figures_row, dwell_row, **where: Any) -> GroupReport:
    figures = _figures(figures_row)
    # A hidden group hides everything, dwell included: its stops would hint at its size.
    dwell, dwell_hidden = _dwell(dwell_row) if figures is not None else (None, False)
    return GroupReport(
        label=label,
        figures=figures,
        dwell=dwell,
        dwell_hidden=dwell_hidden,
        **where,
    )


def report_total(*, filters: ReportFilters, label: str = "Whole museum") -> GroupReport:
    """One group for everything the filters select (the museum, a hall or an exhibit)."""
    return _group(
        label,
        _total(_rollup(filters), sums=_FIGURE_SUMS, visitors=_FIGURE_VISITORS),
        _total(_stops(filters), sums=_DWELL_SUMS, visitors=_DWELL_VISITORS),
        hall=filters.hall,
        exhibit=filters.exhibit,
    )


def report_halls(*, filters: ReportFilters) -> list[GroupReport]:
    """Every hall, in display order, with its figures under the filters."""
    figures = _grouped(
        _rollup(filters), "exhibit__hall", sums=_FIGURE_SUMS, visitors=_FIGURE_VISITORS
    )
    dwell = _grouped(_stops(filters), "exhibit__hall", sums=_DWELL_SUMS, visitors=_DWELL_VISITORS)
    halls = Hall.objects.order_by("ordering", "name")
    if filters.hall is not None:
        halls = halls.filter(pk=filters.hall.pk)
    return [
        _group(hall.name, figures.get(hall.pk), dwell.get(hall.pk), hall=hall) for hall in halls
    ]


def report_exhibits(*, filters: ReportFilters) -> list[GroupReport]:
    """Exhibits under the filters (active ones, and inactive ones with readings in range),
    by hall and title."""
    figures = _grouped(_rollup(filters), "exhibit", sums=_FIGURE_SUMS, visitors=_FIGURE_VISITORS)
    dwell = _grouped(_stops(filters), "exhibit", sums=_DWELL_SUMS, visitors=_DWELL_VISITORS)
    exhibits = Exhibit.objects.filter(Q(active=True) | Q(pk__in=list(figures))).select_related(
        "hall"
    )
    if filters.hall is not None:
        exhibits = exhibits.filter(hall=filters.hall)
    if filters.exhibit is not None:
        exhibits = exhibits.filter(pk=filters.exhibit.pk)
    exhibits = exhibits.order_by("hall__ordering", "hall__name", "title", "pk")
    return [
        _group(
            exhibit.title,
            figures.get(exhibit.pk),
            dwell.get(exhibit.pk),
            hall=exhibit.hall,
            exhibit=exhibit,
        )
        for exhibit in exhibits
    ]


def period_starts(*, date_from: date, date_to: date, period: str) -> list[date]:
    """Every bucket start in the range: each day, or each Monday (ISO weeks; the first
    week may start before ``date_from``)."""
    if period == PERIOD_WEEK:
        first = date_from - timedelta(days=date_from.weekday())
        step = timedelta(weeks=1)
    elif period == PERIOD_DAY:
        first, step = date_from, timedelta(days=1)
    else:
        raise ValueError(f"Unknown period {period!r}; use {PERIOD_DAY!r} or {PERIOD_WEEK!r}.")
    starts, current = [], first
    while current <= date_to:
        starts.append(current)
        current += step
    return starts


def report_trend(*, filters: ReportFilters) -> list[GroupReport]:
    """One group per day or week of the range (``filters.period``), gaps included, so that
    charts keep a true time axis. Each bucket is thresholded on its own visitors."""
    starts = period_starts(
        date_from=filters.date_from, date_to=filters.date_to, period=filters.period
    )
    tz = report_time_zone()
    if filters.period == PERIOD_WEEK:
        rollup_bucket = TruncWeek("day")
        stop_bucket = TruncWeek(TruncDate("first_seen", tzinfo=tz))
    else:
        rollup_bucket = F("day")
        stop_bucket = TruncDate("first_seen", tzinfo=tz)
    figures = _grouped(
        _rollup(filters).annotate(bucket=rollup_bucket),
        "bucket",
        sums=_FIGURE_SUMS,
        visitors=_FIGURE_VISITORS,
    )
    dwell = _grouped(
        _stops(filters).annotate(bucket=stop_bucket),
        "bucket",
        sums=_DWELL_SUMS,
        visitors=_DWELL_VISITORS,
    )
    figures = {_as_date(bucket): row for bucket, row in figures.items()}
    dwell = {_as_date(bucket): row for bucket, row in dwell.items()}
    label = "Week of {:%Y-%m-%d}" if filters.period == PERIOD_WEEK else "{:%Y-%m-%d}"
    return [
        _group(
            label.format(start),
            figures.get(start),
            dwell.get(start),
            hall=filters.hall,
            exhibit=filters.exhibit,
            period_start=start,
        )
        for start in starts
    ]


def _as_date(value: Any) -> date:
    # TruncWeek of a date comes back as a datetime on some backends.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def report_ranking(*, groups: Iterable[GroupReport], size: int = RANKING_SIZE) -> Ranking:
    """The top ``size`` exhibits three ways. Hidden groups are never ranked.

    - most delighting: highest share of happy in the mix;
    - most surprising: highest share of surprise;
    - least engaging: lowest mean dwell, then lowest non-neutral share (exhibits without
      shown dwell cannot be judged and are left out).
    Ties break on the label so that the order is stable.
    """
    shown = [group for group in groups if group.figures is not None]
    engaged = [group for group in shown if group.dwell is not None]
    return Ranking(
        most_delighting=sorted(shown, key=lambda g: (-g.figures.mix["happy"], g.label))[:size],
        most_surprising=sorted(shown, key=lambda g: (-g.figures.mix["surprise"], g.label))[:size],
        least_engaging=sorted(
            engaged,
            key=lambda g: (g.dwell.mean_seconds, g.figures.non_neutral_share, g.label),
        )[:size],
    )


def report_exhibit_comparison(
    *, filters: ReportFilters, exhibit: Exhibit, hall_exhibits: Sequence[GroupReport] | None = None
) -> ExhibitComparison:
    """The exhibit's figures, its hall's, and its valence rank among the hall's exhibits."""
    hall_filters = ReportFilters(
        date_from=filters.date_from,
        date_to=filters.date_to,
        source=filters.source,
        hall=exhibit.hall,
    )
    exhibit_filters = ReportFilters(
        date_from=filters.date_from,
        date_to=filters.date_to,
        source=filters.source,
        hall=exhibit.hall,
        exhibit=exhibit,
    )
    if hall_exhibits is None:
        hall_exhibits = report_exhibits(filters=hall_filters)
    shown = sorted(
        (group for group in hall_exhibits if group.figures is not None),
        key=lambda g: (-g.figures.valence, g.label),
    )
    rank = next((i for i, group in enumerate(shown, start=1) if group.exhibit == exhibit), None)
    return ExhibitComparison(
        exhibit=report_total(filters=exhibit_filters, label=exhibit.title),
        hall=report_total(filters=hall_filters, label=exhibit.hall.name),
        valence_rank=rank,
        ranked_exhibits=len(shown),
    )
