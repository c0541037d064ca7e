from datetime import UTC, datetime, timedelta

import pytest

from museum_site.core import selectors, services
from museum_site.core.models import Tag, Visit

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def hidden(hall):
    return services.exhibit_create(
        title="Bronze in storage", hall=hall, description="Away for conservation.", active=False
    )


def test_it_lists_only_active_exhibits(exhibit, fossil, hidden):
    assert list(selectors.exhibit_list()) == [fossil, exhibit]
    assert hidden in selectors.exhibit_list(include_inactive=True)


def test_it_narrows_exhibits_to_a_hall_or_a_tag(exhibit, fossil, hall):
    assert list(selectors.exhibit_list(hall=hall)) == [exhibit]
    assert list(selectors.exhibit_list(tag=Tag.objects.get(name="jurassic"))) == [fossil]


@pytest.mark.parametrize(
    "search",
    ["kiss", "DELMAS", "swirling drapery", "symbolism", "sculpture court", "bronze delmas"],
)
def test_it_searches_title_description_artist_tags_and_hall(exhibit, fossil, search):
    assert list(selectors.exhibit_list(search=search)) == [exhibit]


def test_it_requires_every_search_word_to_match(exhibit, fossil):
    assert list(selectors.exhibit_list(search="bronze fossil")) == []
    assert list(selectors.exhibit_list(search="   ")) == [fossil, exhibit]


def test_it_returns_each_exhibit_once_when_several_tags_match(exhibit):
    services.exhibit_set_tags(exhibit=exhibit, tags=["bronze", "bronze age", "bronze casting"])
    assert list(selectors.exhibit_list(search="bronze")) == [exhibit]


def test_it_gets_an_exhibit_by_slug_unless_inactive(exhibit, hidden):
    assert selectors.exhibit_get(slug=exhibit.slug) == exhibit
    with pytest.raises(type(hidden).DoesNotExist):
        selectors.exhibit_get(slug=hidden.slug)
    assert selectors.exhibit_get(slug=hidden.slug, include_inactive=True) == hidden


def test_it_counts_active_exhibits_per_hall(exhibit, fossil, hidden, hall, other_hall):
    counts = {hall.slug: hall.exhibit_count for hall in selectors.hall_list()}
    assert counts == {hall.slug: 1, other_hall.slug: 1}


def test_it_lists_tags_in_use(exhibit, hidden):
    services.exhibit_set_tags(exhibit=hidden, tags=["conservation"])
    assert [tag.name for tag in selectors.tag_list_in_use()] == ["bronze", "symbolism"]


def test_it_lists_a_visitors_own_visits_newest_first(visitor, outsider, exhibit, fossil):
    profile = visitor.visitor_profile
    older = services.visit_start(visitor=profile, now=NOON - timedelta(days=7))
    services.visit_record_exhibit(visit=older, exhibit=exhibit, seconds=30, now=NOON)
    services.visit_record_exhibit(visit=older, exhibit=fossil, seconds=90, now=NOON)
    services.visit_end(visit=older, now=NOON)
    newer = services.visit_start(visitor=profile, now=NOON + timedelta(hours=1))
    services.visit_start(visitor=outsider.visitor_profile, now=NOON)

    visits = list(selectors.visit_list_for(visitor=profile))

    assert visits == [newer, older]
    assert (visits[1].exhibit_count, visits[1].total_dwell_seconds) == (2, 120)
    assert (visits[0].exhibit_count, visits[0].total_dwell_seconds) == (0, 0)
    assert [stop.exhibit for stop in visits[1].visit_exhibits.all()] == [exhibit, fossil]


def test_it_lists_visits_in_a_fixed_number_of_queries(
    visitor, exhibit, fossil, django_assert_num_queries
):
    profile = visitor.visitor_profile
    for day in range(3):
        visit = services.visit_start(visitor=profile, now=NOON + timedelta(days=day))
        services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=5, now=NOON)
        services.visit_record_exhibit(visit=visit, exhibit=fossil, seconds=5, now=NOON)
        services.visit_end(visit=visit, now=NOON + timedelta(days=day, hours=1))

    with django_assert_num_queries(2):
        for visit in selectors.visit_list_for(visitor=profile):
            [stop.exhibit.title for stop in visit.visit_exhibits.all()]


def test_it_hides_other_visitors_visits(visitor, outsider):
    theirs = services.visit_start(visitor=outsider.visitor_profile, now=NOON)
    with pytest.raises(Visit.DoesNotExist):
        selectors.visit_get_for(visitor=visitor.visitor_profile, pk=theirs.pk)
