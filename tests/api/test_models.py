"""Credentials: key format, hashing at rest, scopes and rates validation, life cycle."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from museum_site.api.models import (
    ApiKey,
    ApiScope,
    PartnerGrant,
    VisitorToken,
    parse_raw_key,
    validate_rate,
    validate_scopes,
)
from museum_site.api.services import api_key_create, credential_revoke


def test_it_stores_only_the_prefix_and_a_sha256_of_the_key(db):
    api_key, raw = api_key_create(name="City guide", scopes=[ApiScope.ANALYSE])
    assert raw.startswith(f"mpk_{api_key.prefix}.")
    assert parse_raw_key(raw) == ("mpk", api_key.prefix)
    stored = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert stored["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(stored)
    assert raw.split(".", 1)[1] not in str(stored)


def test_it_makes_distinct_high_entropy_keys(db):
    raws = {api_key_create(name=f"p{i}")[1] for i in range(20)}
    assert len(raws) == 20
    assert all(len(raw.split(".", 1)[1]) == 43 for raw in raws)  # 32 random bytes


def test_it_tells_matching_keys_apart_in_constant_time_api(db):
    api_key, raw = api_key_create(name="City guide")
    assert api_key.matches(raw)
    assert not api_key.matches(raw + "x")


def test_it_reports_the_status_of_a_key(db):
    api_key, _ = api_key_create(name="City guide", expires_at=timezone.now() + timedelta(hours=1))
    assert api_key.status == "active" and api_key.is_usable()
    assert not api_key.is_usable(now=timezone.now() + timedelta(hours=2))
    credential_revoke(credential=api_key)
    assert api_key.status == "revoked" and not api_key.is_usable()


@pytest.mark.parametrize(
    "scopes",
    [["admin"], "analyse", [ApiScope.ANALYSE, ApiScope.ANALYSE], [1]],
)
def test_it_rejects_unknown_or_malformed_scopes(scopes):
    with pytest.raises(ValidationError):
        validate_scopes(scopes)


def test_it_accepts_every_known_scope():
    validate_scopes(list(ApiScope.values))


@pytest.mark.parametrize("rate", ["", "10/minute", "1/second", "5000/day"])
def test_it_accepts_rates(rate):
    validate_rate(rate)


@pytest.mark.parametrize("rate", ["0/minute", "10/min", "ten/hour", "10/minute/extra"])
def test_it_rejects_bad_rates(rate):
    with pytest.raises(ValidationError):
        validate_rate(rate)


def test_it_keeps_one_live_grant_per_visitor_and_key(visitor, db):
    api_key, _ = api_key_create(name="Guide", scopes=[ApiScope.VISITORS_READ])
    profile = visitor.visitor_profile
    now = timezone.now()
    PartnerGrant.objects.create(visitor=profile, api_key=api_key, granted_at=now, revoked_at=now)
    PartnerGrant.objects.create(visitor=profile, api_key=api_key)
    with pytest.raises(IntegrityError):
        PartnerGrant.objects.create(visitor=profile, api_key=api_key)


def test_it_refuses_an_expiry_before_creation_in_the_database(db):
    now = timezone.now()
    with pytest.raises(IntegrityError):
        ApiKey.objects.create(
            name="x", prefix="a" * 12, key_hash="b" * 64, created_at=now, expires_at=now
        )


def test_it_names_tokens_readably(make_token, visitor):
    token = make_token(visitor, name="laptop")
    assert str(token.obj) == f"laptop ({token.obj.prefix}) of alice"
    assert isinstance(token.obj, VisitorToken) and token.raw.startswith("mvt_")
