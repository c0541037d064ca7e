"""Writes behind the API: keys, tokens, grants and collection edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from museum_site.api import services
from museum_site.api.models import ApiKey, ApiScope, PartnerGrant


def test_it_creates_a_key_with_sorted_unique_scopes(staff):
    api_key, raw = services.api_key_create(
        name="  Ticketing  ",
        scopes=[ApiScope.ANALYSE, ApiScope.AGGREGATES_READ],
        created_by=staff,
    )
    api_key.refresh_from_db()
    assert api_key.name == "Ticketing"
    assert api_key.scopes == ["aggregates:read", "analyse"]
    assert api_key.created_by == staff


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "x", "scopes": ["everything"]},
        {"name": "x", "throttle_rate": "fast"},
    ],
)
def test_it_refuses_invalid_keys(db, kwargs):
    with pytest.raises(ValidationError):
        services.api_key_create(**kwargs)
    assert not ApiKey.objects.exists()


def test_it_revokes_once_and_keeps_the_first_date(db):
    api_key, _ = services.api_key_create(name="x")
    first = timezone.now() - timedelta(days=1)
    services.credential_revoke(credential=api_key, now=first)
    services.credential_revoke(credential=api_key)
    api_key.refresh_from_db()
    assert api_key.revoked_at == first


def test_it_grants_a_partner_by_its_prefix_once(visitor, make_key):
    key = make_key(ApiScope.VISITORS_READ)
    profile = visitor.visitor_profile
    grant = services.partner_grant_create(visitor=profile, partner_prefix=key.obj.prefix)
    again = services.partner_grant_create(visitor=profile, partner_prefix=key.obj.prefix)
    assert grant == again and grant.is_active
    services.partner_grant_revoke(grant=grant)
    renewed = services.partner_grant_create(visitor=profile, partner_prefix=key.obj.prefix)
    assert renewed != grant
    assert PartnerGrant.objects.filter(visitor=profile).count() == 2


@pytest.mark.parametrize("problem", ["no-scope", "revoked", "expired", "unknown"])
def test_it_refuses_grants_to_keys_that_cannot_read_visitors(visitor, make_key, problem):
    if problem == "no-scope":
        prefix = make_key(ApiScope.AGGREGATES_READ).obj.prefix
    elif problem == "revoked":
        key = make_key(ApiScope.VISITORS_READ)
        services.credential_revoke(credential=key.obj)
        prefix = key.obj.prefix
    elif problem == "expired":
        key = make_key(ApiScope.VISITORS_READ, expires_at=timezone.now() + timedelta(seconds=1))
        ApiKey.objects.filter(pk=key.obj.pk).update(
            created_at=timezone.now() - timedelta(days=2),
            expires_at=timezone.now() - timedelta(days=1),
        )
        prefix = key.obj.prefix
    else:
        prefix = "abcdefabcdef"
    with pytest.raises(ValidationError) as error:
        services.partner_grant_create(visitor=visitor.visitor_profile, partner_prefix=prefix)
    # The same words whatever the reason: the form cannot probe which keys exist.
    assert error.value.message_dict == {"partner": ["No partner application has this identifier."]}


def test_it_updates_only_the_given_exhibit_fields(exhibit, other_hall):
    services.exhibit_update(exhibit=exhibit, data={"hall": other_hall}, tags=["Wind "])
    exhibit.refresh_from_db()
    assert exhibit.hall == other_hall and exhibit.artist == "Auguste Delmas"
    assert [tag.name for tag in exhibit.tags.all()] == ["wind"]


def test_it_validates_exhibit_updates(exhibit, fossil):
    with pytest.raises(ValidationError):
        services.exhibit_update(exhibit=exhibit, data={"slug": fossil.slug})


def test_it_validates_hall_updates(hall, other_hall):
    with pytest.raises(ValidationError):
        services.hall_update(hall=hall, data={"slug": other_hall.slug})


def test_it_bounds_the_live_tokens_of_a_user(visitor, settings, monkeypatch):
    monkeypatch.setattr(services, "MAX_TOKENS_PER_USER", 2)
    first, _ = services.visitor_token_create(user=visitor, name="one")
    services.visitor_token_create(user=visitor, name="two")
    with pytest.raises(ValidationError, match="2 active tokens"):
        services.visitor_token_create(user=visitor, name="three")
    services.credential_revoke(credential=first)
    services.visitor_token_create(user=visitor, name="three")
