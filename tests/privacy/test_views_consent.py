"""/consent/ (core:consent): explicit, versioned opt-in and withdrawal."""

from urllib.parse import urlencode

import pytest

from museum_site.core.services import consent_give
from museum_site.privacy import selectors
from museum_site.privacy.models import ConsentAction, ConsentRecord


@pytest.fixture
def erin(make_visitor):
    return make_visitor("erin", consent=False)


def give(client, **extra):
    data = {"action": "give", "agree": "on", **extra}
    return client.post("/consent/", data)


def test_it_shows_the_full_notice_and_an_unticked_opt_in(client, erin, settings):
    client.force_login(erin)
    response = client.get("/consent/")
    assert response.status_code == 200
    text = response.text
    assert f"Camera notice, version {settings.CURRENT_CONSENT_VERSION}" in text
    for fact in (
        "seven",
        "not identify",
        "Never camera pictures",
        f"deleted after {settings.READINGS_RETENTION_DAYS} days",
        f"after {settings.CLIPS_RETENTION_DAYS} days at the latest",
        "Curators",
        "withdraw at any time",
    ):
        assert fact in text
    assert '<input type="checkbox" name="agree">' in text
    assert 'name="keep_media" role="switch">' in text  # not checked either
    assert f'value="{selectors.consent_notice().sha256}"' in text


def test_it_refuses_consent_without_the_tick(client, erin):
    client.force_login(erin)
    response = client.post("/consent/", {"action": "give", "keep_media": "on"})
    assert response.status_code == 200
    assert "Tick the box to agree" in response.text
    erin.visitor_profile.refresh_from_db()
    assert not erin.visitor_profile.has_current_consent()
    assert not ConsentRecord.objects.exists()


def test_it_records_consent_and_its_history(client, erin):
    client.force_login(erin)
    response = give(client, keep_media="on", notice_sha256=selectors.consent_notice().sha256)
    assert response.status_code == 302
    profile = erin.visitor_profile
    profile.refresh_from_db()
    assert profile.has_current_consent() and profile.keep_media
    [record] = ConsentRecord.objects.filter(visitor=profile)
    assert record.action == ConsentAction.GIVEN
    page = client.get("/consent/").text
    assert "Your consent history" in page
    assert "You chose to keep your clips." in page


def test_it_shows_the_new_notice_when_it_changed_while_reading(client, erin, settings):
    client.force_login(erin)
    shown = selectors.consent_notice().sha256
    settings.CLIPS_RETENTION_DAYS = 7
    response = give(client, notice_sha256=shown)
    assert response.status_code == 200
    assert "The notice changed while you were reading it" in response.text
    assert "after 7 days at the latest" in response.text
    assert f'value="{selectors.consent_notice().sha256}"' in response.text
    assert not ConsentRecord.objects.exists()


def test_it_asks_again_after_a_new_notice_version(client, visitor, settings):
    client.force_login(visitor)
    current = settings.CURRENT_CONSENT_VERSION
    consent_give(profile=visitor.visitor_profile, version=current - 1)
    page = client.get("/consent/").text
    assert "You agreed to an earlier version of this notice" in page
    assert f"Camera notice, version {current}" in page
    give(client)
    visitor.visitor_profile.refresh_from_db()
    assert visitor.visitor_profile.consent_version == current


def test_it_withdraws_and_returns_to_next(client, visitor):
    client.force_login(visitor)
    query = urlencode({"next": "/exhibits/"})
    response = client.post(f"/consent/?{query}", {"action": "withdraw"})
    assert response["Location"] == "/exhibits/"
    assert ConsentRecord.objects.get().action == ConsentAction.WITHDRAWN
    page = client.get("/consent/").text
    assert "You withdrew your consent" in page
    assert "Withdraw my consent" not in page


def test_it_offers_download_and_erasure(client, visitor):
    client.force_login(visitor)
    page = client.get("/consent/").text
    assert 'action="/me/data/download/"' in page
    assert 'href="/me/data/erase/"' in page


def test_it_treats_a_tampered_notice_hash_as_a_changed_notice(client, erin):
    client.force_login(erin)
    response = give(client, notice_sha256="0" * 64)
    assert "The notice changed while you were reading it" in response.text
    assert not ConsentRecord.objects.exists()
