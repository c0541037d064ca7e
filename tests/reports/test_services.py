"""The rollup: built from the readings, rebuilt only where they changed, never stale for long."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db.models import Count, Sum

from emotions.models import EmotionReading
from ml import EMOTIONS
from museum_site.reports import selectors, services
from museum_site.reports.models import ReadingRollup, RollupState
from museum_site.reports.selectors import ReportFilters
from tests.reports.conftest import D1, D2, D8, at, read

ALL = ReportFilters(date_from=D1, date_to=D8)


def rollup_totals() -> dict[str, float]:
    return ReadingRollup.objects.aggregate(
        readings=Sum("readings"), faces=Sum("faces"), **{name: Sum(name) for name in EMOTIONS}
    )


def test_it_rolls_up_every_reading_once_per_day_exhibit_source_and_visitor(world):
    # 8 readings; the two on D1 by v1 are at different exhibits, the erased one stands alone.
    assert ReadingRollup.objects.count() == 8
    totals = rollup_totals()
    assert totals["readings"] == EmotionReading.objects.count() == 8
    assert totals["faces"] == 10
    assert totals["happy"] == pytest.approx(1.25)
    row = ReadingRollup.objects.get(exhibit=world.exhibit, day=D1, visitor=world.visitors[2])
    assert (row.readings, row.faces, row.neutral, row.non_neutral) == (1, 3, 3.0, 0)


def test_it_groups_several_readings_of_a_visitor_into_one_row(report_settings, exhibit, people):
    for second in range(3):
        read(exhibit, at(D1, 10, second), visitor=people[0], faces=2, happy=0.25, neutral=0.75)
    services.rollup_sync()
    row = ReadingRollup.objects.get()
    assert (row.readings, row.faces, row.non_neutral) == (3, 6, 0)
    assert row.happy == pytest.approx(1.5) and row.neutral == pytest.approx(4.5)


def test_it_does_nothing_when_nothing_changed(world):
    result = services.rollup_sync()
    assert (result.days_checked, result.days_rebuilt, result.rows_written) == (3, 0, 0)
    assert result.full


def test_it_rebuilds_only_the_day_that_got_a_late_reading(world):
    read(world.horse, at(D2, 15), visitor=world.visitors[4], happy=1.0)
    result = services.rollup_sync()
    assert result.days_rebuilt == 1
    assert selectors.report_total(filters=ALL).figures.readings == 9


def test_it_notices_deleted_readings(world):
    EmotionReading.objects.filter(exhibit=world.fossil).delete()
    result = services.rollup_sync()
    assert result.days_rebuilt == 1
    assert selectors.report_total(filters=ALL).figures.readings == 7


def test_it_drops_a_day_whose_readings_are_all_gone(world):
    EmotionReading.objects.filter(recorded_at__date=D8).delete()
    services.rollup_sync()
    assert not ReadingRollup.objects.filter(day=D8).exists()


def test_it_notices_a_deletion_and_an_insertion_on_the_same_day(world):
    EmotionReading.objects.filter(exhibit=world.fossil).delete()
    read(world.fossil, at(D1, 12), visitor=world.visitors[4], sad=1.0)  # same count on D1
    assert services.rollup_sync().days_rebuilt == 1
    assert ReadingRollup.objects.get(exhibit=world.fossil).sad == 1.0


def test_it_repairs_a_damaged_rollup(world):
    ReadingRollup.objects.filter(day=D1).delete()
    assert services.rollup_sync().days_rebuilt == 1
    assert rollup_totals()["readings"] == 8


def test_it_looks_only_at_recent_days_when_asked(world):
    EmotionReading.objects.filter(exhibit=world.fossil).delete()  # on D1
    now = datetime(2026, 5, 11, 18, tzinfo=UTC)
    recent = services.rollup_sync(days_back=2, now=now)
    assert (recent.full, recent.days_checked, recent.days_rebuilt) == (False, 1, 0)
    state = RollupState.objects.get()
    assert state.synced_at == now and state.full_synced_at != now
    assert services.rollup_sync(days_back=7, now=now).days_rebuilt == 1


def test_it_refuses_a_negative_look_back():
    with pytest.raises(ValueError, match="days_back"):
        services.rollup_sync(days_back=-1)


def test_it_follows_an_erased_visitor_into_the_rollup(world):
    """Deleting a profile empties the visitor of its readings and rollup rows alike."""
    v1 = world.visitors[1]
    v1.user.delete()
    assert not ReadingRollup.objects.filter(visitor_id=v1.pk).exists()
    # v1's clip went with the account, and its reading with the clip: D2 is rebuilt.
    assert services.rollup_sync().days_rebuilt == 1
    rolled_anonymous = ReadingRollup.objects.filter(visitor__isnull=True).aggregate(
        n=Sum("readings")
    )["n"]
    assert rolled_anonymous == EmotionReading.objects.filter(visitor__isnull=True).count() == 3
    figures = selectors.report_total(filters=ALL).figures
    assert (figures.visitors, figures.readings) == (4, 7)


def test_it_stays_right_through_a_real_erasure(world):
    """The privacy service anonymises the live readings (visitor emptied, time cut to the
    hour) and deletes the account: the reports lose a visitor, never a live reading."""
    from museum_site.privacy.services import visitor_erase

    visitor_erase(profile=world.visitors[2])  # v2: the 3-face neutral reading on D1
    services.rollup_sync()
    figures = selectors.report_total(filters=ALL).figures
    assert (figures.visitors, figures.readings, figures.faces) == (4, 8, 10)
    assert not ReadingRollup.objects.filter(visitor_id=world.visitors[2].pk).exists()


def test_it_notices_readings_anonymised_in_place(world):
    """Readings emptied of their visitor while the profile stays: the day is rebuilt."""
    EmotionReading.objects.filter(visitor=world.visitors[4]).update(visitor=None)
    assert services.rollup_sync().days_rebuilt == 1
    assert not ReadingRollup.objects.filter(visitor=world.visitors[4]).exists()
    assert selectors.report_total(filters=ALL).figures.visitors == 4


def test_it_forgets_visitors_on_request(world):
    assert services.rollup_forget_visitors(visitors=[world.visitors[1]]) == 3
    assert not ReadingRollup.objects.filter(visitor=world.visitors[1]).exists()


def test_it_cuts_days_in_the_museum_time_zone(report_settings, exhibit, people):
    report_settings.TIME_ZONE = "Pacific/Auckland"  # UTC+12 in May
    read(exhibit, datetime(2026, 5, 4, 11, 30, tzinfo=UTC), visitor=people[0], happy=1.0)
    read(exhibit, datetime(2026, 5, 4, 12, 30, tzinfo=UTC), visitor=people[1], happy=1.0)
    services.rollup_sync()
    assert list(ReadingRollup.objects.order_by("day").values_list("day", flat=True)) == [
        date(2026, 5, 4),  # 23:30 local
        date(2026, 5, 5),  # 00:30 local
    ]
    report_settings.TIME_ZONE = "UTC"
    result = services.rollup_sync(days_back=1)
    assert result.full  # a new zone means new days: everything is rebuilt
    assert set(ReadingRollup.objects.values_list("day", flat=True)) == {date(2026, 5, 4)}


def test_it_matches_a_direct_aggregation_of_the_readings(world):
    """The rollup path against the readings themselves, per exhibit."""
    expected = {
        row["exhibit"]: row
        for row in EmotionReading.objects.order_by()
        .values("exhibit")
        .annotate(n=Count("id"), visitors=Count("visitor", distinct=True), faces=Sum("face_count"))
    }
    for group in selectors.report_exhibits(filters=ALL):
        if group.figures is None:
            continue
        row = expected[group.exhibit.pk]
        assert (group.figures.readings, group.figures.visitors, group.figures.faces) == (
            row["n"],
            row["visitors"],
            row["faces"],
        )
        readings = EmotionReading.objects.filter(exhibit=group.exhibit)
        for name in EMOTIONS:
            weighted = sum(getattr(r, name) * r.face_count for r in readings) / row["faces"]
            assert group.figures.mix[name] == pytest.approx(weighted)
