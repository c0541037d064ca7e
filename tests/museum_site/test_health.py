"""``/healthz``: what load balancers, deploy scripts and benchmarks/live_load.py ask a process."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, OperationalError
from django.urls import reverse

from museum_site import health


@pytest.fixture
def model_loaded(monkeypatch):
    """Set whether the process has the emotion model in memory, without loading it."""

    def set_loaded(loaded: bool) -> None:
        monkeypatch.setattr(health, "live_model_loaded", lambda: loaded)

    return set_loaded


class BrokenConnection:
    """Stands in for ``django.db.connection`` while the database is down."""

    def cursor(self):
        raise OperationalError("connection refused")


def test_it_answers_ok_without_sign_in(client, db, model_loaded) -> None:
    """Load balancers probe anonymously, so nothing private may be in the answer."""
    model_loaded(True)
    response = client.get(reverse("healthz"))
    assert reverse("healthz") == "/healthz"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "model": "loaded"}


@pytest.mark.parametrize(
    ("loaded", "preload", "model"),
    [(True, True, "loaded"), (True, False, "loaded"), (False, True, "loading"),
     (False, False, "on_first_use")],
)  # fmt: skip
def test_it_says_whether_the_model_is_ready(
    client, db, settings, model_loaded, loaded, preload, model
) -> None:
    """Route camera traffic to a new process once it says "loaded"; a process that loads the
    model only on first use never will until then, which is not a failure."""
    settings.LIVE_MODEL_PRELOAD = preload
    model_loaded(loaded)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["model"] == model


class FailingQueryConnection:
    """A connection that opens, but whose query fails (e.g. the server went away)."""

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def execute(self, sql, params=None):
        raise DatabaseError("server closed the connection unexpectedly")


@pytest.mark.parametrize("broken", [BrokenConnection, FailingQueryConnection])
def test_it_answers_503_while_the_database_is_unavailable(
    client, db, monkeypatch, model_loaded, caplog, broken
) -> None:
    """Whether the connection cannot open or its query fails, the process cannot serve."""
    model_loaded(True)
    monkeypatch.setattr(health, "connection", broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "model": "loaded",
    }
    assert "the database is unavailable" in caplog.text


def test_it_is_never_cached(client, db, model_loaded) -> None:
    """A proxy must not keep answering "ok" for a process that has since failed."""
    model_loaded(True)
    cache_control = client.get("/healthz")["Cache-Control"]
    assert "no-cache" in cache_control and "no-store" in cache_control


def test_it_only_answers_get(client, db, model_loaded) -> None:
    model_loaded(True)
    assert client.post("/healthz").status_code == 405
