"""The report figures on hand-made readings (tests/reports/conftest.py ``world``), exactly."""

from __future__ import annotations

from datetime import date

import pytest

from ml import EMOTIONS
from museum_site.core import services as core_services
from museum_site.reports import selectors
from museum_site.reports.selectors import VALENCE_WEIGHTS, ReportFilters
from tests.reports.conftest import D1, D2, D8, at, read

approx = pytest.approx


def mix(**given: float) -> dict[str, float]:
    return {name: approx(given.get(name, 0.0)) for name in EMOTIONS}


def between(first: date, last: date, **more) -> ReportFilters:
    return ReportFilters(date_from=first, date_to=last, **more)


def test_it_weights_valence_as_documented():
    assert VALENCE_WEIGHTS == {
        "angry": -1.0,
        "disgust": -1.0,
        "fear": -1.0,
        "happy": 1.0,
        "sad": -1.0,
        "surprise": 0.5,
        "neutral": 0.0,
    }
    assert selectors.valence_of({**dict.fromkeys(EMOTIONS, 0.0), "happy": 1.0}) == 1.0
    assert selectors.valence_of({**dict.fromkeys(EMOTIONS, 0.0), "surprise": 1.0}) == 0.5
    assert selectors.valence_of({**dict.fromkeys(EMOTIONS, 0.0), "disgust": 1.0}) == -1.0


def test_it_weights_the_mix_by_faces_and_counts_erased_visitors_as_readings_only(world):
    group = selectors.report_total(filters=between(D1, D1, exhibit=world.exhibit))
    figures = group.figures
    # happy x1 face, neutral x3 faces, sad x1 face (erased visitor): 5 faces, 2 visitors.
    assert (figures.visitors, figures.readings, figures.faces) == (2, 3, 5)
    assert figures.mix == mix(happy=0.2, neutral=0.6, sad=0.2)
    assert sum(figures.mix.values()) == approx(1.0)
    assert figures.valence == approx(0.0)
    assert figures.non_neutral_share == approx(2 / 3)
    assert figures.top_emotion == "neutral"


def test_it_adds_up_a_range_of_days_and_both_sources(world):
    figures = selectors.report_total(filters=between(D1, D8, exhibit=world.exhibit)).figures
    assert (figures.visitors, figures.readings, figures.faces) == (3, 5, 7)
    assert figures.mix == mix(happy=1 / 7, neutral=3 / 7, sad=1 / 7, angry=2 / 7)
    assert figures.valence == approx(-2 / 7)
    assert figures.non_neutral_share == approx(4 / 5)


def test_it_filters_by_source(world):
    clip = selectors.report_total(filters=between(D1, D8, exhibit=world.exhibit, source="clip"))
    assert (clip.figures.visitors, clip.figures.readings) == (2, 2)
    assert clip.figures.mix == mix(angry=1.0)
    assert clip.figures.valence == approx(-1.0)
    live = selectors.report_total(filters=between(D1, D8, exhibit=world.exhibit, source="live"))
    assert (live.figures.visitors, live.figures.readings, live.figures.faces) == (2, 3, 5)
    assert live.figures.mix == mix(happy=0.2, neutral=0.6, sad=0.2)


def test_it_filters_by_date_range(world):
    assert selectors.report_total(filters=between(D2, D2, exhibit=world.exhibit)).figures.mix == (
        mix(angry=1.0)
    )
    # Nothing at all in range: hidden, like any group below k.
    empty = selectors.report_total(filters=between(date(2026, 6, 1), date(2026, 6, 30)))
    assert empty.hidden and empty.figures is None


def test_it_reports_halls_and_hides_small_ones(world):
    halls = selectors.report_halls(filters=between(D1, D8))
    assert [group.label for group in halls] == ["Sculpture Court", "Hall of Natural History"]
    sculpture, natural = halls
    figures = sculpture.figures
    assert (figures.visitors, figures.readings, figures.faces) == (4, 7, 9)
    assert figures.mix == mix(
        happy=1.25 / 9, neutral=3 / 9, sad=1 / 9, angry=2 / 9, surprise=1.75 / 9
    )
    assert figures.valence == approx(-0.875 / 9)
    assert figures.non_neutral_share == approx(6 / 7)
    assert sculpture.dwell.mean_seconds == approx(45.0)  # 30, 90, 20, 40
    assert (sculpture.dwell.stops, sculpture.dwell.visitors) == (4, 3)
    # One visitor (v4) in the Hall of Natural History: below k = 2.
    assert natural.hidden and natural.figures is None and natural.dwell is None


def test_it_reports_the_whole_museum(world):
    figures = selectors.report_total(filters=between(D1, D8)).figures
    assert (figures.visitors, figures.readings, figures.faces) == (5, 8, 10)
    assert figures.mix == mix(
        happy=0.125, neutral=0.3, sad=0.1, angry=0.2, surprise=0.175, fear=0.1
    )
    assert figures.non_neutral_share == approx(7 / 8)


def test_it_reports_exhibits_with_dwell(world):
    groups = selectors.report_exhibits(filters=between(D1, D8))
    by_label = {group.label: group for group in groups}
    assert list(by_label) == ["Bronze Horse", "The Kiss of the Wind", "Ammonite Wall"]
    kiss, horse, fossil = (
        by_label["The Kiss of the Wind"],
        by_label["Bronze Horse"],
        (by_label["Ammonite Wall"]),
    )
    assert (kiss.dwell.mean_seconds, kiss.dwell.stops, kiss.dwell.visitors) == (60.0, 2, 2)
    assert (horse.dwell.mean_seconds, horse.dwell.stops) == (30.0, 2)
    assert horse.figures.mix == mix(surprise=0.875, happy=0.125)
    assert horse.figures.valence == approx(0.5625)
    assert fossil.hidden
    assert kiss.hall == world.exhibit.hall and kiss.exhibit == world.exhibit


