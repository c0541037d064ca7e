"""Recommendations through the API: the recommender's own selector, for the visitor or a
partner the visitor granted."""

from __future__ import annotations

import pytest

from museum_site.api.models import ApiScope
from museum_site.api.services import partner_grant_create
from museum_site.core import services as core_services
from recommendations.selectors import exhibit_recommendations_for
from tests.api.conftest import v1


@pytest.fixture
def collection(hall, exhibit, fossil):
    extra = [
        core_services.exhibit_create(
            title=f"Bronze study {i}", hall=hall, description="A bronze.", tags=["bronze"]
        )
        for i in range(3)
    ]
    return [exhibit, fossil, *extra]


@pytest.fixture
def alice_saw_the_kiss(visitor, exhibit, make_reading):
    profile = visitor.visitor_profile
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit)
    core_services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=120)
    make_reading(exhibit=exhibit, visitor=profile, visit=visit, label="happy")
    return profile


def test_it_recommends_unseen_exhibits_with_reasons(
    api, visitor, collection, exhibit, alice_saw_the_kiss
):
    api.force_login(visitor)
    response = api.get(v1("me/recommendations/?limit=3"))
    assert response.status_code == 200
    body = response.json()
    expected = exhibit_recommendations_for(visitor=alice_saw_the_kiss, limit=3)
    assert [item["exhibit"]["slug"] for item in body] == [r.exhibit.slug for r in expected]
    assert body and exhibit.slug not in {item["exhibit"]["slug"] for item in body}
    for item in body:
        assert item["reason"]["text"] and item["reason"]["kind"]
        assert set(item["exhibit"]) == {"slug", "title", "hall"}
        assert "<" not in item["reason"]["text"], "plain text, not the page's HTML"


@pytest.mark.parametrize("limit", ["0", "21", "many"])
def test_it_validates_the_limit(api, visitor, limit):
    api.force_login(visitor)
    response = api.get(v1(f"me/recommendations/?limit={limit}"))
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["details"]


def test_it_serves_a_granting_visitors_recommendations_to_the_partner(
    api, make_key, visitor, outsider, collection, alice_saw_the_kiss
):
    key = make_key(ApiScope.VISITORS_READ)
    partner_grant_create(visitor=alice_saw_the_kiss, partner_prefix=key.obj.prefix)
    path = f"partner/visitors/{alice_saw_the_kiss.pk}/recommendations/"
    response = api.get(v1(path), **key.headers)
    assert response.status_code == 200
    expected = exhibit_recommendations_for(visitor=alice_saw_the_kiss, limit=5)
    assert [item["exhibit"]["slug"] for item in response.json()] == [
        r.exhibit.slug for r in expected
    ]
    other = f"partner/visitors/{outsider.visitor_profile.pk}/recommendations/"
    assert api.get(v1(other), **key.headers).status_code == 404


def test_it_keeps_the_visitors_route_from_partners_and_strangers(api, partner, db):
    assert api.get(v1("me/recommendations/"), **partner.headers).status_code == 403
    assert api.get(v1("me/recommendations/")).status_code == 401
