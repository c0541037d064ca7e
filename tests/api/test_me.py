"""The signed-in visitor's own data: profile, visits, readings, tokens and grants.

Every id route is tried with another visitor's id (404, never 403 or data), and every
route with a partner key (403: partners never see a visitor's data here).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from museum_site.api.models import ApiScope, PartnerGrant, VisitorToken
from museum_site.core import services as core_services
from tests.api.conftest import v1


@pytest.fixture
def alice_visit(visitor, exhibit):
    visit = core_services.visit_start(visitor=visitor.visitor_profile, exhibit=exhibit)
    core_services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=40)
    return visit


@pytest.fixture
def bob_visit(outsider, fossil):
    return core_services.visit_start(visitor=outsider.visitor_profile, exhibit=fossil)


@pytest.fixture
def bob_token(make_token, outsider):
    return make_token(outsider, name="bob's phone")


@pytest.fixture
def bob_grant(outsider, make_key):
    from museum_site.api.services import partner_grant_create

    key = make_key(ApiScope.VISITORS_READ)
    return partner_grant_create(visitor=outsider.visitor_profile, partner_prefix=key.obj.prefix)


ME_ROUTES = ["me/", "me/visits/", "me/readings/", "me/tokens/", "me/grants/"]


@pytest.mark.parametrize("path", ME_ROUTES)
def test_it_refuses_anonymous_callers(api, db, path):
    assert api.get(v1(path)).status_code == 401


@pytest.mark.parametrize("path", ME_ROUTES)
def test_it_refuses_partner_keys_with_every_scope(api, partner, path):
    response = api.get(v1(path), **partner.headers)
    assert response.status_code == 403
    assert "Partner API keys cannot use this route" in response.json()["error"]["message"]


def test_it_shows_the_visitor_their_profile(api, visitor):
    api.force_login(visitor)
    body = api.get(v1("me/")).json()
    assert body["username"] == "alice" and body["name"] == "Alice" and body["has_consent"]


def test_it_lists_only_the_visitors_own_visits(api, visitor, alice_visit, bob_visit, exhibit):
    api.force_login(visitor)
    body = api.get(v1("me/visits/")).json()
    assert [item["id"] for item in body["results"]] == [alice_visit.pk]
    visit = body["results"][0]
    assert visit["is_open"] and visit["exhibit_count"] == 1 and visit["total_dwell_seconds"] == 40
    assert visit["exhibits"][0]["exhibit"] == {"slug": exhibit.slug, "title": exhibit.title}
    detail = api.get(v1(f"me/visits/{alice_visit.pk}/"))
    assert detail.status_code == 200 and detail.json()["id"] == alice_visit.pk


def test_it_answers_404_for_another_visitors_visit(api, visitor, bob_visit):
    api.force_login(visitor)
    response = api.get(v1(f"me/visits/{bob_visit.pk}/"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.get(v1("me/visits/99999999999999999999/")).status_code == 404


def test_it_lists_only_own_readings_with_filters(
    api, visitor, outsider, exhibit, fossil, make_reading
):
    alice = visitor.visitor_profile
    now = timezone.now()
    happy = make_reading(exhibit=exhibit, visitor=alice, label="happy", recorded_at=now)
    sad = make_reading(
        exhibit=fossil, visitor=alice, label="sad", recorded_at=now - timedelta(days=3)
    )
    make_reading(exhibit=exhibit, visitor=outsider.visitor_profile, label="fear")
    api.force_login(visitor)

    def ids(query: str = "") -> list[int]:
        response = api.get(v1(f"me/readings/?{query}"))
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [happy.pk, sad.pk]
    assert ids(f"exhibit={fossil.slug}") == [sad.pk]
    assert ids("label=happy") == [happy.pk]
    assert ids("source=clip") == []
    assert ids(f"date={(now - timedelta(days=3)).date().isoformat()}") == [sad.pk]
    since = (now - timedelta(days=1)).isoformat()
    assert ids(f"since={since.replace('+', '%2B')}") == [happy.pk]
    body = api.get(v1("me/readings/")).json()["results"][0]
    assert body["probabilities"]["happy"] == pytest.approx(0.7)
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)


def test_it_pages_readings_with_a_cursor(api, visitor, exhibit, make_reading):
    alice = visitor.visitor_profile
    now = timezone.now()
    made = [
        make_reading(exhibit=exhibit, visitor=alice, recorded_at=now - timedelta(seconds=i))
        for i in range(5)
    ]
    api.force_login(visitor)
    first = api.get(v1("me/readings/?page_size=2")).json()
    assert [r["id"] for r in first["results"]] == [made[0].pk, made[1].pk]
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [made[2].pk, made[3].pk]
    assert api.get(v1("me/readings/?cursor=garbage")).status_code == 404


@pytest.mark.parametrize("query", ["label=joy", "date=yesterday", "visit=abc", "source=x"])
def test_it_rejects_bad_reading_filters(api, visitor, query):
    api.force_login(visitor)
    response = api.get(v1(f"me/readings/?{query}"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_it_answers_404_for_another_visitors_reading(api, visitor, outsider, exhibit, make_reading):
    reading = make_reading(exhibit=exhibit, visitor=outsider.visitor_profile)
    api.force_login(visitor)
    assert api.get(v1(f"me/readings/{reading.pk}/")).status_code == 404
    api.force_login(outsider)
    assert api.get(v1(f"me/readings/{reading.pk}/")).status_code == 200


# --- Personal tokens ----------------------------------------------------------------------


def test_it_creates_a_token_from_the_session_and_shows_it_once(api, visitor, exhibit):
    api.force_login(visitor)
    response = api.post(v1("me/tokens/"), {"name": "my scripts"})
    assert response.status_code == 201
    raw = response.json()["key"]
    assert raw.startswith("mvt_") and response.json()["status"] == "active"
    listed = api.get(v1("me/tokens/")).json()["results"]
    assert [item["name"] for item in listed] == ["my scripts"]
    assert "key" not in listed[0]
    api.logout()
    me = api.get(v1("me/"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_it_requires_csrf_to_create_a_token(visitor):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(visitor)
    assert api.post(v1("me/tokens/"), {"name": "x"}).status_code == 403
    assert not VisitorToken.objects.exists()


def test_it_does_not_let_a_token_mint_or_revoke_tokens(api, visitor, make_token):
    token = make_token(visitor)
    created = api.post(v1("me/tokens/"), {"name": "another"}, **token.headers)
    assert created.status_code == 403
    assert "browser session" in created.json()["error"]["message"]
    assert api.delete(v1(f"me/tokens/{token.obj.pk}/"), **token.headers).status_code == 403
    assert api.get(v1("me/tokens/"), **token.headers).status_code == 200


def test_it_revokes_a_token(api, visitor, make_token):
    token = make_token(visitor)
    api.force_login(visitor)
    assert api.delete(v1(f"me/tokens/{token.obj.pk}/")).status_code == 204
    api.logout()
    assert api.get(v1("me/"), **token.headers).status_code == 401


def test_it_answers_404_for_another_visitors_token(api, visitor, bob_token):
    api.force_login(visitor)
    assert api.get(v1(f"me/tokens/{bob_token.obj.pk}/")).status_code == 404
    assert api.delete(v1(f"me/tokens/{bob_token.obj.pk}/")).status_code == 404
    bob_token.obj.refresh_from_db()
    assert bob_token.obj.revoked_at is None


@pytest.mark.parametrize(
    "payload", [{}, {"name": ""}, {"name": "x", "expires_at": "2001-01-01T00:00:00Z"}]
)
def test_it_rejects_invalid_tokens(api, visitor, payload):
    api.force_login(visitor)
    assert api.post(v1("me/tokens/"), payload).status_code == 400


# --- Grants -------------------------------------------------------------------------------


def test_it_grants_and_revokes_partner_access(api, visitor, make_key):
    key = make_key(ApiScope.VISITORS_READ, name="Research partner")
    api.force_login(visitor)
    response = api.post(v1("me/grants/"), {"partner": key.obj.prefix})
    assert response.status_code == 201
    grant = response.json()
    assert grant["partner"] == {"name": "Research partner", "prefix": key.obj.prefix}
    assert grant["is_active"]
    assert api.delete(v1(f"me/grants/{grant['id']}/")).status_code == 204
    assert PartnerGrant.objects.get(pk=grant["id"]).revoked_at is not None


def test_it_refuses_a_grant_to_an_unknown_partner(api, visitor, make_key):
    key = make_key(ApiScope.AGGREGATES_READ)
    api.force_login(visitor)
    for partner in (key.obj.prefix, "zzzzzzzzzzzz", "Robert'); --"):
        response = api.post(v1("me/grants/"), {"partner": partner})
        assert response.status_code == 400
        assert "partner" in response.json()["error"]["details"]


def test_it_answers_404_for_another_visitors_grant(api, visitor, bob_grant):
    api.force_login(visitor)
    assert api.get(v1(f"me/grants/{bob_grant.pk}/")).status_code == 404
    assert api.delete(v1(f"me/grants/{bob_grant.pk}/")).status_code == 404
    bob_grant.refresh_from_db()
    assert bob_grant.is_active
