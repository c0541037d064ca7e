from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from museum_site.core.models import Exhibit, Hall, Visit, VisitExhibit, VisitorProfile

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def profile(visitor) -> VisitorProfile:
    return visitor.visitor_profile


def test_it_rejects_a_visit_that_ends_before_it_starts(profile):
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(visitor=profile, started_at=NOON, ended_at=NOON - timedelta(seconds=1))


def test_it_accepts_an_open_visit_and_a_zero_length_visit(profile):
    Visit.objects.create(visitor=profile, started_at=NOON)
    Visit.objects.create(visitor=profile, started_at=NOON, ended_at=NOON)
    assert Visit.objects.filter(visitor=profile).count() == 2


def test_it_records_each_exhibit_once_per_visit(profile, exhibit):
    visit = Visit.objects.create(visitor=profile, started_at=NOON)
    VisitExhibit.objects.create(visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitExhibit.objects.create(visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON)


def test_it_rejects_negative_dwell_time(profile, exhibit):
    visit = Visit.objects.create(visitor=profile, started_at=NOON)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitExhibit.objects.create(
            visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON, dwell_seconds=-1
        )


def test_it_rejects_last_seen_before_first_seen(profile, exhibit):
    visit = Visit.objects.create(visitor=profile, started_at=NOON)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitExhibit.objects.create(
            visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON - timedelta(minutes=1)
        )


def test_it_keeps_slugs_unique(hall, exhibit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Hall.objects.create(name="Another court", slug=hall.slug)
    with pytest.raises(IntegrityError), transaction.atomic():
        Exhibit.objects.create(title="Copy", slug=exhibit.slug, description="-", hall=hall)


def test_it_rejects_empty_slugs(hall):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exhibit.objects.create(title="No slug", slug="", description="-", hall=hall)


def test_it_protects_a_hall_that_still_has_exhibits(hall, exhibit):
    with pytest.raises(ProtectedError):
        hall.delete()


def test_it_protects_an_exhibit_seen_during_a_visit(profile, exhibit):
    visit = Visit.objects.create(visitor=profile, started_at=NOON)
    VisitExhibit.objects.create(visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON)
    with pytest.raises(ProtectedError):
        exhibit.delete()


def test_it_allows_one_profile_per_user(visitor):
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitorProfile.objects.create(user=visitor)


def test_it_rejects_a_consent_version_without_its_date(profile):
    profile.consent_given_at = None
    with pytest.raises(IntegrityError), transaction.atomic():
        profile.save()


def test_it_has_current_consent_only_for_the_current_unwithdrawn_version(profile, settings):
    assert profile.consent_version == settings.CURRENT_CONSENT_VERSION
    assert profile.has_current_consent()

    settings.CURRENT_CONSENT_VERSION = profile.consent_version + 1
    assert not profile.has_current_consent()

    settings.CURRENT_CONSENT_VERSION = profile.consent_version
    profile.consent_withdrawn_at = NOON
    assert not profile.has_current_consent()


def test_it_reports_no_consent_for_a_new_profile(make_visitor):
    profile = make_visitor("newcomer", consent=False).visitor_profile
    assert profile.consent_version is None
    assert not profile.has_current_consent()


def test_it_measures_a_visit(profile):
    visit = Visit(visitor=profile, started_at=NOON)
    assert visit.is_open
    assert visit.duration(now=NOON + timedelta(minutes=5)) == timedelta(minutes=5)
    visit.ended_at = NOON + timedelta(hours=1)
    assert not visit.is_open
    assert visit.duration(now=NOON + timedelta(days=3)) == timedelta(hours=1)


def test_it_labels_years_before_the_common_era(hall):
    assert Exhibit(title="Horse", year=-300, hall=hall).year_label() == "300 BCE"
    assert Exhibit(title="Pendulum", year=1851, hall=hall).year_label() == "1851"
    assert Exhibit(title="Fossil", year=None, hall=hall).year_label() == ""


def test_it_gives_stable_and_short_urls(exhibit, hall):
    assert exhibit.get_absolute_url() == "/exhibits/the-kiss-of-the-wind/"
    assert exhibit.get_short_url() == "/e/the-kiss-of-the-wind/"
    assert hall.get_absolute_url() == "/halls/sculpture-court/"


def test_it_has_readable_names(profile, exhibit):
    visit = Visit.objects.create(visitor=profile, started_at=NOON)
    stop = VisitExhibit.objects.create(
        visit=visit, exhibit=exhibit, first_seen=NOON, last_seen=NOON, dwell_seconds=42
    )
    assert str(exhibit) == "The Kiss of the Wind"
    assert str(exhibit.hall) == "Sculpture Court"
    assert str(profile) == "Alice"
    assert str(visit) == "Visit by Alice on 2026-05-04 12:00"
    assert str(stop) == "The Kiss of the Wind (42 s)"


def test_it_falls_back_to_the_username_without_a_display_name(make_visitor):
    assert str(make_visitor("nameless").visitor_profile) == "nameless"


def test_it_defines_the_reports_permission(db):
    assert Permission.objects.filter(content_type__app_label="core", codename="view_reports")
