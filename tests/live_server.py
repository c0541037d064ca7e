"""The whole site under daphne in a subprocess, for real-browser tests.

    from tests.live_server import daphne

    @pytest.fixture
    def site(transactional_db, tmp_path):
        with daphne(tmp_path=tmp_path) as url:
            yield url

The server runs against the test database (pytest-django's ``test_<name>`` PostgreSQL
database; ``transactional_db`` commits the test data so the server sees it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.browser import ARTIFACTS, REPO_ROOT, require_chromium

START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database as a DATABASE_URL for the server process."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "the daphne browser tests need PostgreSQL: another process can't share "
            "the in-memory SQLite test database"
        )
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def daphne(
    *, tmp_path: Path, env: dict[str, str] | None = None, log_artifact: str | None = None
) -> Iterator[str]:
    """Serve the site as ``make run`` does; yields its base URL.

    ``env`` adds to the server's environment. ``log_artifact`` names a copy of the server's
    log kept in ``test-artifacts/`` for whoever debugs a failure.
    """
    require_chromium()
    port = free_port()
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "museum_site.settings",
        "DATABASE_URL": database_url(),
        # A development server: static files from the finders, in-memory channel layer.
        "DEBUG": "1",
        "DJANGO_PRODUCTION": "0",
        **(env or {}),
    }
    server_env.pop("REDIS_URL", None)
    log_path = tmp_path / "daphne.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["museum_site.asgi:application"],
            cwd=REPO_ROOT,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"daphne exited with {server.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"daphne did not answer in time:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if log_artifact is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / log_artifact).write_bytes(log_path.read_bytes())
