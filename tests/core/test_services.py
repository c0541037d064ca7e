from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from museum_site.core import services
from museum_site.core.models import Tag, Visit, VisitExhibit, VisitorProfile

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def profile(visitor) -> VisitorProfile:
    return visitor.visitor_profile


# --- Halls, exhibits, tags --------------------------------------------------------------


def test_it_creates_a_hall_with_a_slug_from_its_name(db):
    hall = services.hall_create(name="Science and Invention", floor=-1)
    assert hall.slug == "science-and-invention"
    assert hall.floor == -1


def test_it_creates_an_exhibit_with_normalised_unique_tags(hall):
    exhibit = services.exhibit_create(
        title="Brass Grand Orrery",
        hall=hall,
        description="Planets on brass arms.",
        tags=["Astronomy", "  astronomy ", "Clockwork", "", "Dutch   Golden Age"],
    )
    assert exhibit.slug == "brass-grand-orrery"
    assert sorted(exhibit.tags.values_list("name", flat=True)) == [
        "astronomy",
        "clockwork",
        "dutch golden age",
    ]
    assert Tag.objects.get(name="dutch golden age").slug == "dutch-golden-age"


def test_it_reuses_existing_tags(exhibit, hall):
    other = services.exhibit_create(
        title="Mother and Child", hall=hall, description="Bronze.", tags=["BRONZE"]
    )
    assert Tag.objects.filter(name="bronze").count() == 1
    assert set(other.tags.all()) == set(exhibit.tags.filter(name="bronze"))


def test_it_replaces_an_exhibits_tags(exhibit):
    services.exhibit_set_tags(exhibit=exhibit, tags=["marble"])
    assert list(exhibit.tags.values_list("name", flat=True)) == ["marble"]


def test_it_refuses_a_duplicate_exhibit_slug(exhibit, hall):
    with pytest.raises(ValidationError) as error:
        services.exhibit_create(title=exhibit.title, hall=hall, description="Again.")
    assert "slug" in error.value.message_dict


def test_it_refuses_an_exhibit_without_description(hall):
    with pytest.raises(ValidationError) as error:
        services.exhibit_create(title="Untitled", hall=hall, description="")
    assert "description" in error.value.message_dict


def test_it_refuses_a_tag_that_has_no_slug(db):
    with pytest.raises(ValidationError):
        services.tag_get_or_create(name=" !!! ")


# --- Accounts and consent -------------------------------------------------------------


def test_it_signs_up_a_user_with_a_profile(db):
    user = services.user_sign_up(
        username="erin",
        email="Erin@EXAMPLE.com",
        password="x-long-password-1",
        display_name=" Erin ",
    )
    assert user.check_password("x-long-password-1")
    assert user.email == "Erin@example.com"
    assert user.visitor_profile.display_name == "Erin"
    assert not user.visitor_profile.has_current_consent()


def test_it_creates_neither_user_nor_profile_for_a_taken_username(visitor):
    with pytest.raises(ValidationError):
        services.user_sign_up(username="alice", email="other@example.com", password="pw-123456789")
    assert get_user_model().objects.filter(username="alice").count() == 1
    assert VisitorProfile.objects.count() == 1


def test_it_gets_or_creates_a_profile_without_renaming_it(visitor, staff):
    assert services.visitor_profile_get_or_create(user=visitor, display_name="Other") == (
        visitor.visitor_profile
    )
    visitor.visitor_profile.refresh_from_db()
    assert visitor.visitor_profile.display_name == "Alice"

    created = services.visitor_profile_get_or_create(user=staff, display_name="Dana")
    assert created.display_name == "Dana"


def test_it_gives_consent_to_the_current_notice(make_visitor, settings):
    profile = make_visitor("erin", consent=False).visitor_profile
    services.consent_give(profile=profile, keep_media=True, now=NOON)
    profile.refresh_from_db()
    assert profile.consent_version == settings.CURRENT_CONSENT_VERSION
    assert profile.consent_given_at == NOON
    assert profile.keep_media
    assert profile.has_current_consent()


def test_it_refuses_consent_to_an_unknown_notice_version(profile, settings):
    with pytest.raises(ValidationError):
        services.consent_give(profile=profile, version=settings.CURRENT_CONSENT_VERSION + 1)
    with pytest.raises(ValidationError):
        services.consent_give(profile=profile, version=0)


def test_it_withdraws_consent_and_the_media_opt_in(profile):
    services.consent_give(profile=profile, keep_media=True, now=NOON)
    services.consent_withdraw(profile=profile, now=NOON + timedelta(days=1))
    profile.refresh_from_db()
    assert not profile.has_current_consent()
    assert not profile.keep_media
    assert profile.consent_given_at == NOON  # kept on record
    assert profile.consent_withdrawn_at == NOON + timedelta(days=1)


