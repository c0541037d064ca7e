"""Request limits per partner key, per user and per anonymous address.

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (from the environment, see
settings): ``partner``, ``user`` and ``anon`` for every request, ``analyse`` on top for the
CPU-heavy image analysis. A key's own ``throttle_rate`` replaces the ``partner`` rate.
Counters live in the cache named by ``settings.API_THROTTLE_CACHE``: use a shared cache
(Redis) when several processes serve the API, or each process counts on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from museum_site.api.permissions import partner_key

if TYPE_CHECKING:
    from rest_framework.views import APIView


class ApiRateThrottle(SimpleRateThrottle):
    """One bucket per caller: ``key:<id>``, ``user:<id>`` or ``anon:<address>``."""

    scope_for_users = "user"
    scope_for_partners = "partner"
    scope_for_anonymous = "anon"

    def __init__(self) -> None:
        # The rate depends on who calls, so it is chosen per request in allow_request().
        self.rate = None

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches[settings.API_THROTTLE_CACHE]

    def caller(self, request: Request) -> tuple[str, str, str | None]:
        """``(scope, identity, rate)`` for this request."""
        rates = api_settings.DEFAULT_THROTTLE_RATES
        key = partner_key(request)
        if key is not None:
            scope = self.scope_for_partners
            return scope, f"key:{key.pk}", key.throttle_rate or rates.get(scope)
        if request.user and request.user.is_authenticated:
            scope = self.scope_for_users
            return scope, f"user:{request.user.pk}", rates.get(scope)
        scope = self.scope_for_anonymous
        return scope, f"anon:{self.get_ident(request)}", rates.get(scope)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope, identity, self.rate = self.caller(request)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self._identity = identity
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self._identity}


class AnalyseRateThrottle(ApiRateThrottle):
    """A second, smaller bucket per caller for image analysis (each call runs the model)."""

    def caller(self, request: Request) -> tuple[str, str, str | None]:
        _, identity, _ = super().caller(request)
        return "analyse", identity, api_settings.DEFAULT_THROTTLE_RATES.get("analyse")
