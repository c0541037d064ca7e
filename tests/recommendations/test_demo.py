"""``manage.py load_demo_emotions`` (also run by ``load_demo``): readings and a built model."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from emotions.models import EmotionReading
from museum_site.core import demo_data
from museum_site.core.models import VisitExhibit, VisitorProfile
from recommendations import selectors
from recommendations.models import ExhibitFingerprint, ExhibitNeighbour, ExhibitPopularity


def _run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_load_demo_gives_every_demo_stop_readings_and_builds_the_recommender(db):
    output = _run("load_demo")

    assert "Demo emotions ready" in output
    demo_stops = VisitExhibit.objects.filter(
        visit__visitor__user__username__startswith="demo-visitor-"
    )
    assert demo_stops.exists()
    for stop in demo_stops:
        readings = EmotionReading.objects.filter(
            visit=stop.visit, exhibit=stop.exhibit, visitor=stop.visit.visitor
        )
        assert readings.exists(), stop
        first = readings.order_by("recorded_at").first()
        assert first.recorded_at == stop.first_seen
    assert ExhibitFingerprint.objects.count() == demo_stops.values("exhibit").distinct().count()
    assert ExhibitNeighbour.objects.exists()
    assert ExhibitPopularity.objects.count() == 35

    amira = VisitorProfile.objects.get(user__username="demo-visitor-1")
    items = selectors.exhibit_recommendations_for(visitor=amira, limit=6)
    seen = set(VisitExhibit.objects.filter(visit__visitor=amira).values_list("exhibit", flat=True))
    assert len(items) == 6
    assert not {item.exhibit.pk for item in items} & seen
    assert all(item.reason.text for item in items)


def test_it_is_idempotent(db):
    _run("load_demo")
    readings = EmotionReading.objects.count()
    fingerprints = list(ExhibitFingerprint.objects.values_list("exhibit", "reading_count"))

    output = _run("load_demo_emotions")

    assert "Demo emotions ready: 0 readings at 0 stops" in output
    assert EmotionReading.objects.count() == readings
    assert list(ExhibitFingerprint.objects.values_list("exhibit", "reading_count")) == fingerprints


def test_it_adds_a_crowd_of_simulated_visitors_once(db):
    _run("load_demo")
    output = _run("load_demo_emotions", "--crowd", "3")

    crowd = get_user_model().objects.filter(username__startswith="demo-crowd-")
    assert crowd.count() == 3
    assert "3 new crowd visitors" in output
    for user in crowd:
        assert user.check_password(demo_data.DEMO_PASSWORD)
        assert user.visitor_profile.has_current_consent()
        assert user.visitor_profile.visits.count() >= 2
        assert EmotionReading.objects.filter(visitor=user.visitor_profile).exists()

    again = _run("load_demo_emotions", "--crowd", "3")
    assert "0 new crowd visitors" in again and "0 readings" in again
    assert crowd.count() == 3


def test_it_refuses_production_and_silly_crowds(db, settings):
    with pytest.raises(CommandError, match="--crowd"):
        _run("load_demo_emotions", "--crowd", "-1")
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        _run("load_demo_emotions")
    assert not EmotionReading.objects.exists()
