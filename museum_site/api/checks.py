"""System checks for the API settings (ids ``api.E0xx``): bad values stop the site at start."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from django.core.checks import Error, register

from museum_site.api.models import RATE_PATTERN

REQUIRED_RATES = ("anon", "user", "partner", "analyse")


@register()
def check_throttle_rates(app_configs, **kwargs) -> list[Error]:
    rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {})
    errors = []
    for scope in REQUIRED_RATES:
        rate = rates.get(scope)
        if not isinstance(rate, str) or not RATE_PATTERN.match(rate):
            errors.append(
                Error(
                    f"API throttle rate {scope!r} is {rate!r}, not a rate like 600/minute.",
                    hint=f"Set API_RATE_{scope.upper()} to <number>/<second|minute|hour|day>.",
                    id="api.E001",
                )
            )
    return errors


@register()
def check_throttle_cache(app_configs, **kwargs) -> list[Error]:
    alias = getattr(settings, "API_THROTTLE_CACHE", None)
    try:
        caches[alias]
    except (InvalidCacheBackendError, TypeError):
        return [
            Error(
                f"API_THROTTLE_CACHE names no configured cache ({alias!r}).",
                hint="Name an entry of CACHES.",
                id="api.E002",
            )
        ]
    return []


@register()
def check_upload_limit(app_configs, **kwargs) -> list[Error]:
    limit = getattr(settings, "API_MAX_IMAGE_BYTES", None)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        return [
            Error(
                "API_MAX_IMAGE_BYTES must be an integer of at least 1024.",
                hint="Set API_MAX_IMAGE_BYTES to the largest image the API analyses, in bytes.",
                id="api.E003",
            )
        ]
    return []
