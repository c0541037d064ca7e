"""Rate limits per partner key, per user, per anonymous address, and for image analysis."""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.utils import timezone

from museum_site.api.models import ApiScope
from tests.api.conftest import v1
from tests.faces import jpeg_of


@pytest.fixture
def rates(settings):
    """Small limits: 3 a minute for each caller, 1 a minute for analysis."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "2/minute",
            "user": "3/minute",
            "partner": "3/minute",
            "analyse": "1/minute",
        },
    }


def statuses(api, path: str, times: int, **headers) -> list[int]:
    return [api.get(v1(path), **headers).status_code for _ in range(times)]


def test_it_limits_each_partner_key_on_its_own(api, rates, make_key, exhibit):
    first, second = make_key(), make_key()
    assert statuses(api, "exhibits/", 4, **first.headers) == [200, 200, 200, 429]
    assert statuses(api, "halls/", 1, **first.headers) == [429], "one bucket for all routes"
    assert statuses(api, "exhibits/", 3, **second.headers) == [200, 200, 200]


def test_it_answers_429_with_the_wait_in_the_body_and_header(api, rates, make_key, exhibit):
    key = make_key()
    statuses(api, "exhibits/", 3, **key.headers)
    response = api.get(v1("exhibits/"), **key.headers)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert 1 <= error["details"]["retry_after"] <= 60
    assert int(response["Retry-After"]) == error["details"]["retry_after"]


def test_it_lets_a_key_in_again_after_the_window(api, rates, make_key, exhibit):
    key = make_key()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert statuses(api, "exhibits/", 4, **key.headers)[-1] == 429
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert statuses(api, "exhibits/", 1, **key.headers) == [200]


def test_it_uses_a_keys_own_rate_when_it_has_one(api, rates, make_key, exhibit):
    key = make_key(throttle_rate="5/minute")
    assert statuses(api, "exhibits/", 6, **key.headers) == [200] * 5 + [429]


def test_it_limits_each_user_on_their_own(api, rates, visitor, outsider, exhibit):
    api.force_login(visitor)
    assert statuses(api, "exhibits/", 4) == [200, 200, 200, 429]
    api.force_login(outsider)
    assert statuses(api, "exhibits/", 1) == [200]


def test_it_counts_a_users_token_and_session_together(api, rates, visitor, make_token, exhibit):
    token = make_token(visitor)
    assert statuses(api, "exhibits/", 2, **token.headers) == [200, 200]
    api.force_login(visitor)
    assert statuses(api, "exhibits/", 2) == [200, 429]


def test_it_limits_anonymous_callers_by_address(api, rates, db):
    assert statuses(api, "schema/", 3) == [200, 200, 429]
    assert statuses(api, "schema/", 1, REMOTE_ADDR="192.0.2.7") == [200]


def test_it_limits_image_analysis_separately(api, rates, make_key, exhibit):
    key = make_key(ApiScope.ANALYSE)
    scene = jpeg_of(np.full((120, 160, 3), 127, np.uint8))
    first = api.post(v1("analyse/"), scene, content_type="image/jpeg", **key.headers)
    second = api.post(v1("analyse/"), scene, content_type="image/jpeg", **key.headers)
    assert (first.status_code, second.status_code) == (200, 429)
    assert statuses(api, "exhibits/", 1, **key.headers) == [200]


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set")
def test_it_keeps_counters_in_redis_when_configured(api, rates, settings, make_key, exhibit):
    """With Redis (as in production), every process shares the same counters."""
    settings.CACHES = {
        **settings.CACHES,
        django_settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
            "KEY_PREFIX": "api-throttle-test",
        },
    }
    cache = caches[django_settings.API_THROTTLE_CACHE]
    key = make_key()
    bucket = f"throttle_partner_key:{key.obj.pk}"
    # Only this test's key: clear() would FLUSHDB a Redis database other tests may share.
    cache.delete(bucket)
    assert statuses(api, "exhibits/", 4, **key.headers) == [200, 200, 200, 429]
    history = cache.get(bucket)
    assert isinstance(history, list) and len(history) == 3
    # Another process would see the same bucket: a second client on a fresh cache handle.
    caches.close_all()
    from rest_framework.test import APIClient

    assert statuses(APIClient(), "exhibits/", 1, **key.headers) == [429]
    cache.delete(bucket)
