"""Hardening: CSP and Permissions-Policy headers, CSRF on every form, production cookies,
secrets only from the environment, the WebSocket origin check on every socket route."""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from museum_site.privacy.middleware import permissions_header, policy_header

REPO = Path(__file__).resolve().parents[2]
EXPECTED_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)
PRODUCTION_ENV = {
    "DJANGO_PRODUCTION": "1",
    "SECRET_KEY": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(50)),
    "ALLOWED_HOSTS": "museum.example",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "museum_site.settings", **env}
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=REPO, env=clean, capture_output=True, text=True, timeout=120)


# --- Headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/exhibits/", "/accounts/login/", "/privacy/", "/nowhere/"])
def test_it_sends_the_content_security_policy(client, db, url):
    response = client.get(url)
    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert response["Permissions-Policy"] == (
        "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
    )


def test_it_formats_policies_and_refuses_a_bare_string():
    assert policy_header({"default-src": ["'self'"], "upgrade-insecure-requests": []}) == (
        "default-src 'self'; upgrade-insecure-requests"
    )
    assert permissions_header({"camera": ["self"], "usb": []}) == "camera=(self), usb=()"
    with pytest.raises(ImproperlyConfigured):
        policy_header({"default-src": "'self'"})


# --- CSRF ---------------------------------------------------------------------------------

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)


def our_templates() -> list[Path]:
    roots = [REPO / "templates", *REPO.glob("*/templates"), *REPO.glob("museum_site/*/templates")]
    return sorted(path for root in roots for path in root.rglob("*.html"))


def test_every_post_form_in_our_templates_carries_a_csrf_token():
    checked = 0
    for path in our_templates():
        for form in FORM.finditer(path.read_text()):
            if re.search(r"method=[\"']?post", form["attrs"], re.I):
                checked += 1
                assert "{% csrf_token %}" in form["body"], f"{path}: POST form without csrf_token"
    assert checked >= 8  # the scan really found the site's forms


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/consent/", {"action": "withdraw"}),
        ("/me/data/download/", {}),
        ("/me/data/erase/", {"password": "x", "confirm": "on"}),
        ("/accounts/logout/", {}),
        ("/accounts/password_change/", {}),
    ],
)
def test_it_refuses_posts_without_a_csrf_token(visitor, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(visitor)
    assert client.post(url, data).status_code == 403
    visitor.visitor_profile.refresh_from_db()
    assert visitor.visitor_profile.has_current_consent()


def test_it_refuses_a_sign_in_without_a_csrf_token(visitor):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": "x"})
    assert response.status_code == 403


# --- Sign-in lockout -----------------------------------------------------------------------


def test_it_locks_out_password_guessing_at_the_login_form(client, visitor, settings):
    from tests.conftest import PASSWORD

    guesses = {"username": "alice", "password": "guess"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", guesses, REMOTE_ADDR="203.0.113.9")
    right = {"username": "alice", "password": PASSWORD}
    locked = client.post("/accounts/login/", right, REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lockout is per username and address: the guesser cannot lock Alice out elsewhere.
    elsewhere = Client().post("/accounts/login/", right, REMOTE_ADDR="198.51.100.4")
    assert elsewhere.status_code == 302


# --- Production settings ------------------------------------------------------------------

SHOW_SECURITY = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "MIDDLEWARE",
]}))
"""


def test_it_secures_cookies_and_headers_in_production():
    completed = run_python(SHOW_SECURITY, PRODUCTION_ENV)
    assert completed.returncode == 0, completed.stderr
    values = json.loads(completed.stdout)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert "museum_site.privacy.middleware.SecurityHeadersMiddleware" in values["MIDDLEWARE"]


def test_it_refuses_to_start_production_with_the_development_secret_key():
    from museum_site import settings as site_settings

    env = {**PRODUCTION_ENV, "SECRET_KEY": site_settings._DEV_SECRET_KEY}
    completed = run_python(SHOW_SECURITY, env)
    assert completed.returncode != 0
    assert "SECRET_KEY is the public development key" in completed.stderr


def test_it_keeps_secrets_out_of_the_repository():
    # Settings read every secret from the environment; no code outside the tests sets one.
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.toml", "*.cfg", "*.ini", "*.env", ".env*"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assignment = re.compile(
        r"^\s*(SECRET_KEY|EMAIL_HOST_PASSWORD|DATABASE_URL|REDIS_URL)\s*=\s*[\"'][^\"']+[\"']", re.M
    )
    offenders = [
        name
        for name in tracked
        if not name.startswith("tests/") and assignment.search((REPO / name).read_text())
    ]
    assert offenders == []


# --- WebSockets ---------------------------------------------------------------------------


def socket_paths() -> list[str]:
    from emotions.routing import websocket_urlpatterns

    paths = []
    for pattern in websocket_urlpatterns:
        route = str(pattern.pattern)
        paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "some-slug", route).lstrip("^"))
    return paths


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [b"https://evil.example", b"null"])
async def test_every_socket_refuses_foreign_origins(origin):
    from museum_site.asgi import application

    paths = socket_paths()
    assert paths, "no WebSocket routes to check"
    for path in paths:
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"origin", origin), (b"host", b"localhost")]
        )
        connected, _ = await communicator.connect()
        assert not connected, path
        await communicator.disconnect()
