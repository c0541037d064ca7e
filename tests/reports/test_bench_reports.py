"""``manage.py bench_reports``: generates consistent data, times every page, cleans up."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from emotions.models import Clip, EmotionReading, ReadingSource
from museum_site.core.models import Exhibit, Hall, Visit, VisitExhibit, VisitorProfile
from museum_site.reports.models import ReadingRollup

SMALL = {
    "readings": 3000,
    "exhibits": 6,
    "visitors": 40,
    "halls": 2,
    "days": 10,
    "repeat": 1,
}


def bench(**options) -> str:
    out = StringIO()
    call_command("bench_reports", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def generated(db, settings):
    settings.REPORTS_MIN_GROUP_SIZE = 5
    return bench(**SMALL)


def test_it_generates_exactly_the_readings_asked_for(generated):
    assert EmotionReading.objects.count() == 3000
    assert Exhibit.objects.filter(slug__startswith="bench-").count() == 6
    assert Hall.objects.filter(slug__startswith="bench-").count() == 2
    assert VisitorProfile.objects.filter(user__username__startswith="bench-visitor-").count() == 40
    assert "3000 readings in" in generated


def test_it_generates_data_shaped_like_real_visits(generated):
    # Every reading belongs to a stop of its visit, at its exhibit.
    stops = set(VisitExhibit.objects.values_list("visit_id", "exhibit_id"))
    pairs = set(EmotionReading.objects.values_list("visit_id", "exhibit_id").distinct())
    assert pairs <= stops
    assert Visit.objects.count() > 0
    # Clips: one reading per second, sources consistent (the model constraints hold).
    clips = EmotionReading.objects.filter(source=ReadingSource.CLIP)
    assert clips.exists() and Clip.objects.exists()
    assert not clips.values("clip", "offset_seconds").annotate(n=Count("id")).filter(n__gt=1)
    for reading in EmotionReading.objects.all()[:50]:
        assert sum(reading.probabilities.values()) == pytest.approx(1.0)
        assert reading.label == max(reading.probabilities, key=reading.probabilities.get)
    # The rollup was built and covers them all.
    assert ReadingRollup.objects.aggregate(n=Sum("readings"))["n"] == 3000


def test_it_times_every_report_page_and_export(generated):
    for name in [
        "overview",
        "overview CSV",
        "exhibits",
        "exhibits CSV",
        "hall",
        "hall CSV",
        "exhibit detail (daily)",
        "exhibit detail (weekly)",
        "exhibit CSV",
        "trends (daily)",
        "trends (weekly, hall)",
        "trends (daily, exhibit, live)",
        "trends CSV",
    ]:
        assert f"| {name} | 200 |" in generated, name
    assert "rollup (background task)" in generated
    overview = next(line for line in generated.splitlines() if line.startswith("| overview |"))
    cells = [cell.strip() for cell in overview.strip("|").split("|")]
    queries = int(cells[5])
    assert 5 <= queries <= 30  # counted, and a handful of aggregates, not a query per row


def test_it_refuses_to_generate_twice_unless_told(generated):
    with pytest.raises(CommandError, match="--replace"):
        bench(**SMALL)
    again = bench(**{**SMALL, "readings": 500, "replace": True})
    assert EmotionReading.objects.count() == 500 and "500 readings" in again
    assert "| overview | 200 |" in bench(**{**SMALL, "time_only": True})


def test_it_deletes_what_it_generated_and_nothing_else(generated, exhibit):
    bench(delete=True)
    assert not Exhibit.objects.filter(slug__startswith="bench-").exists()
    assert not EmotionReading.objects.exists() and not ReadingRollup.objects.exists()
    assert not VisitorProfile.objects.filter(user__username__startswith="bench-").exists()
    assert Exhibit.objects.filter(pk=exhibit.pk).exists()


def test_it_refuses_production_and_bad_numbers(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        bench(**SMALL)
    settings.PRODUCTION = False
    with pytest.raises(CommandError, match="at least 1"):
        bench(**{**SMALL, "exhibits": 0})
    with pytest.raises(CommandError, match="repeat"):
        bench(**{**SMALL, "repeat": 0})
