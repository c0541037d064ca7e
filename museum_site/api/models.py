"""Credentials for the REST API: partner API keys, visitors' personal tokens and grants.

Secrets are never stored. A credential is ``<kind>_<prefix>.<secret>``: the prefix (public,
shown in the admin and used to find the row) and the SHA-256 of the whole string are kept.
A fast hash is enough here because the secret is 256 random bits, not a password: there is
nothing to guess, so a slow key-derivation function would only cost CPU on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from museum_site.core.models import VisitorProfile

PREFIX_LENGTH = 12
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# "mpk_ab12cd34ef56.<43 url-safe characters>"; "." cannot occur in token_urlsafe() output.
_RAW_KEY = re.compile(
    r"^(?P<kind>[a-z]{3})_(?P<prefix>[a-z0-9]{12})\.(?P<secret>[A-Za-z0-9_-]{43})$"
)
CREDENTIAL_STATUSES = ["active", "expired", "revoked"]
RATE_PATTERN = re.compile(r"^[1-9][0-9]{0,6}/(second|minute|hour|day)$")


class ApiScope(models.TextChoices):
    AGGREGATES_READ = "aggregates:read", "Read anonymous emotion aggregates"
    EXHIBITS_WRITE = "exhibits:write", "Create and change halls and exhibits"
    ANALYSE = "analyse", "Analyse single images (nothing is stored)"
    CLIPS_WRITE = "clips:write", "Upload clips for visitors who granted access"
    VISITORS_READ = "visitors:read", "Read the data of visitors who granted access"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def parse_raw_key(raw_key: str) -> tuple[str, str] | None:
    """``(kind, prefix)`` of a well-formed key string, else ``None``."""
    match = _RAW_KEY.match(raw_key)
    return (match["kind"], match["prefix"]) if match else None


def validate_scopes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(scope, str) for scope in value):
        raise ValidationError("Scopes must be a list of scope names.")
    unknown = sorted(set(value) - set(ApiScope.values))
    if unknown:
        raise ValidationError(
            f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(ApiScope.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each scope may be listed once.")


def validate_rate(value: str) -> None:
    if value and not RATE_PATTERN.match(value):
        raise ValidationError(
            f"{value!r} is not a rate; write e.g. 600/minute (per second, minute, hour or day)."
        )


class Credential(models.Model):
    """What API keys and personal tokens share: a prefix, a hash and a life cycle."""

    kind: str = ""  # the three letters before "_" in the key, set by each subclass

    prefix = models.CharField(
        max_length=PREFIX_LENGTH,
        unique=True,
        editable=False,
        help_text="Public part of the key, shown to tell keys apart.",
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256 of the full key."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Updated at most once a minute."
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Optional: the key stops working at this time."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Set when the key was revoked."
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        # "%(app_label)s_%(class)s": api_apikey_..., api_visitortoken_...
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""), name="%(app_label)s_%(class)s_name_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="%(app_label)s_%(class)s_expires_after_creation",
            ),
        ]

    @classmethod
    def new_secret(cls) -> tuple[str, str]:
        """A fresh ``(prefix, raw_key)``; the raw key is shown once and never stored."""
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        return prefix, f"{cls.kind}_{prefix}.{secrets.token_urlsafe(32)}"

    def matches(self, raw_key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(raw_key))

    def is_usable(self, *, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class ApiKey(Credential):
    """A partner application's key (``Authorization: Api-Key mpk_...``)."""

    kind = "mpk"

    name = models.CharField(
        max_length=120, help_text="The partner and application, e.g. “City guide app (iOS)”."
    )
    scopes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_scopes],
        help_text="What the key may do beyond reading the collection.",
    )
    throttle_rate = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_rate],
        help_text="Optional request limit for this key, e.g. 1200/minute; empty: the default.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta(Credential.Meta):
        db_table = "api_apikey"
        verbose_name = "partner API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class VisitorToken(Credential):
    """A personal token: lets a signed-up user's own scripts or apps act as them."""

    kind = "mvt"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. “my phone”.")

    class Meta(Credential.Meta):
        db_table = "api_visitortoken"
        verbose_name = "personal API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}) of {self.user}"


class PartnerGrant(models.Model):
    """A visitor's permission for one partner key to read their visits and readings."""

    visitor = models.ForeignKey(
        VisitorProfile, on_delete=models.CASCADE, related_name="partner_grants"
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="grants")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the visitor withdrew the grant."
    )

    class Meta:
        db_table = "api_partnergrant"
        ordering = ["-granted_at"]
        constraints = [
            # One live grant per visitor and key; revoked ones stay as history.
            models.UniqueConstraint(
                fields=["visitor", "api_key"],
                condition=Q(revoked_at__isnull=True),
                name="api_partnergrant_one_active",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("granted_at")),
                name="api_partnergrant_revoked_after_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.api_key.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
