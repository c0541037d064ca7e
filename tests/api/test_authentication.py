"""Partner keys (``Api-Key``/``Bearer``), personal tokens (``Bearer``) and their failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from museum_site.api.models import ApiKey
from museum_site.api.services import credential_revoke
from tests.api.conftest import v1


@pytest.mark.parametrize("scheme", ["Api-Key", "Bearer", "api-key"])
def test_it_accepts_a_partner_key_under_either_scheme(api, make_key, exhibit, scheme):
    key = make_key()
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION=f"{scheme} {key.raw}")
    assert response.status_code == 200


def test_it_accepts_a_personal_token_as_bearer(api, make_token, visitor):
    token = make_token(visitor)
    response = api.get(v1("me/"), **token.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key mpk_aaaaaaaaaaaa.wrongwrongwrongwrongwrongwrongwrongwrongwro",
        "Api-Key not-a-key",
        "Bearer mvt_aaaaaaaaaaaa.wrongwrongwrongwrongwrongwrongwrongwrongwro",
        "Api-Key ",
        "Api-Key two words",
        "Bearer " + "x" * 500,
    ],
)
def test_it_refuses_bad_keys_with_401(api, exhibit, header):
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_refuses_a_right_prefix_with_a_wrong_secret(api, make_key, exhibit):
    key = make_key()
    forged = key.raw[:-4] + ("AAAA" if not key.raw.endswith("AAAA") else "BBBB")
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION=f"Api-Key {forged}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid API key or token."


def test_it_refuses_a_partner_key_sent_as_a_personal_token_kind(api, make_token, visitor):
    token = make_token(visitor)
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION=f"Api-Key {token.raw}")
    assert response.status_code == 401


def test_it_refuses_a_non_ascii_header(api, db):
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION="Api-Key clé".encode().decode("latin-1"))
    assert response.status_code == 401


def test_it_ignores_other_schemes(api, exhibit):
    # Basic is not ours: the caller is simply anonymous.
    response = api.get(v1("exhibits/"), HTTP_AUTHORIZATION="Basic YWxpY2U6cGFzcw==")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_refuses_a_revoked_key(api, make_key, exhibit):
    key = make_key()
    credential_revoke(credential=key.obj)
    response = api.get(v1("exhibits/"), **key.headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This key has been revoked."


def test_it_refuses_an_expired_key_and_token(api, make_key, make_token, visitor, exhibit):
    key = make_key(expires_at=timezone.now() + timedelta(days=1))
    token = make_token(visitor, expires_at=timezone.now() + timedelta(days=1))
    assert api.get(v1("exhibits/"), **key.headers).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        for credential in (key, token):
            response = api.get(v1("exhibits/"), **credential.headers)
            assert response.status_code == 401
            assert response.json()["error"]["message"] == "This key has expired."


def test_it_refuses_the_token_of_a_disabled_account(api, make_token, visitor):
    token = make_token(visitor)
    visitor.is_active = False
    visitor.save()
    response = api.get(v1("me/"), **token.headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This account is disabled."


def test_it_records_last_use_at_most_once_a_minute(api, make_key, exhibit):
    key = make_key()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.get(v1("exhibits/"), **key.headers)
    first = ApiKey.objects.get(pk=key.obj.pk).last_used_at
    assert first == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get(v1("exhibits/"), **key.headers)
    assert ApiKey.objects.get(pk=key.obj.pk).last_used_at == first
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        api.get(v1("exhibits/"), **key.headers)
    assert ApiKey.objects.get(pk=key.obj.pk).last_used_at == start + timedelta(minutes=2)


def test_it_does_not_let_a_partner_key_act_as_the_sessions_user(api, make_key, visitor):
    # A browser signed in as alice that also sends a partner key is the partner, not alice.
    api.force_login(visitor)
    response = api.get(v1("me/"), **make_key().headers)
    assert response.status_code == 403
