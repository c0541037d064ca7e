"""Fixtures for the API tests: an API client, partner keys, tokens and readings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient

from emotions.models import EmotionReading, ReadingSource
from emotions.services import reading_build, readings_save
from ml import EMOTIONS
from museum_site.api.models import ApiKey, ApiScope, VisitorToken
from museum_site.api.services import api_key_create, visitor_token_create
from museum_site.core.models import Exhibit, VisitorProfile
from museum_site.reports.dates import day_bounds

ALL_SCOPES = tuple(ApiScope.values)


@dataclass
class Credential:
    obj: ApiKey | VisitorToken
    raw: str

    @property
    def headers(self) -> dict[str, str]:
        scheme = "Api-Key" if isinstance(self.obj, ApiKey) else "Bearer"
        return {"HTTP_AUTHORIZATION": f"{scheme} {self.raw}"}


def v1(path: str) -> str:
    return f"/api/v1/{path.lstrip('/')}"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters(settings, request) -> None:
    """Each test counts requests in an empty in-memory cache of its own: counters outlive
    the test's database transaction, and a Redis from REDIS_URL must never be touched."""
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-throttle-{request.node.nodeid}",
        },
    }
    caches[settings.API_THROTTLE_CACHE].clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_key(db) -> Callable[..., Credential]:
    def make(*scopes: str, name: str = "City guide", **kwargs) -> Credential:
        api_key, raw = api_key_create(name=name, scopes=scopes, **kwargs)
        return Credential(api_key, raw)

    return make


@pytest.fixture
def partner(make_key) -> Credential:
    """A partner key with every scope."""
    return make_key(*ALL_SCOPES, name="All-scopes partner")


@pytest.fixture
def make_token(db) -> Callable[..., Credential]:
    def make(user, name: str = "my phone", **kwargs) -> Credential:
        token, raw = visitor_token_create(user=user, name=name, **kwargs)
        return Credential(token, raw)

    return make


def probabilities_for(label: str, confidence: float = 0.7) -> dict[str, float]:
    rest = (1.0 - confidence) / (len(EMOTIONS) - 1)
    return {name: confidence if name == label else rest for name in EMOTIONS}


def a_moment_ago_today() -> datetime:
    """A few minutes ago, but never before today's local midnight.

    Tests that ask for "today" or "yesterday" must not find these readings on the
    other side of midnight when the suite happens to run just after it.
    """
    today = timezone.localdate()
    midnight, _ = day_bounds(today, today)
    return max(timezone.now() - timedelta(minutes=5), midnight)


@pytest.fixture
def make_reading(db) -> Callable[..., EmotionReading]:
    def make(
        *,
        exhibit: Exhibit,
        visitor: VisitorProfile | None,
        label: str = "happy",
        recorded_at: datetime | None = None,
        visit=None,
    ) -> EmotionReading:
        reading = reading_build(
            exhibit=exhibit,
            visitor=visitor,
            visit=visit,
            probabilities=probabilities_for(label),
            recorded_at=recorded_at or a_moment_ago_today(),
            source=ReadingSource.LIVE,
        )
        return readings_save(readings=[reading])[0]

    return make
