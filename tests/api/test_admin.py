"""Partner keys in the admin: created with the secret shown once, revoked, never deleted."""

from __future__ import annotations

import re

from django.urls import reverse

from museum_site.api.models import ApiKey, PartnerGrant, hash_key
from museum_site.api.services import partner_grant_create
from tests.api.conftest import v1

ADD = reverse("admin:api_apikey_add")
CHANGELIST = reverse("admin:api_apikey_changelist")


def test_it_creates_a_key_and_shows_the_secret_only_once(client, staff, api, exhibit):
    client.force_login(staff)
    response = client.post(
        ADD,
        {"name": "City guide", "scopes": ["analyse", "aggregates:read"], "throttle_rate": ""},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'value="(mpk_[a-z0-9]{12}\.[A-Za-z0-9_-]{43})"', response.text)[1]
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hash_key(raw) and api_key.created_by == staff
    assert api_key.scopes == ["aggregates:read", "analyse"]
    assert "shown only this once" in response.text
    # The key works, and no other admin page ever shows it again.
    assert api.get(v1("exhibits/"), HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    for page in (CHANGELIST, reverse("admin:api_apikey_change", args=[api_key.pk])):
        assert raw.split(".")[1] not in client.get(page).text


def test_it_rejects_a_past_expiry_and_a_bad_rate(client, staff):
    client.force_login(staff)
    response = client.post(
        ADD,
        {
            "name": "x",
            "throttle_rate": "fast",
            "expires_at_0": "2001-01-01",
            "expires_at_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"throttle_rate", "expires_at"}


def test_it_revokes_keys_with_an_action_and_never_deletes_them(client, staff, make_key, api):
    key = make_key()
    client.force_login(staff)
    response = client.post(
        CHANGELIST, {"action": "revoke_credentials", "_selected_action": [key.obj.pk]}
    )
    assert response.status_code == 302
    key.obj.refresh_from_db()
    assert key.obj.revoked_at is not None
    assert api.get(v1("exhibits/"), **key.headers).status_code == 401
    delete = reverse("admin:api_apikey_delete", args=[key.obj.pk])
    assert client.get(delete).status_code == 403


def test_it_lets_curators_see_nothing_of_keys(client, curator):
    client.force_login(curator)
    assert client.get(CHANGELIST).status_code == 403


def test_it_revokes_grants_but_never_creates_them(client, staff, visitor, make_key):
    key = make_key("visitors:read")
    grant = partner_grant_create(visitor=visitor.visitor_profile, partner_prefix=key.obj.prefix)
    client.force_login(staff)
    assert client.get(reverse("admin:api_partnergrant_add")).status_code == 403
    changelist = reverse("admin:api_partnergrant_changelist")
    client.post(changelist, {"action": "revoke_grants", "_selected_action": [grant.pk]})
    assert PartnerGrant.objects.get(pk=grant.pk).revoked_at is not None


def test_it_lists_personal_tokens_without_a_way_to_add_them(client, staff, make_token, visitor):
    token = make_token(visitor, name="laptop")
    client.force_login(staff)
    page = client.get(reverse("admin:api_visitortoken_changelist"))
    assert "laptop" in page.text and token.raw.split(".")[1] not in page.text
    assert client.get(reverse("admin:api_visitortoken_add")).status_code == 403
