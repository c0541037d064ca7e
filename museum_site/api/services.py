"""Writes behind the API: credentials, grants, and collection edits the core lacks.

Keyword-only, typed, ``<entity>_<action>``, validated with ``full_clean()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from museum_site.api.models import (
    ApiKey,
    ApiScope,
    Credential,
    PartnerGrant,
    VisitorToken,
    hash_key,
)
from museum_site.core.models import Exhibit, Hall, VisitorProfile
from museum_site.core.services import exhibit_set_tags

# last_used_at is bookkeeping: one write a minute per key is plenty and keeps hot keys cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Scopes that act for individual visitors, and so only work for visitors who granted the key.
GRANTABLE_SCOPES = (ApiScope.VISITORS_READ, ApiScope.CLIPS_WRITE)
# A person has no use for dozens of tokens; a bound keeps a runaway script from minting them.
MAX_TOKENS_PER_USER = 20


def api_key_create(
    *,
    name: str,
    scopes: Iterable[str] = (),
    expires_at: datetime | None = None,
    throttle_rate: str = "",
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """A new partner key and its full secret, which the caller must show exactly once."""
    prefix, raw_key = ApiKey.new_secret()
    api_key = ApiKey(
        name=name.strip(),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        throttle_rate=throttle_rate.strip(),
        created_by=created_by,
        prefix=prefix,
        key_hash=hash_key(raw_key),
    )
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


def credential_revoke(*, credential: Credential, now: datetime | None = None) -> Credential:
    """Revoke a key or token for good. Revoking twice keeps the first date."""
    if credential.revoked_at is None:
        credential.revoked_at = now or timezone.now()
        credential.save(update_fields=["revoked_at"])
    return credential


def credential_touch(*, credential: Credential, now: datetime | None = None) -> None:
    """Record that the credential was used, at most once per ``LAST_USED_RESOLUTION``."""
    now = now or timezone.now()
    last = credential.last_used_at
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return
    # A filtered UPDATE instead of save(): concurrent requests never overwrite other fields.
    type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
    credential.last_used_at = now


def visitor_token_create(
    *, user: AbstractBaseUser, name: str, expires_at: datetime | None = None
) -> tuple[VisitorToken, str]:
    """A new personal token for ``user`` and its full secret (shown once).

    At most ``MAX_TOKENS_PER_USER`` live tokens each: revoke one to make another.
    """
    now = timezone.now()
    live = VisitorToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        expires_at__lte=now
    )
    if live.count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            f"You already have {MAX_TOKENS_PER_USER} active tokens; revoke one first."
        )
    prefix, raw_key = VisitorToken.new_secret()
    token = VisitorToken(
        user=user,
        name=name.strip(),
        expires_at=expires_at,
        prefix=prefix,
        key_hash=hash_key(raw_key),
    )
    token.full_clean()
    token.save()
    return token, raw_key


@transaction.atomic
def partner_grant_create(
    *, visitor: VisitorProfile, partner_prefix: str, now: datetime | None = None
) -> PartnerGrant:
    """Let the partner key with ``partner_prefix`` act for the visitor: read their data, send clips.

    Only live keys holding a scope that acts for visitors (``visitors:read``,
    ``clips:write``) can be granted; any other prefix gets the same error, so a visitor's
    form cannot be used to probe which keys exist. Granting again returns the existing grant.
    """
    now = now or timezone.now()
    api_key = ApiKey.objects.filter(prefix=partner_prefix, revoked_at__isnull=True).first()
    if (
        api_key is None
        or not api_key.is_usable(now=now)
        or not any(api_key.has_scope(scope) for scope in GRANTABLE_SCOPES)
    ):
        raise ValidationError({"partner": "No partner application has this identifier."})
    # Lock the visitor so two grants sent at once end up as one.
    VisitorProfile.objects.select_for_update().only("pk").get(pk=visitor.pk)
    grant = PartnerGrant.objects.filter(
        visitor=visitor, api_key=api_key, revoked_at__isnull=True
    ).first()
    if grant is None:
        grant = PartnerGrant(visitor=visitor, api_key=api_key, granted_at=now)
        grant.full_clean()
        grant.save()
    return grant


def partner_grant_revoke(*, grant: PartnerGrant, now: datetime | None = None) -> PartnerGrant:
    if grant.revoked_at is None:
        grant.revoked_at = max(now or timezone.now(), grant.granted_at)
        grant.full_clean()
        grant.save(update_fields=["revoked_at"])
    return grant


def hall_update(*, hall: Hall, data: dict[str, Any]) -> Hall:
    """Change some of a hall's fields (``name``, ``slug``, ``description``, ``floor``,
    ``ordering``). Kept here until the core grows an edit service of its own."""
    for field in ("name", "slug", "description", "floor", "ordering"):
        if field in data:
            setattr(hall, field, data[field])
    hall.full_clean()
    hall.save()
    return hall


@transaction.atomic
def exhibit_update(
    *, exhibit: Exhibit, data: dict[str, Any], tags: Iterable[str] | None = None
) -> Exhibit:
    """Change some of an exhibit's fields; ``tags`` (names) replaces its tags when given."""
    for field in ("title", "slug", "description", "hall", "artist", "year", "active"):
        if field in data:
            setattr(exhibit, field, data[field])
    exhibit.full_clean()
    exhibit.save()
    if tags is not None:
        exhibit_set_tags(exhibit=exhibit, tags=tags)
    return exhibit