def test_it_narrows_exhibits_to_a_hall(world):
    groups = selectors.report_exhibits(filters=between(D1, D8, hall=world.fossil.hall))
    assert [group.exhibit for group in groups] == [world.fossil]


def test_it_lists_inactive_exhibits_only_when_they_have_readings(world, hall):
    world.horse.active = False
    world.horse.save()
    core_services.exhibit_create(title="Stored Vase", hall=hall, description="-", active=False)
    labels = [group.label for group in selectors.report_exhibits(filters=between(D1, D8))]
    assert "Bronze Horse" in labels and "Stored Vase" not in labels


def test_it_hides_dwell_from_fewer_than_k_visitors(world, report_settings):
    report_settings.REPORTS_MIN_GROUP_SIZE = 3
    kiss = selectors.report_total(filters=between(D1, D8, exhibit=world.exhibit))
    # Three visitors read, but only two of them stopped with a dwell time.
    assert kiss.figures.visitors == 3
    assert kiss.dwell is None and kiss.dwell_hidden


def test_it_uses_the_threshold_setting(world, report_settings):
    report_settings.REPORTS_MIN_GROUP_SIZE = 5
    assert not selectors.report_total(filters=between(D1, D8)).hidden  # exactly 5 visitors
    assert selectors.report_halls(filters=between(D1, D8))[0].hidden  # 4 visitors
    report_settings.REPORTS_MIN_GROUP_SIZE = 6
    assert selectors.report_total(filters=between(D1, D8)).hidden


def test_it_never_counts_erased_visitors_towards_the_threshold(report_settings, exhibit):
    for minute in range(10):
        read(exhibit, at(D1, 9, minute), visitor=None, happy=1.0)
    from museum_site.reports import services

    services.rollup_sync()
    assert selectors.report_total(filters=between(D1, D1)).hidden


def test_it_ranks_exhibits_three_ways_and_never_ranks_hidden_ones(world):
    ranking = selectors.report_ranking(groups=selectors.report_exhibits(filters=between(D1, D8)))
    assert [g.label for g in ranking.most_delighting] == ["The Kiss of the Wind", "Bronze Horse"]
    assert [g.label for g in ranking.most_surprising] == ["Bronze Horse", "The Kiss of the Wind"]
    assert [g.label for g in ranking.least_engaging] == ["Bronze Horse", "The Kiss of the Wind"]
    assert selectors.report_ranking(groups=[], size=5).most_delighting == []


def test_it_limits_the_ranking(world):
    groups = selectors.report_exhibits(filters=between(D1, D8))
    ranking = selectors.report_ranking(groups=groups, size=1)
    assert [g.label for g in ranking.most_surprising] == ["Bronze Horse"]


def test_it_buckets_a_daily_trend_with_gaps(world):
    buckets = selectors.report_trend(filters=between(D1, D8))
    assert [b.period_start for b in buckets] == [date(2026, 5, d) for d in range(4, 12)]
    first, second = buckets[0].figures, buckets[1].figures
    assert (first.visitors, first.readings, first.faces) == (3, 5, 7)
    assert first.mix == mix(happy=1 / 7, neutral=3 / 7, sad=1 / 7, surprise=1 / 7, fear=1 / 7)
    assert first.valence == approx(-0.5 / 7)
    assert buckets[0].dwell.mean_seconds == approx(140 / 3)  # 30, 90, 20 on D1
    assert (second.visitors, second.readings) == (2, 2) and second.mix == mix(angry=1.0)
    # No readings on 6-10 May, one visitor on 11 May: hidden.
    assert all(bucket.hidden for bucket in buckets[2:])
    assert buckets[0].label == "2026-05-04"


def test_it_buckets_a_weekly_trend_from_mondays(world):
    buckets = selectors.report_trend(filters=between(D2, D8, period="week"))
    assert [b.period_start for b in buckets] == [D1, D8]
    assert buckets[0].label == "Week of 2026-05-04"
    # The first week only covers the range from D2: the two clip readings.
    assert (buckets[0].figures.visitors, buckets[0].figures.readings) == (2, 2)
    assert buckets[1].hidden
    weeks = selectors.report_trend(filters=between(D1, D8, period="week"))
    assert (weeks[0].figures.visitors, weeks[0].figures.readings, weeks[0].figures.faces) == (
        4,
        7,
        9,
    )


def test_it_narrows_a_trend_to_an_exhibit_and_source(world):
    buckets = selectors.report_trend(
        filters=between(D1, D2, hall=world.exhibit.hall, exhibit=world.exhibit, source="live")
    )
    assert buckets[0].figures.mix == mix(happy=0.2, neutral=0.6, sad=0.2)
    assert buckets[1].hidden  # only clip readings on D2


def test_it_refuses_an_unknown_period():
    with pytest.raises(ValueError, match="period"):
        selectors.period_starts(date_from=D1, date_to=D2, period="month")


def test_it_compares_an_exhibit_with_its_hall(world):
    comparison = selectors.report_exhibit_comparison(filters=between(D1, D8), exhibit=world.exhibit)
    assert comparison.exhibit.figures.valence == approx(-2 / 7)
    assert comparison.hall.figures.valence == approx(-0.875 / 9)
    assert comparison.hall.label == "Sculpture Court"
    # The horse (valence 0.5625) ranks above the Kiss (-2/7) in their hall.
    assert (comparison.valence_rank, comparison.ranked_exhibits) == (2, 2)


def test_it_does_not_rank_a_hidden_exhibit(world):
    comparison = selectors.report_exhibit_comparison(filters=between(D1, D8), exhibit=world.fossil)
    assert comparison.exhibit.hidden and comparison.valence_rank is None
