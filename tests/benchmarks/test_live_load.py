"""benchmarks/live_load.py, run for real but small: daphne, channels-redis, PostgreSQL and
camera clients streaming real faces, so the figures in docs/scaling.md come from a working
benchmark.

Needs ``TEST_REDIS_URL`` and PostgreSQL (the benchmark creates a database of its own, which
this test drops afterwards); it needs none of pytest-django's test database.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(420)


def _server_url(dbname: str) -> str:
    """A URL for ``dbname`` on the PostgreSQL server the test settings use."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(_server_url("postgres"), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _database_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_benchmark(argv: list[str]) -> subprocess.CompletedProcess:
    """The benchmark in a process of its own (its main() sets Django up with its own
    settings); on a timeout its daphne servers are killed with it."""
    process = subprocess.Popen(
        [sys.executable, "benchmarks/live_load.py", *argv],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the benchmark ran over 300 s\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_the_live_load_benchmark_runs_and_every_reading_is_saved(
    tmp_path: Path, fer_val_path: Path
) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is unset: the benchmark's servers need channels-redis")
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark needs PostgreSQL (run the tests with DATABASE_URL set)")
    if not _postgres_answers():
        pytest.skip(f"PostgreSQL does not answer at {_server_url('postgres')}")

    name = f"museum_bench_{secrets.token_hex(4)}"
    out = tmp_path / "out.json"
    # fmt: off
    argv = [
        "--clients", "1", "2", "--seconds", "3",
        "--database-url", _server_url(name), "--redis-url", redis_url,
        "--faces", str(fer_val_path), "--json", str(out),
    ]
    # fmt: on
    try:
        completed = _run_benchmark(argv)
    finally:
        _database_drop(name)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    rows = json.loads(out.read_text())
    assert [row["clients"] for row in rows] == [1, 2]
    for row in rows:
        assert row["answered"] > 0, row
        assert row["errors"] == {}, row
        # One reading per visitor and second with a face, all of them in the database.
        assert row["readings_saved"] == row["readings_expected"] > 0, row
        assert isinstance(row["p50_ms"], float) and math.isfinite(row["p50_ms"]), row
