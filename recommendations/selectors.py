"""Reads: visitor profiles, recommendations with reasons, the next-visit plan, "My visits".

Keyword-only and typed. Nothing here aggregates every reading of the museum: a page reads
the visitor's *own* readings (grouped in SQL, on the ``(visitor, recorded_at)`` index) and
the model rows the Celery beat task stored (neighbours, popularity). The numbers themselves
come from :mod:`recommendations.engine`, shared with the offline evaluation.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, FloatField, QuerySet, Sum
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from emotions.models import EmotionReading
from ml import EMOTIONS
from museum_site.core.models import Exhibit, Hall, Visit, VisitExhibit, VisitorProfile
from recommendations import engine
from recommendations.models import (
    ExhibitNeighbour,
    ExhibitPopularity,
    VisitorExhibitFeedback,
)

# "Popular with visitors this month": the window of the popularity signal.
POPULARITY_WINDOW = timedelta(days=30)
# The next-visit plan assumes this long per exhibit when the visitor has no dwell history.
DEFAULT_MINUTES_PER_EXHIBIT = 3.0


# --- Observations: the database side of engine.PairObservation ----------------------------


def _consenting_readings() -> QuerySet[EmotionReading]:
    """Readings that may shape recommendations: their visitor's consent still stands.

    Withdrawing consent stops analysis: the readings stay in the visitor's diary but no
    longer feed their profile nor anyone's collaborative signal. (Anonymous aggregates,
    the exhibit fingerprints, keep counting them.)
    """
    return EmotionReading.objects.filter(
        visitor__isnull=False,
        visitor__consent_given_at__isnull=False,
        visitor__consent_withdrawn_at__isnull=True,
    )


def _weighted_sums() -> dict[str, Sum]:
    return {name: Sum(F("face_count") * F(name), output_field=FloatField()) for name in EMOTIONS}


def observations_for(*, visitor_ids: Collection[int] | None = None) -> list[engine.PairObservation]:
    """One :class:`engine.PairObservation` per (visitor, exhibit) the visitors are linked to.

    Three grouped queries: readings (face-weighted sums), dwell time over all visits, and
    explicit feedback. ``visitor_ids=None`` means every visitor (the nightly model build).
    """
    readings = _consenting_readings()
    stops = VisitExhibit.objects.all()
    feedback = VisitorExhibitFeedback.objects.all()
    if visitor_ids is not None:
        readings = readings.filter(visitor_id__in=visitor_ids)
        stops = stops.filter(visit__visitor_id__in=visitor_ids)
        feedback = feedback.filter(visitor_id__in=visitor_ids)

    pairs: dict[tuple[int, int], dict] = defaultdict(dict)
    rows = (
        readings.order_by()
        .values("visitor_id", "exhibit_id")
        .annotate(readings=Count("id"), faces=Sum("face_count"), **_weighted_sums())
    )
    for row in rows:
        pairs[row["visitor_id"], row["exhibit_id"]].update(
            readings=row["readings"],
            faces=float(row["faces"] or 0),
            sums=tuple(float(row[name] or 0.0) for name in EMOTIONS),
        )
    dwell_rows = (
        stops.order_by()
        .values("visit__visitor_id", "exhibit_id")
        .annotate(dwell=Sum("dwell_seconds"))
    )
    for row in dwell_rows:
        pairs[row["visit__visitor_id"], row["exhibit_id"]]["dwell_seconds"] = float(row["dwell"])
    for row in feedback.values("visitor_id", "exhibit_id", "rating", "hidden"):
        pairs[row["visitor_id"], row["exhibit_id"]].update(
            rating=row["rating"], hidden=row["hidden"]
        )
    return [
        engine.PairObservation(visitor=visitor, exhibit=exhibit, **values)
        for (visitor, exhibit), values in sorted(pairs.items())
    ]


def visitor_profile_for(*, visitor: VisitorProfile) -> engine.Profile:
    """The visitor's emotional profile: baseline and response to every exhibit they met."""
    profiles = engine.profiles_from(observations_for(visitor_ids=[visitor.pk]))
    return profiles.get(visitor.pk) or engine.empty_profile(visitor.pk)


def model_for(*, exhibit_ids: Iterable[int]) -> engine.Model:
    """The stored model, restricted to the neighbours of ``exhibit_ids`` (a visitor's history)."""
    model = engine.Model(
        popularity=dict(ExhibitPopularity.objects.values_list("exhibit_id", "score"))
    )
    rows = ExhibitNeighbour.objects.filter(exhibit_id__in=list(exhibit_ids)).values_list(
        "channel", "exhibit_id", "neighbour_id", "score", "support"
    )
    for channel, exhibit, neighbour, score, support in rows.order_by("-score", "neighbour_id"):
        model.neighbours.setdefault(channel, {}).setdefault(exhibit, []).append(
            engine.Neighbour(exhibit=neighbour, score=score, support=support)
        )
    return model


