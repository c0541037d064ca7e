"""System checks for the API settings."""

from __future__ import annotations

import pytest

from museum_site.api import checks


def test_it_accepts_the_shipped_settings():
    assert checks.check_throttle_rates(None) == []
    assert checks.check_throttle_cache(None) == []
    assert checks.check_upload_limit(None) == []


@pytest.mark.parametrize("rate", ["fast", "10/fortnight", None])
def test_it_reports_a_bad_rate(settings, rate):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "partner": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    errors = checks.check_throttle_rates(None)
    assert [error.id for error in errors] == ["api.E001"]
    assert "API_RATE_PARTNER" in errors[0].hint


def test_it_reports_an_unknown_throttle_cache(settings):
    settings.API_THROTTLE_CACHE = "nowhere"
    assert [error.id for error in checks.check_throttle_cache(None)] == ["api.E002"]


@pytest.mark.parametrize("limit", [0, 1023, "big", True])
def test_it_reports_a_bad_upload_limit(settings, limit):
    settings.API_MAX_IMAGE_BYTES = limit
    assert [error.id for error in checks.check_upload_limit(None)] == ["api.E003"]
