"""Demo emotion readings and the recommender built on them (``manage.py load_demo_emotions``).

The demo museum (``manage.py load_demo``) has visits but no camera yet. This gives every
stop of the demo visitors believable readings, drawn by the simulator of the offline
evaluation from a hidden taste per visitor, then rebuilds fingerprints and the model.
Optionally it adds a *crowd* of simulated visitors (``demo-crowd-NN``) with their own past
visits, so that collaborative reasons ("Visitors who enjoyed X ...") have something to say.

Idempotent: stops that have readings already are left alone, crowd accounts are created
once (their visits only if they have none), and the rebuild replaces derived tables.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from emotions.models import EmotionReading
from emotions.services import reading_build, readings_save
from ml import EMOTIONS
from museum_site.core import demo_data
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit, Hall, VisitExhibit, VisitorProfile
from recommendations import services
from recommendations.simulation import SimulatedExhibit, Visitors, draw_visitors, observe_stop

CROWD_PREFIX = "demo-crowd-"
SEED = 2026


@dataclass(frozen=True)
class DemoReport:
    readings: int
    stops: int
    crowd_created: int
    ratings: int
    rebuild: services.RebuildReport


def _museum() -> list[SimulatedExhibit]:
    """The real exhibits as the simulator sees them, with stable per-exhibit traits."""
    hall_ids = Hall.objects.order_by("ordering", "pk").values_list("pk", flat=True)
    halls = {pk: i for i, pk in enumerate(hall_ids)}
    museum = []
    for exhibit in Exhibit.objects.filter(active=True).prefetch_related("tags").order_by("pk"):
        # Appeal and character from the slug, so that reruns agree with earlier ones.
        rng = np.random.default_rng(zlib.crc32(exhibit.slug.encode()))
        museum.append(
            SimulatedExhibit(
                id=exhibit.pk,
                hall=halls[exhibit.hall_id],
                tags=tuple(sorted(tag.name for tag in exhibit.tags.all())) or ("untagged",),
                description=exhibit.description,
                appeal=float(rng.normal(0, 0.5)),
                character=float(rng.beta(2, 2)),
            )
        )
    return museum


def _readings_for_stop(
    *,
    rng: np.random.Generator,
    visitors: Visitors,
    index: int,
    position: int,
    museum: list[SimulatedExhibit],
    stop: VisitExhibit,
    profile: VisitorProfile,
) -> tuple[list[EmotionReading], int | None]:
    simulated = observe_stop(
        rng=rng,
        visitors=visitors,
        visitor=index,
        position=position,
        exhibit=museum[position],
        dwell_seconds=max(stop.dwell_seconds, 1),
    )
    step = max(stop.dwell_seconds, 1) / len(simulated.faces)
    readings = [
        reading_build(
            exhibit=stop.exhibit,
            visitor=profile,
            visit=stop.visit,
            probabilities=dict(zip(EMOTIONS, map(float, probabilities), strict=True)),
            recorded_at=stop.first_seen + timedelta(seconds=i * step),
            face_count=int(faces),
        )
        for i, (probabilities, faces) in enumerate(
            zip(simulated.probabilities, simulated.faces, strict=True)
        )
    ]
    return readings, simulated.rating


def _crowd_visits(
    *,
    rng: np.random.Generator,
    visitors: Visitors,
    index: int,
    museum: list[SimulatedExhibit],
    profile: VisitorProfile,
    now: datetime,
) -> None:
    """Two or three past visits of 4-8 exhibits each, within the last four weeks."""
    exhibits = Exhibit.objects.in_bulk([e.id for e in museum])
    keys = visitors.utility[index] + rng.gumbel(size=len(museum))
    order = [int(p) for p in np.argsort(-keys)]
    for _ in range(int(rng.integers(2, 4))):
        size = int(rng.integers(4, 9))
        chosen, order = order[:size], order[size:]
        if not chosen:
            break
        moment = now - timedelta(days=int(rng.integers(1, 28)), hours=int(rng.integers(0, 6)))
        visit = core_services.visit_start(visitor=profile, now=moment)
        for position in chosen:
            seconds = int(
                60 * visitors.pace[index] * np.exp(0.35 * visitors.utility[index, position])
            )
            core_services.visit_record_exhibit(
                visit=visit, exhibit=exhibits[museum[position].id], seconds=seconds, now=moment
            )
            moment += timedelta(seconds=seconds + 60)
        core_services.visit_end(visit=visit, now=moment)


def _crowd_profiles(count: int, *, password: str) -> tuple[list[VisitorProfile], int]:
    user_model = get_user_model()
    profiles, created = [], 0
    for n in range(1, count + 1):
        username = f"{CROWD_PREFIX}{n:02d}"
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = core_services.user_sign_up(
                username=username,
                email=f"{username}@museum.example",
                password=password,
                display_name=f"Crowd visitor {n}",
            )
            created += 1
        profile = core_services.visitor_profile_get_or_create(user=user)
        if not profile.has_current_consent():
            core_services.consent_give(profile=profile)
        profiles.append(profile)
    return profiles, created


def demo_emotions_load(
    *, crowd: int = 0, now: datetime | None = None, password: str = demo_data.DEMO_PASSWORD
) -> DemoReport:
    """Readings for every demo stop without any, optional crowd visitors, then a rebuild."""
    now = now or timezone.now()
    museum = _museum()
    position_of = {e.id: p for p, e in enumerate(museum)}
    demo_names = [data["username"] for data in demo_data.VISITORS]
    with transaction.atomic():
        crowd_profiles, crowd_created = _crowd_profiles(crowd, password=password)
        named = list(
            VisitorProfile.objects.filter(user__username__in=demo_names).order_by("user__username")
        )
        everyone = named + crowd_profiles
        rng = np.random.default_rng(SEED)
        halls = max((e.hall for e in museum), default=0) + 1
        # Tastes are drawn for the same list of people every time, so reruns agree.
        visitors = draw_visitors(rng=rng, museum=museum, halls=halls, count=max(len(everyone), 1))

        readings: list[EmotionReading] = []
        stops_done = ratings = 0
        for index, profile in enumerate(everyone):
            person_rng = np.random.default_rng([SEED, profile.pk])
            if profile in crowd_profiles and not profile.visits.exists():
                _crowd_visits(
                    rng=person_rng,
                    visitors=visitors,
                    index=index,
                    museum=museum,
                    profile=profile,
                    now=now,
                )
            stops = (
                VisitExhibit.objects.filter(visit__visitor=profile)
                .select_related("exhibit", "visit")
                .order_by("first_seen", "pk")
            )
            for stop in stops:
                position = position_of.get(stop.exhibit_id)
                if position is None:
                    continue  # the exhibit is off display
                if EmotionReading.objects.filter(
                    visitor=profile, visit=stop.visit, exhibit=stop.exhibit
                ).exists():
                    continue
                new, rating = _readings_for_stop(
                    rng=person_rng,
                    visitors=visitors,
                    index=index,
                    position=position,
                    museum=museum,
                    stop=stop,
                    profile=profile,
                )
                readings.extend(new)
                stops_done += 1
                if rating is not None:
                    services.feedback_rate(visitor=profile, exhibit=stop.exhibit, rating=rating)
                    ratings += 1
        readings_save(readings=readings)
    rebuild = services.recommender_rebuild(now=now)
    return DemoReport(
        readings=len(readings),
        stops=stops_done,
        crowd_created=crowd_created,
        ratings=ratings,
        rebuild=rebuild,
    )