# --- Recommendations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why an exhibit is recommended, in words, from its strongest signal."""

    kind: str  # engine.AFFINITY, engine.CONTENT, engine.POPULARITY, an emotion, or "new"
    text: str
    html: SafeString
    source: Exhibit | None = None  # the exhibit the visitor saw that led here


@dataclass(frozen=True)
class Recommendation:
    exhibit: Exhibit
    score: float
    reason: Reason


def exhibit_recommendations_for(
    *,
    visitor: VisitorProfile,
    limit: int = 5,
    weights: engine.Weights = engine.DEFAULT_WEIGHTS,
    max_per_hall: int | None = None,
) -> list[Recommendation]:
    """Up to ``limit`` active exhibits the visitor has not seen, best first, with reasons.

    Seen, rated and hidden exhibits are never recommended. Without any history the list is
    the most popular exhibits of the month, spread across halls.
    """
    profile = visitor_profile_for(visitor=visitor)
    halls = dict(Exhibit.objects.filter(active=True).values_list("pk", "hall_id"))
    model = model_for(exhibit_ids=profile.responses)
    scored = engine.recommend(
        profile=profile,
        model=model,
        halls=halls,
        limit=limit,
        weights=weights,
        max_per_hall=max_per_hall,
    )
    needed = {item.exhibit for item in scored} | {
        item.reason.source for item in scored if item.reason and item.reason.source
    }
    exhibits = Exhibit.objects.select_related("hall").prefetch_related("tags").in_bulk(needed)
    recent = dict(
        ExhibitPopularity.objects.filter(
            exhibit_id__in=[item.exhibit for item in scored]
        ).values_list("exhibit_id", "recent_visitors")
    )
    return [
        Recommendation(
            exhibit=exhibits[item.exhibit],
            score=item.score,
            reason=_reason(
                item.reason,
                target=exhibits[item.exhibit],
                exhibits=exhibits,
                profile=profile,
                recent_visitors=recent.get(item.exhibit, 0),
            ),
        )
        for item in scored
    ]


def _link(exhibit: Exhibit) -> SafeString:
    if not exhibit.active:  # taken off display since: its page is gone
        return format_html("<em>{}</em>", exhibit.title)
    return format_html('<a href="{}"><em>{}</em></a>', exhibit.get_absolute_url(), exhibit.title)


def _how_it_moved_you(response: engine.Response | None) -> tuple[str, str]:
    """("delighted you", kind) for the clause "..., which delighted you"."""
    if response is None:
        return "you saw", "seen"
    if response.rating is not None and response.rating >= 4:
        return f"you rated {response.rating} out of 5", "rating"
    emotion = response.strongest_emotion()
    if emotion is not None and response.affinity > 0:
        return f"{engine.RESPONSE_EMOTIONS[emotion][1]} you", emotion
    if response.dwell_log2 >= 0.5:
        return "held you longer than most", "dwell"
    return "you saw", "seen"


def _reason(
    contribution: engine.Contribution | None,
    *,
    target: Exhibit,
    exhibits: dict[int, Exhibit],
    profile: engine.Profile,
    recent_visitors: int,
) -> Reason:
    source = exhibits.get(contribution.source) if contribution and contribution.source else None
    if contribution is None or (contribution.kind != engine.POPULARITY and source is None):
        text = f"Something new for you ({target.hall.name})."
        return Reason("new", text, format_html("Something new for you ({}).", target.hall))

    kind = contribution.kind
    if kind == engine.POPULARITY:
        who = f"{recent_visitors} visitor{'s' if recent_visitors != 1 else ''}"
        text = f"Popular with visitors this month ({who})."
        return Reason(kind, text, format_html("Popular with visitors this month ({}).", who))

    response = profile.responses.get(source.pk)
    if kind == engine.AFFINITY:
        verb = "enjoyed" if response and response.affinity > 0 else "were drawn to"
        seen = "enjoyed" if verb == "enjoyed" else "saw"
        text = f"Visitors who {seen} {source.title}, like you, also {verb} {target.title}."
        html = format_html(
            "Visitors who {} {}, like you, also {} {}.", seen, _link(source), verb, _link(target)
        )
        return Reason(kind, text, html, source)

    if kind in engine.RESPONSE_EMOTIONS:
        word = engine.RESPONSE_EMOTIONS[kind][0]
        text = (
            f"Visitors who were {word} by {source.title}, like you, "
            f"were also {word} by {target.title}."
        )
        html = format_html(
            "Visitors who were {} by {}, like you, were also {} by {}.",
            word,
            _link(source),
            word,
            _link(target),
        )
        return Reason(kind, text, html, source)

    # Content: name the shared tags if there are any, else the shared hall.
    clause, _ = _how_it_moved_you(response)
    shared = sorted(
        {tag.name for tag in source.tags.all()} & {tag.name for tag in target.tags.all()}
    )
    if shared:
        noun = "tags" if len(shared) > 1 else "tag"
        listed = ", ".join(shared[:3])
        text = f"Shares the {noun} {listed} with {source.title}, which {clause}."
        html = format_html(
            "Shares the {} {} with {}, which {}.",
            noun,
            format_html_join(", ", "<strong>{}</strong>", ((name,) for name in shared[:3])),
            _link(source),
            clause,
        )
    elif source.hall_id == target.hall_id:
        text = f"In the same hall as {source.title}, which {clause}."
        html = format_html("In the same hall as {}, which {}.", _link(source), clause)
    else:
        text = f"Close in theme to {source.title}, which {clause}."
        html = format_html("Close in theme to {}, which {}.", _link(source), clause)
    return Reason(kind, text, html, source)


