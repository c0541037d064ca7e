"""Helpers for the recommendation tests: hand-made readings, visits and feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emotions.services import reading_build, readings_save
from ml import EMOTIONS
from museum_site.core import services as core_services

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def probs(**values: float) -> dict[str, float]:
    """Seven probabilities; whatever is not given goes to neutral so that they sum to 1."""
    out = dict.fromkeys(EMOTIONS, 0.0)
    out.update(values)
    out["neutral"] = round(1.0 - sum(v for k, v in out.items() if k != "neutral"), 10)
    return out


@pytest.fixture
def add_readings():
    """add_readings(exhibit, [probs, ...], visitor=profile, visit=None, faces=1, at=T0)."""

    def add(exhibit, rows, *, visitor=None, visit=None, faces=1, at=T0):
        readings = [
            reading_build(
                exhibit=exhibit,
                probabilities=p,
                recorded_at=at + timedelta(seconds=i),
                visitor=visitor,
                visit=visit,
                face_count=faces,
            )
            for i, p in enumerate(rows)
        ]
        return readings_save(readings=readings)

    return add


@pytest.fixture
def see():
    """see(profile, exhibit, seconds, readings=[probs...], at=T0): one finished visit stop."""

    def stop(profile, exhibit, seconds=60, *, at=T0, readings=(), faces=1):
        visit = core_services.visit_start(visitor=profile, now=at)
        core_services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=seconds, now=at)
        if readings:
            rows = [
                reading_build(
                    exhibit=exhibit,
                    probabilities=p,
                    recorded_at=at + timedelta(seconds=i),
                    visitor=profile,
                    visit=visit,
                    face_count=faces,
                )
                for i, p in enumerate(readings)
            ]
            readings_save(readings=rows)
        core_services.visit_end(visit=visit, now=at + timedelta(seconds=seconds + 1))
        return visit

    return stop


@pytest.fixture
def gallery(hall, other_hall, exhibit, fossil):
    """Eight exhibits in three halls with overlapping tags, plus the conftest two."""
    third = core_services.hall_create(name="Science and Invention", ordering=3, floor=-1)
    specs = [
        ("Bronze Dancer", hall, ["bronze", "dance"]),
        ("Marble Muse", hall, ["marble", "symbolism"]),
        ("Bronze Horse", hall, ["bronze", "animals"]),
        ("Trilobite Tray", other_hall, ["fossil", "cambrian"]),
        ("Dinosaur Egg", other_hall, ["fossil", "jurassic"]),
        ("Brass Orrery", third, ["astronomy", "brass"]),
        ("Difference Engine", third, ["computing", "brass"]),
        ("Wimshurst Machine", third, ["electricity"]),
    ]
    made = {"kiss": exhibit, "ammonite": fossil}
    for title, where, tags in specs:
        made[title] = core_services.exhibit_create(
            title=title, hall=where, description=f"{title}: {' '.join(tags)}.", tags=tags
        )
    made["third_hall"] = third
    return made
