"""Partners read a visitor's visits and readings only while that visitor grants it."""

from __future__ import annotations

import pytest

from museum_site.api.models import ApiScope
from museum_site.api.services import partner_grant_create, partner_grant_revoke
from museum_site.core import services as core_services
from tests.api.conftest import v1


@pytest.fixture
def reader(make_key):
    return make_key(ApiScope.VISITORS_READ, name="Research partner")


@pytest.fixture
def alice_grant(visitor, reader):
    return partner_grant_create(visitor=visitor.visitor_profile, partner_prefix=reader.obj.prefix)


def test_it_lists_the_visitors_who_granted_this_key(api, reader, alice_grant, visitor, outsider):
    response = api.get(v1("partner/visitors/"), **reader.headers)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": visitor.visitor_profile.pk, "name": "Alice", "has_consent": True}
    ]


def test_it_serves_a_granting_visitors_visits_and_readings(
    api, reader, alice_grant, visitor, exhibit, make_reading
):
    profile = visitor.visitor_profile
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit)
    reading = make_reading(exhibit=exhibit, visitor=profile, visit=visit)
    visits = api.get(v1(f"partner/visitors/{profile.pk}/visits/"), **reader.headers)
    assert visits.status_code == 200
    assert [item["id"] for item in visits.json()["results"]] == [visit.pk]
    readings = api.get(v1(f"partner/visitors/{profile.pk}/readings/"), **reader.headers)
    assert [item["id"] for item in readings.json()["results"]] == [reading.pk]
    assert readings.json()["results"][0]["visit"] == visit.pk


def test_it_answers_404_for_visitors_who_did_not_grant(api, reader, alice_grant, outsider):
    bob = outsider.visitor_profile
    core_services.visit_start(visitor=bob)
    for path in (f"partner/visitors/{bob.pk}/visits/", f"partner/visitors/{bob.pk}/readings/"):
        response = api.get(v1(path), **reader.headers)
        assert response.status_code == 404, path
    assert api.get(v1("partner/visitors/424242/visits/"), **reader.headers).status_code == 404


def test_it_stops_serving_once_the_grant_is_revoked(api, reader, alice_grant, visitor):
    partner_grant_revoke(grant=alice_grant)
    pk = visitor.visitor_profile.pk
    assert api.get(v1(f"partner/visitors/{pk}/visits/"), **reader.headers).status_code == 404
    assert api.get(v1("partner/visitors/"), **reader.headers).json()["results"] == []


def test_it_does_not_share_a_grant_with_other_keys(api, make_key, alice_grant, visitor):
    other = make_key(ApiScope.VISITORS_READ, name="Another partner")
    pk = visitor.visitor_profile.pk
    assert api.get(v1(f"partner/visitors/{pk}/visits/"), **other.headers).status_code == 404


@pytest.mark.parametrize("scope", [s for s in ApiScope.values if s != ApiScope.VISITORS_READ])
def test_it_refuses_keys_without_visitors_read(api, make_key, alice_grant, visitor, scope):
    key = make_key(scope)
    response = api.get(v1("partner/visitors/"), **key.headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key lacks the 'visitors:read' scope."


def test_it_refuses_people_on_partner_routes(api, visitor, staff, alice_grant):
    pk = visitor.visitor_profile.pk
    for user in (visitor, staff):
        api.force_login(user)
        assert api.get(v1("partner/visitors/")).status_code == 403
        assert api.get(v1(f"partner/visitors/{pk}/visits/")).status_code == 403
    api.logout()
    assert api.get(v1("partner/visitors/")).status_code == 401
