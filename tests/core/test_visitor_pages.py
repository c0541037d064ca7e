"""The signed-in visitor's pages: /me/, one visit, and the consent page."""

from datetime import UTC, datetime, timedelta

import pytest

from museum_site.core import services

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def past_visit(visitor, exhibit, fossil):
    visit = services.visit_start(visitor=visitor.visitor_profile, now=NOON)
    services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=252, now=NOON)
    services.visit_record_exhibit(visit=visit, exhibit=fossil, seconds=35, now=NOON)
    services.visit_end(visit=visit, now=NOON + timedelta(minutes=40))
    return visit


@pytest.mark.parametrize("url", ["/me/", "/me/visits/1/", "/consent/"])
def test_it_sends_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_it_lists_the_visitors_visits_with_links_to_exhibits(client, visitor, past_visit, exhibit):
    client.force_login(visitor)
    response = client.get("/me/")
    assert response.status_code == 200
    assert "Hello, Alice" in response.text
    assert "Monday 4 May 2026" in response.text
    assert f'href="{exhibit.get_absolute_url()}"' in response.text
    assert "4 min 12 s" in response.text
    assert "2 exhibits" in response.text
    assert f'href="{past_visit.get_absolute_url()}"' in response.text


def test_it_shows_an_empty_diary_to_a_new_visitor(client, visitor):
    client.force_login(visitor)
    response = client.get("/me/")
    assert "No visits yet" in response.text
    assert "camera notice" not in response.text


def test_it_reminds_a_visitor_without_consent(client, make_visitor):
    client.force_login(make_visitor("erin", consent=False))
    assert "camera notice" in client.get("/me/").text


def test_it_gives_accounts_made_elsewhere_a_profile(client, staff):
    client.force_login(staff)
    response = client.get("/me/")
    assert response.status_code == 200
    assert staff.visitor_profile.display_name == ""


def test_it_does_not_show_other_visitors_visits(client, outsider, past_visit):
    client.force_login(outsider)
    assert "The Kiss of the Wind" not in client.get("/me/").text


def test_it_shows_one_of_the_visitors_visits(client, visitor, past_visit, fossil):
    client.force_login(visitor)
    response = client.get(past_visit.get_absolute_url())
    assert response.status_code == 200
    assert fossil.title in response.text
    assert "40 min" in response.text


def test_it_answers_404_for_someone_elses_visit(client, outsider, past_visit):
    client.force_login(outsider)
    assert client.get(past_visit.get_absolute_url()).status_code == 404


def test_it_shows_the_consent_notice(client, make_visitor, settings):
    client.force_login(make_visitor("erin", consent=False))
    response = client.get("/consent/")
    assert response.status_code == 200
    assert f"version {settings.CURRENT_CONSENT_VERSION}" in response.text
    assert "You have not agreed" in response.text
    assert "Withdraw my consent" not in response.text


def test_it_records_consent_and_returns_to_next(client, make_visitor):
    user = make_visitor("erin", consent=False)
    client.force_login(user)
    response = client.post(
        "/consent/", {"action": "give", "agree": "on", "keep_media": "on", "next": "/exhibits/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/exhibits/"
    user.visitor_profile.refresh_from_db()
    assert user.visitor_profile.has_current_consent()
    assert user.visitor_profile.keep_media


def test_it_withdraws_consent(client, visitor):
    client.force_login(visitor)
    assert "Withdraw my consent" in client.get("/consent/").text
    response = client.post("/consent/", {"action": "withdraw"})
    assert response["Location"] == "/me/"
    visitor.visitor_profile.refresh_from_db()
    assert not visitor.visitor_profile.has_current_consent()
    assert "You withdrew your consent" in client.get("/consent/").text


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_it_never_redirects_off_site_after_consent(client, visitor, next_url):
    client.force_login(visitor)
    response = client.post("/consent/", {"action": "give", "agree": "on", "next": next_url})
    assert response["Location"] == "/me/"


def test_it_rejects_an_unknown_consent_action(client, visitor):
    client.force_login(visitor)
    response = client.post("/consent/", {"action": "maybe"})
    assert response.status_code == 200
    visitor.visitor_profile.refresh_from_db()
    assert visitor.visitor_profile.has_current_consent()
