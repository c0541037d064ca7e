"""Halls and exhibits: read by anyone signed in or any partner key, written by staff with
model permissions or keys with ``exhibits:write``."""

from __future__ import annotations

import pytest

from museum_site.api.models import ApiScope
from museum_site.core import services
from museum_site.core.models import Exhibit, Hall
from tests.api.conftest import v1


@pytest.fixture
def hidden(hall):
    return services.exhibit_create(
        title="Bronze in storage", hall=hall, description="Away for conservation.", active=False
    )


NEW_EXHIBIT = {
    "title": "Lantern Clock",
    "description": "A brass clock from 1680 that still keeps time.",
    "tags": ["Clocks", "brass", "clocks"],
    "artist": "Thomas Tompion",
    "year": 1680,
}


# --- Reading ------------------------------------------------------------------------------


def test_it_refuses_anonymous_callers_with_401_and_a_challenge(api, exhibit):
    response = api.get(v1("exhibits/"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_lists_active_exhibits_to_a_visitor(api, visitor, exhibit, fossil, hidden):
    api.force_login(visitor)
    response = api.get(v1("exhibits/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["slug"] for item in body["results"]] == [fossil.slug, exhibit.slug]
    item = body["results"][1]
    assert item["hall"] == {"slug": exhibit.hall.slug, "name": exhibit.hall.name}
    assert sorted(item["tags"]) == ["bronze", "symbolism"]
    assert item["web_url"] == f"http://testserver{exhibit.get_absolute_url()}"
    assert item["short_url"] == f"http://testserver{exhibit.get_short_url()}"
    assert item["image"] is None


@pytest.mark.parametrize("scopes", [(), (ApiScope.ANALYSE,), (ApiScope.EXHIBITS_WRITE,)])
def test_it_lets_any_partner_key_read_the_collection(api, make_key, exhibit, scopes):
    key = make_key(*scopes)
    response = api.get(v1(f"exhibits/{exhibit.slug}/"), **key.headers)
    assert response.status_code == 200
    assert response.json()["title"] == exhibit.title


def test_it_filters_exhibits_by_hall_tag_and_words(api, visitor, exhibit, fossil, other_hall):
    api.force_login(visitor)

    def slugs(query: str) -> list[str]:
        response = api.get(v1(f"exhibits/?{query}"))
        assert response.status_code == 200
        return [item["slug"] for item in response.json()["results"]]

    assert slugs(f"hall={other_hall.slug}") == [fossil.slug]
    assert slugs("tag=bronze") == [exhibit.slug]
    assert slugs("q=spiral+shells") == [fossil.slug]
    assert slugs("q=delmas") == [exhibit.slug]
    assert slugs("hall=no-such-hall") == []


def test_it_rejects_a_nul_character_in_a_filter_with_400(api, visitor, exhibit):
    api.force_login(visitor)
    response = api.get(v1("exhibits/"), {"hall": "a\x00b"})
    assert response.status_code == 400
    assert "hall" in response.json()["error"]["details"]


def test_it_paginates_with_a_bounded_page_size(api, visitor, hall):
    for i in range(3):
        services.exhibit_create(title=f"Coin {i}", hall=hall, description="A coin.")
    api.force_login(visitor)
    body = api.get(v1("exhibits/?page_size=2")).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 1
    assert len(api.get(v1("exhibits/?page_size=100000")).json()["results"]) == 3
    past_the_end = api.get(v1("exhibits/?page=9"))
    assert past_the_end.status_code == 404
    assert past_the_end.json()["error"]["code"] == "not_found"


def test_it_hides_inactive_exhibits_from_readers(api, visitor, make_key, hidden):
    api.force_login(visitor)
    assert api.get(v1(f"exhibits/{hidden.slug}/")).status_code == 404
    api.logout()
    reader = make_key(ApiScope.AGGREGATES_READ)
    assert api.get(v1(f"exhibits/{hidden.slug}/"), **reader.headers).status_code == 404


def test_it_shows_inactive_exhibits_to_writers(api, staff, make_key, hidden):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    assert api.get(v1(f"exhibits/{hidden.slug}/"), **writer.headers).status_code == 200
    api.force_login(staff)
    assert api.get(v1(f"exhibits/{hidden.slug}/")).json()["active"] is False


def test_it_lists_halls_with_their_exhibit_counts(api, make_key, exhibit, hidden, hall, other_hall):
    response = api.get(v1("halls/"), **make_key().headers)
    assert response.status_code == 200
    counts = {item["slug"]: item["exhibit_count"] for item in response.json()["results"]}
    assert counts == {hall.slug: 1, other_hall.slug: 0}
    detail = api.get(v1(f"halls/{hall.slug}/"), **make_key().headers).json()
    assert detail["name"] == hall.name and detail["exhibit_count"] == 1


def test_it_answers_404_for_an_unknown_slug(api, visitor, db):
    api.force_login(visitor)
    for path in ("exhibits/nope/", "halls/nope/", "exhibits/nope/emotions/"):
        response = api.get(v1(path))
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


# --- Writing ------------------------------------------------------------------------------


def test_it_lets_a_key_with_exhibits_write_create_an_exhibit(api, make_key, hall):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.post(v1("exhibits/"), {**NEW_EXHIBIT, "hall": hall.slug}, **writer.headers)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "lantern-clock"
    assert sorted(body["tags"]) == ["brass", "clocks"]
    exhibit = Exhibit.objects.get(slug="lantern-clock")
    assert exhibit.hall == hall and exhibit.year == 1680 and exhibit.active


@pytest.mark.parametrize("scope", [s for s in ApiScope.values if s != ApiScope.EXHIBITS_WRITE])
def test_it_refuses_writes_from_keys_without_exhibits_write(api, make_key, hall, exhibit, scope):
    key = make_key(scope)
    created = api.post(v1("exhibits/"), {**NEW_EXHIBIT, "hall": hall.slug}, **key.headers)
    assert created.status_code == 403
    assert created.json()["error"] == {
        "code": "permission_denied",
        "message": "This API key lacks the 'exhibits:write' scope.",
        "details": None,
    }
    changed = api.patch(v1(f"exhibits/{exhibit.slug}/"), {"title": "X"}, **key.headers)
    assert changed.status_code == 403
    assert api.post(v1("halls/"), {"name": "Annex"}, **key.headers).status_code == 403
    assert not Exhibit.objects.filter(slug="lantern-clock").exists()


def test_it_lets_staff_with_permissions_write_but_not_curators(api, staff, curator, hall):
    api.force_login(curator)
    response = api.post(v1("halls/"), {"name": "Annex"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You may read the collection but not change it."
    api.force_login(staff)
    response = api.post(v1("halls/"), {"name": "Annex", "floor": -1})
    assert response.status_code == 201
    assert response.json() | {"web_url": ""} == {
        "slug": "annex",
        "name": "Annex",
        "description": "",
        "floor": -1,
        "ordering": 0,
        "exhibit_count": 0,
        "web_url": "",
    }


def test_it_refuses_writes_from_plain_visitors(api, visitor, exhibit):
    api.force_login(visitor)
    assert api.patch(v1(f"exhibits/{exhibit.slug}/"), {"title": "Mine"}).status_code == 403
    exhibit.refresh_from_db()
    assert exhibit.title == "The Kiss of the Wind"


def test_it_enforces_csrf_for_session_writes(staff, hall):
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=True)
    api.force_login(staff)
    response = api.post(v1("halls/"), {"name": "Annex"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Hall.objects.filter(slug="annex").exists()


def test_it_updates_an_exhibit_partially_and_replaces_tags(api, make_key, exhibit, other_hall):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.patch(
        v1(f"exhibits/{exhibit.slug}/"),
        {"hall": other_hall.slug, "tags": ["wind"], "active": False, "year": None},
        **writer.headers,
    )
    assert response.status_code == 200, response.json()
    exhibit.refresh_from_db()
    assert exhibit.hall == other_hall and not exhibit.active and exhibit.year is None
    assert [tag.name for tag in exhibit.tags.all()] == ["wind"]
    assert exhibit.title == "The Kiss of the Wind"  # untouched fields stay


def test_it_updates_a_hall(api, make_key, hall):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.patch(v1(f"halls/{hall.slug}/"), {"floor": 2}, **writer.headers)
    assert response.status_code == 200
    hall.refresh_from_db()
    assert hall.floor == 2 and hall.name == "Sculpture Court"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hall": "no-such-hall"}, "hall"),
        ({"year": 40000}, "year"),
        ({"title": ""}, "title"),
        ({"slug": "not a slug"}, "slug"),
        ({"tags": ["!!!"]}, "tags"),
        ({"description": "x\x00y"}, "description"),
    ],
)
def test_it_rejects_invalid_exhibits_with_field_errors(api, make_key, hall, change, field):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    payload = {**NEW_EXHIBIT, "hall": hall.slug, **change}
    response = api.post(v1("exhibits/"), payload, **writer.headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"], error
    assert not Exhibit.objects.exists()


def test_it_rejects_a_duplicate_slug(api, make_key, exhibit):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    payload = {**NEW_EXHIBIT, "hall": exhibit.hall.slug, "slug": exhibit.slug}
    response = api.post(v1("exhibits/"), payload, **writer.headers)
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["details"]


def test_it_rejects_a_json_list_body(api, make_key, hall):
    writer = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.post(v1("halls/"), [{"name": "Annex"}], **writer.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
