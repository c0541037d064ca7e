"""Sign up, sign in and out, password change and reset, with django.contrib.auth views."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-password-7"


def _sign_up(client, **overrides):
    data = {
        "username": "erin",
        "email": "erin@example.com",
        "display_name": "Erin",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def test_it_shows_the_sign_up_form(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert 'name="display_name"' in response.text


def test_it_signs_up_a_visitor_with_a_profile_and_signs_them_in(client, db):
    response = _sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == "/consent/?next=%2Fme%2F"
    user = get_user_model().objects.get(username="erin")
    assert user.visitor_profile.display_name == "Erin"
    assert not user.is_staff
    assert client.get("/me/").status_code == 200


def test_it_refuses_a_second_account_for_the_same_email(client, visitor):
    response = _sign_up(client, email="ALICE@example.com")
    assert response.status_code == 200
    assert "already exists" in response.text
    assert not get_user_model().objects.filter(username="erin").exists()


def test_it_refuses_mismatched_passwords(client, db):
    response = _sign_up(client, password2="something-else-entirely")
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="erin").exists()


def test_it_sends_signed_in_users_from_sign_up_to_their_page(client, visitor):
    client.force_login(visitor)
    response = client.get("/accounts/signup/")
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_it_signs_in_and_goes_to_the_visitors_page(client, visitor):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_it_follows_next_after_signing_in(client, visitor):
    response = client.post(
        "/accounts/login/?next=/consent/", {"username": "alice", "password": PASSWORD}
    )
    assert response["Location"] == "/consent/"


def test_it_rejects_a_wrong_password(client, visitor):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_locks_out_after_repeated_failures(client, visitor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_it_signs_out_with_post_only(client, visitor):
    client.force_login(visitor)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_it_asks_for_sign_in_before_changing_a_password(client, db):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_changes_a_password(client, visitor):
    client.force_login(visitor)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    visitor.refresh_from_db()
    assert visitor.check_password(NEW_PASSWORD)


def test_it_resets_a_forgotten_password_by_email(client, visitor):
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "Reset your password" in message.subject
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    visitor.refresh_from_db()
    assert visitor.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("email", ["nobody@example.com", "not-an-address"])
def test_it_sends_no_reset_mail_for_unknown_addresses(client, visitor, email):
    client.post("/accounts/password_reset/", {"email": email})
    assert mail.outbox == []