def test_it_clears_a_withdrawal_when_consent_is_given_again(profile):
    services.consent_withdraw(profile=profile)
    services.consent_give(profile=profile)
    profile.refresh_from_db()
    assert profile.consent_withdrawn_at is None
    assert profile.has_current_consent()


# --- Visits ---------------------------------------------------------------------------


def test_it_starts_a_visit_at_the_current_time(profile, time_machine):
    time_machine.move_to(NOON, tick=False)
    visit = services.visit_start(visitor=profile)
    assert visit.started_at == NOON
    assert visit.is_open


def test_it_continues_a_recent_open_visit(profile, exhibit, time_machine):
    time_machine.move_to(NOON, tick=False)
    first = services.visit_start(visitor=profile)
    time_machine.move_to(NOON + timedelta(hours=2), tick=False)
    again = services.visit_start(visitor=profile, exhibit=exhibit)
    assert again.pk == first.pk
    assert Visit.objects.count() == 1
    assert VisitExhibit.objects.get(visit=first, exhibit=exhibit).dwell_seconds == 0


def test_it_closes_a_stale_visit_at_its_last_activity(profile, exhibit, settings, time_machine):
    time_machine.move_to(NOON, tick=False)
    stale = services.visit_start(visitor=profile)
    services.visit_record_exhibit(
        visit=stale, exhibit=exhibit, seconds=30, now=NOON + timedelta(minutes=20)
    )
    time_machine.move_to(NOON + settings.VISIT_REUSE_WINDOW + timedelta(minutes=1), tick=False)

    fresh = services.visit_start(visitor=profile)

    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.ended_at == NOON + timedelta(minutes=20)
    assert list(Visit.objects.filter(ended_at__isnull=True)) == [fresh]


def test_it_keeps_each_visitors_visits_apart(profile, outsider):
    mine = services.visit_start(visitor=profile, now=NOON)
    theirs = services.visit_start(visitor=outsider.visitor_profile, now=NOON)
    assert mine.pk != theirs.pk


def test_it_adds_up_dwell_time_per_exhibit(profile, exhibit):
    visit = services.visit_start(visitor=profile, now=NOON)
    services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=40, now=NOON)
    stop = services.visit_record_exhibit(
        visit=visit, exhibit=exhibit, seconds=25, now=NOON + timedelta(minutes=3)
    )
    assert stop.dwell_seconds == 65
    assert stop.first_seen == NOON
    assert stop.last_seen == NOON + timedelta(minutes=3)
    assert VisitExhibit.objects.count() == 1


def test_it_never_moves_last_seen_backwards(profile, exhibit):
    visit = services.visit_start(visitor=profile, now=NOON)
    services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=5, now=NOON)
    stop = services.visit_record_exhibit(
        visit=visit, exhibit=exhibit, seconds=5, now=NOON - timedelta(minutes=1)
    )
    assert stop.last_seen == NOON


@pytest.mark.parametrize("seconds", [-1, 2.5, True])
def test_it_refuses_bad_dwell_times(profile, exhibit, seconds):
    visit = services.visit_start(visitor=profile, now=NOON)
    with pytest.raises(ValidationError):
        services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=seconds)


def test_it_refuses_to_record_into_an_ended_visit(profile, exhibit):
    visit = services.visit_start(visitor=profile, now=NOON)
    services.visit_end(visit=visit, now=NOON + timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=10)


def test_it_ends_a_visit_once(profile):
    visit = services.visit_start(visitor=profile, now=NOON)
    services.visit_end(visit=visit, now=NOON + timedelta(hours=1))
    services.visit_end(visit=visit, now=NOON + timedelta(hours=2))
    visit.refresh_from_db()
    assert visit.ended_at == NOON + timedelta(hours=1)


def test_it_never_ends_a_visit_before_it_started(profile):
    visit = services.visit_start(visitor=profile, now=NOON)
    services.visit_end(visit=visit, now=NOON - timedelta(hours=1))
    assert visit.ended_at == NOON


def test_it_serialises_visit_starts_per_visitor(profile):
    if not connection.features.has_select_for_update:
        pytest.skip("this database has no row locks")
    with CaptureQueriesContext(connection) as queries:
        services.visit_start(visitor=profile, now=NOON)
    locks = [query["sql"] for query in queries if "FOR UPDATE" in query["sql"]]
    assert any('"core_visitorprofile"' in sql for sql in locks)