# --- Next visit plan ----------------------------------------------------------------------


@dataclass
class PlanHall:
    hall: Hall
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def floor_label(self) -> str:
        floor = self.hall.floor
        if floor == 0:
            return "Ground floor"
        return f"Floor {floor}" if floor > 0 else f"Lower level {-floor}"


@dataclass
class VisitPlan:
    halls: list[PlanHall]
    minutes_per_exhibit: float

    @property
    def exhibit_count(self) -> int:
        return sum(len(stop.recommendations) for stop in self.halls)

    @property
    def minutes(self) -> int:
        return math.ceil(self.exhibit_count * self.minutes_per_exhibit)


def next_visit_plan_for(*, visitor: VisitorProfile, limit: int = 8) -> VisitPlan:
    """A short route: the visitor's recommendations grouped by hall, halls in museum order.

    A hall may hold up to three of the stops: the plan favours fewer halls than the
    "Recommended for you" list (walking between floors costs time) but still spreads out.
    """
    recommendations = exhibit_recommendations_for(
        visitor=visitor, limit=limit, max_per_hall=max(3, math.ceil(limit / 3))
    )
    by_hall: dict[int, PlanHall] = {}
    for item in recommendations:
        stop = by_hall.setdefault(item.exhibit.hall_id, PlanHall(hall=item.exhibit.hall))
        stop.recommendations.append(item)
    halls = sorted(by_hall.values(), key=lambda s: (s.hall.ordering, s.hall.name, s.hall.pk))
    return VisitPlan(halls=halls, minutes_per_exhibit=_minutes_per_exhibit(visitor))


def _minutes_per_exhibit(visitor: VisitorProfile) -> float:
    stops = VisitExhibit.objects.filter(visit__visitor=visitor, dwell_seconds__gt=0)
    dwell = list(stops.values_list("dwell_seconds", flat=True))
    if not dwell:
        return DEFAULT_MINUTES_PER_EXHIBIT
    return max(1.0, statistics.median(dwell) / 60)


# --- "My visits": the diary with the emotions each exhibit evoked --------------------------


# How emotions are named on the visitor's pages.
EMOTION_NOUNS = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "joy",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}


@dataclass(frozen=True)
class Segment:
    """One emotion's slice of a 0-100 wide stacked bar (drawn as SVG, no inline styles)."""

    name: str
    noun: str
    x: float
    width: float
    percent: int


@dataclass(frozen=True)
class EmotionSummary:
    """The readings of one visitor at one exhibit (during one visit), against their baseline."""

    readings: int
    probabilities: dict[str, float]
    above_usual: dict[str, float]  # difference from the visitor's baseline, per emotion

    @property
    def dominant(self) -> str:
        return EMOTION_NOUNS[max(self.probabilities, key=self.probabilities.__getitem__)]

    @property
    def standout(self) -> tuple[str, int] | None:
        """(emotion noun, points) furthest above the usual, if 5 points or more.

        Neutral is left out: "more neutral than usual" is the absence of a response.
        """
        expressive = {k: v for k, v in self.above_usual.items() if k != "neutral"}
        name = max(expressive, key=expressive.__getitem__)
        points = round(100 * self.above_usual[name])
        return (EMOTION_NOUNS[name], points) if points >= 5 else None

    @property
    def segments(self) -> list[Segment]:
        out, x = [], 0.0
        for name in EMOTIONS:
            width = 100 * self.probabilities[name]
            out.append(
                Segment(name, EMOTION_NOUNS[name], round(x, 2), round(width, 2), round(width))
            )
            x += width
        return out


