"""Who is calling: partner API keys and personal visitor tokens (session auth is DRF's).

Both arrive in the ``Authorization`` header:

- ``Api-Key mpk_...`` (or ``Bearer mpk_...``): a partner application. ``request.user`` stays
  anonymous and ``request.auth`` is the :class:`ApiKey`, so code that only checks
  ``request.user`` treats a partner as a stranger: partners get nothing by accident.
- ``Bearer mvt_...``: a visitor's personal token. ``request.user`` is the visitor.

A header that names one of these schemes but carries a bad, revoked or expired key fails
with 401 at once rather than falling back to the session, so a broken integration notices.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from museum_site.api.models import ApiKey, Credential, VisitorToken, parse_raw_key
from museum_site.api.services import credential_touch

API_KEY_SCHEME = "Api-Key"
BEARER_SCHEME = "Bearer"
MAX_HEADER_KEY_LENGTH = 200


def _presented_key(request: Request) -> tuple[str, str] | None:
    """``(scheme, raw_key)`` from the Authorization header, or ``None`` if not ours."""
    header = authentication.get_authorization_header(request)
    if not header:
        return None
    try:
        scheme, _, raw_key = header.decode("ascii").partition(" ")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("The Authorization header is not ASCII.") from None
    if scheme.lower() not in {API_KEY_SCHEME.lower(), BEARER_SCHEME.lower()}:
        return None
    raw_key = raw_key.strip()
    if not raw_key or " " in raw_key or len(raw_key) > MAX_HEADER_KEY_LENGTH:
        raise exceptions.AuthenticationFailed(
            f"Send the key as 'Authorization: {API_KEY_SCHEME} <key>'."
        )
    return scheme, raw_key


def _verify(model: type[Credential], raw_key: str) -> Credential:
    parsed = parse_raw_key(raw_key)
    credential = None
    if parsed is not None and parsed[0] == model.kind:
        credential = model.objects.filter(prefix=parsed[1]).first()
    # One message for "no such prefix" and "wrong secret": the caller learns nothing either way.
    if credential is None or not credential.matches(raw_key):
        raise exceptions.AuthenticationFailed("Invalid API key or token.")
    now = timezone.now()
    if credential.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This key has been revoked.")
    if not credential.is_usable(now=now):
        raise exceptions.AuthenticationFailed("This key has expired.")
    credential_touch(credential=credential, now=now)
    return credential


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Partner applications: ``Authorization: Api-Key mpk_<prefix>.<secret>``."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        presented = _presented_key(request)
        if presented is None:
            return None
        scheme, raw_key = presented
        # Bearer is shared with personal tokens; leave those to VisitorTokenAuthentication.
        if scheme.lower() == BEARER_SCHEME.lower() and raw_key.startswith(f"{VisitorToken.kind}_"):
            return None
        api_key = _verify(ApiKey, raw_key)
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated requests 401 (with this challenge) rather than 403.
        return f'{API_KEY_SCHEME} realm="api"'


class VisitorTokenAuthentication(authentication.BaseAuthentication):
    """A visitor's personal token: ``Authorization: Bearer mvt_<prefix>.<secret>``."""

    def authenticate(self, request: Request):
        presented = _presented_key(request)
        if presented is None:
            return None
        scheme, raw_key = presented
        if scheme.lower() != BEARER_SCHEME.lower() or not raw_key.startswith(
            f"{VisitorToken.kind}_"
        ):
            return None
        token = _verify(VisitorToken, raw_key)
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{BEARER_SCHEME} realm="api"'
