"""Hand-made readings with figures worked out by hand (see ``world``), for the report tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from emotions.models import Clip, ClipStatus, EmotionReading, ReadingSource
from emotions.services import reading_build, readings_save
from ml import EMOTIONS
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit, VisitorProfile
from museum_site.reports import services

D1 = date(2026, 5, 4)  # a Monday
D2 = date(2026, 5, 5)
D8 = date(2026, 5, 11)  # the Monday after


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def probabilities(**given: float) -> dict[str, float]:
    return {name: given.get(name, 0.0) for name in EMOTIONS}


def read(
    exhibit: Exhibit,
    when: datetime,
    *,
    visitor: VisitorProfile | None = None,
    faces: int = 1,
    clip: Clip | None = None,
    offset: float | None = None,
    **given: float,
) -> EmotionReading:
    """Save one reading through the emotions services, as the camera and clip code do."""
    reading = reading_build(
        exhibit=exhibit,
        probabilities=probabilities(**given),
        recorded_at=when,
        visitor=visitor,
        source=ReadingSource.CLIP if clip else ReadingSource.LIVE,
        clip=clip,
        offset_seconds=offset if clip else None,
        face_count=faces,
    )
    return readings_save(readings=[reading])[0]


def clip_of(visitor: VisitorProfile, exhibit: Exhibit, when: datetime) -> Clip:
    return Clip.objects.create(
        visitor=visitor, exhibit=exhibit, status=ClipStatus.DONE, created_at=when
    )


def stop(visitor: VisitorProfile, exhibit: Exhibit, when: datetime, seconds: int) -> None:
    visit = core_services.visit_start(visitor=visitor, now=when)
    core_services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=seconds, now=when)


@dataclass
class World:
    exhibit: Exhibit  # "The Kiss of the Wind", Sculpture Court
    horse: Exhibit  # "Bronze Horse", Sculpture Court
    fossil: Exhibit  # "Ammonite Wall", Hall of Natural History
    visitors: list[VisitorProfile]  # v1..v5 are visitors[1..5]


@pytest.fixture
def report_settings(settings):
    settings.TIME_ZONE = "UTC"
    settings.REPORTS_MIN_GROUP_SIZE = 2
    return settings


@pytest.fixture
def people(make_visitor) -> list[VisitorProfile]:
    return [make_visitor(f"visitor{i}").visitor_profile for i in range(6)]


@pytest.fixture
def world(report_settings, people, exhibit, fossil) -> World:
    """The readings and stops every figure in these tests is worked out from (k = 2, UTC).

    The Kiss of the Wind (Sculpture Court)
      D1 10:00  v1     1 face   happy 1.0                live
      D1 10:05  v2     3 faces  neutral 1.0              live
      D1 10:10  erased 1 face   sad 1.0                  live
      D2 10:00  v5     1 face   angry 1.0                clip
      D2 10:00  v1     1 face   angry 1.0                clip
    Bronze Horse (Sculpture Court)
      D1 11:00  v1     1 face   surprise 1.0             live
      D8 11:00  v3     1 face   surprise 0.75 happy 0.25 live
    Ammonite Wall (Hall of Natural History)
      D1 12:00  v4     1 face   fear 1.0                 live
    Stops: v1 Kiss 30 s, v2 Kiss 90 s, v1 Horse 20 s (all D1), v3 Horse 40 s (D8).
    """
    v = people
    horse = core_services.exhibit_create(
        title="Bronze Horse", hall=exhibit.hall, description="A horse rearing."
    )
    read(exhibit, at(D1, 10), visitor=v[1], happy=1.0)
    read(exhibit, at(D1, 10, 5), visitor=v[2], faces=3, neutral=1.0)
    read(exhibit, at(D1, 10, 10), visitor=None, sad=1.0)
    read(exhibit, at(D2, 10), visitor=v[5], clip=clip_of(v[5], exhibit, at(D2, 10)), offset=0,
         angry=1.0)  # fmt: skip
    read(exhibit, at(D2, 10), visitor=v[1], clip=clip_of(v[1], exhibit, at(D2, 10)), offset=0,
         angry=1.0)  # fmt: skip
    read(horse, at(D1, 11), visitor=v[1], surprise=1.0)
    read(horse, at(D8, 11), visitor=v[3], surprise=0.75, happy=0.25)
    read(fossil, at(D1, 12), visitor=v[4], fear=1.0)
    stop(v[1], exhibit, at(D1, 10), 30)
    stop(v[2], exhibit, at(D1, 10, 5), 90)
    stop(v[1], horse, at(D1, 11), 20)
    stop(v[3], horse, at(D8, 11), 40)
    services.rollup_sync()
    return World(exhibit=exhibit, horse=horse, fossil=fossil, visitors=v)