def visitor_baseline_for(*, visitor: VisitorProfile) -> EmotionSummary | None:
    """The visitor's usual expression: face-weighted mean of all their readings."""
    row = EmotionReading.objects.filter(visitor=visitor).aggregate(
        readings=Count("id"), faces=Sum("face_count"), **_weighted_sums()
    )
    if not row["faces"]:
        return None
    return EmotionSummary(
        readings=row["readings"],
        probabilities={name: float(row[name]) / row["faces"] for name in EMOTIONS},
        above_usual=dict.fromkeys(EMOTIONS, 0.0),
    )


def visit_emotions_for(
    *, visitor: VisitorProfile, visits: Iterable[Visit]
) -> dict[tuple[int, int], EmotionSummary]:
    """Emotion summaries keyed by (visit id, exhibit id) for the visitor's own ``visits``.

    Only the visitor's own readings are read; another visitor's visit ids find nothing.
    """
    baseline = visitor_baseline_for(visitor=visitor)
    if baseline is None:
        return {}
    rows = (
        EmotionReading.objects.filter(visitor=visitor, visit__in=[v.pk for v in visits])
        .order_by()
        .values("visit_id", "exhibit_id")
        .annotate(readings=Count("id"), faces=Sum("face_count"), **_weighted_sums())
    )
    out = {}
    for row in rows:
        probabilities = {name: float(row[name]) / row["faces"] for name in EMOTIONS}
        out[row["visit_id"], row["exhibit_id"]] = EmotionSummary(
            readings=row["readings"],
            probabilities=probabilities,
            above_usual={
                name: probabilities[name] - baseline.probabilities[name] for name in EMOTIONS
            },
        )
    return out


@dataclass(frozen=True)
class ExhibitResponse:
    exhibit: Exhibit
    delight: float  # baseline-relative, in the visitor's usual spread
    standout: str | None  # the response emotion clearly above their usual
    rating: int | None


def strongest_responses_for(*, visitor: VisitorProfile, limit: int = 12) -> list[ExhibitResponse]:
    """The exhibits whose readings moved the visitor most (either way), for the chart."""
    profile = visitor_profile_for(visitor=visitor)
    measured = [r for r in profile.responses.values() if r.readings and not r.hidden]
    measured.sort(key=lambda r: (-abs(r.delight), r.exhibit))
    measured = measured[:limit]
    exhibits = Exhibit.objects.in_bulk([r.exhibit for r in measured])
    return [
        ExhibitResponse(
            exhibit=exhibits[r.exhibit],
            delight=round(r.delight, 2),
            standout=r.strongest_emotion(),
            rating=r.rating,
        )
        for r in sorted(measured, key=lambda r: (-r.delight, r.exhibit))
    ]


def feedback_for(
    *, visitor: VisitorProfile, exhibit_ids: Iterable[int] | None = None
) -> dict[int, VisitorExhibitFeedback]:
    """The visitor's feedback rows keyed by exhibit id."""
    rows = VisitorExhibitFeedback.objects.filter(visitor=visitor)
    if exhibit_ids is not None:
        rows = rows.filter(exhibit_id__in=list(exhibit_ids))
    return {row.exhibit_id: row for row in rows}


def hidden_exhibits_for(*, visitor: VisitorProfile) -> QuerySet[Exhibit]:
    return (
        Exhibit.objects.filter(feedback__visitor=visitor, feedback__hidden=True)
        .select_related("hall")
        .order_by("title", "pk")
    )


def popularity_counts(*, now: datetime | None = None) -> dict[int, int]:
    """Distinct visitors per active exhibit within the popularity window (0 if none)."""
    since = (now or timezone.now()) - POPULARITY_WINDOW
    counts = dict.fromkeys(Exhibit.objects.filter(active=True).values_list("pk", flat=True), 0)
    rows = (
        VisitExhibit.objects.filter(last_seen__gte=since, exhibit__active=True)
        .order_by()
        .values("exhibit_id")
        .annotate(visitors=Count("visit__visitor", distinct=True))
    )
    for row in rows:
        counts[row["exhibit_id"]] = row["visitors"]
    return counts


def exhibit_documents() -> list[engine.ExhibitDocument]:
    """What the content channel reads about each active exhibit."""
    exhibits = Exhibit.objects.filter(active=True).select_related("hall").prefetch_related("tags")
    return [
        engine.ExhibitDocument(
            exhibit=exhibit.pk,
            hall=exhibit.hall.slug,
            tags=tuple(sorted(tag.name for tag in exhibit.tags.all())),
            description=f"{exhibit.title}. {exhibit.artist}. {exhibit.description}",
        )
        for exhibit in exhibits
    ]
