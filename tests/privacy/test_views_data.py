"""Download my data and Erase my account."""

import json

import pytest
from django.contrib.auth import get_user_model

from emotions.models import EmotionReading
from museum_site.core import services as core_services
from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/me/data/download/", "/me/data/erase/"])
def test_it_asks_anonymous_visitors_to_sign_in(client, db, url):
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_downloads_the_visitors_own_data_as_json(client, visitor, outsider, exhibit):
    core_services.visit_start(visitor=visitor.visitor_profile, exhibit=exhibit)
    core_services.visit_start(visitor=outsider.visitor_profile, exhibit=exhibit)
    client.force_login(visitor)
    response = client.post("/me/data/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="museum-data-alice-')
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice"
    assert len(data["visits"]) == 1
    assert "bob" not in response.content.decode()


def test_it_does_not_download_on_a_plain_link(client, visitor):
    # GET would let any page trigger the download (and prefetchers fetch it): POST only.
    client.force_login(visitor)
    assert client.get("/me/data/download/").status_code == 405


def test_it_shows_what_erasure_does(client, visitor):
    client.force_login(visitor)
    response = client.get("/me/data/erase/")
    assert response.status_code == 200
    assert "become anonymous" in response.text
    assert 'type="password"' in response.text


def test_it_erases_with_the_right_password_and_confirmation(client, visitor, exhibit):
    profile = visitor.visitor_profile
    core_services.visit_start(visitor=profile, exhibit=exhibit)
    client.force_login(visitor)
    response = client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not get_user_model().objects.filter(username="alice").exists()
    assert "_auth_user_id" not in client.session
    assert "Your account and your data are erased" in client.get("/").text


def test_it_does_not_erase_without_the_confirmation(client, visitor):
    client.force_login(visitor)
    response = client.post("/me/data/erase/", {"password": PASSWORD})
    assert response.status_code == 200
    assert "This field is required" in response.text
    assert get_user_model().objects.filter(pk=visitor.pk).exists()


def test_it_does_not_erase_with_a_wrong_password(client, visitor):
    client.force_login(visitor)
    response = client.post("/me/data/erase/", {"password": "guess", "confirm": "on"})
    assert response.status_code == 200
    assert "That is not your password." in response.text
    assert get_user_model().objects.filter(pk=visitor.pk).exists()


def test_it_locks_out_password_guessing_on_the_erase_form(client, visitor, settings):
    # Someone with a stolen session must not be able to guess the password here either.
    client.force_login(visitor)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/me/data/erase/", {"password": "guess", "confirm": "on"})
    response = client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 429
    assert get_user_model().objects.filter(pk=visitor.pk).exists()


def test_it_does_not_erase_staff_accounts(client, staff):
    client.force_login(staff)
    response = client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert "Staff accounts cannot be erased here" in response.text
    assert get_user_model().objects.filter(pk=staff.pk).exists()


def test_it_keeps_anonymous_readings_after_erasure(client, visitor, exhibit, make_reading):
    from datetime import UTC, datetime

    at = datetime(2026, 5, 4, 12, 34, 56, tzinfo=UTC)
    make_reading(exhibit=exhibit, visitor=visitor.visitor_profile, recorded_at=at)
    client.force_login(visitor)
    client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "on"})
    reading = EmotionReading.objects.get()
    assert (reading.visitor_id, reading.recorded_at) == (None, at.replace(minute=0, second=0))
