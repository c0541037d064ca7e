"""Pick the database and Redis for the test suite, and say which were picked.

Run by scripts/test.sh as ``eval "$(python scripts/detect_services.py)"``: prints
``export NAME=value`` lines on stdout and one human-readable line per service on stderr.

- Database: a ``DATABASE_URL`` already in the environment is kept. Otherwise, when the
  local PostgreSQL accepts user ``postgres``, ``DATABASE_URL`` points at it (pytest-django
  then creates and drops ``test_museum``); when it does not, settings fall back to SQLite.
- Redis: ``TEST_REDIS_URL`` (database 15) is set when a local Redis answers PING. It is
  for tests that need a real Redis; ``REDIS_URL`` stays unset so the suite keeps the
  in-memory channel layer and eager Celery unless a test asks otherwise.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Mapping

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
POSTGRES_URL = f"postgres://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/museum"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/15"


def postgres_answers(host: str, port: int, *, timeout: float = 2.0) -> bool:
    """True when PostgreSQL accepts a connection as user postgres (trust auth)."""
    try:
        import psycopg
    except ImportError:  # not installed yet: a TCP answer is the best we can check
        return _tcp_answers(host, port, timeout=timeout)
    try:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=timeout
        ):
            return True
    except psycopg.Error:
        return False


def redis_answers(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """True when a Redis server at host:port replies +PONG to PING."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _tcp_answers(host: str, port: int, *, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def detect(
    environ: Mapping[str, str],
    *,
    postgres: tuple[str, int] = (POSTGRES_HOST, POSTGRES_PORT),
    redis: tuple[str, int] = (REDIS_HOST, REDIS_PORT),
) -> tuple[dict[str, str], list[str]]:
    """Return (variables to export, messages describing the choice)."""
    exports: dict[str, str] = {}
    messages: list[str] = []

    if environ.get("DATABASE_URL"):
        scheme = environ["DATABASE_URL"].split(":", 1)[0]
        messages.append(f"database: {scheme} from DATABASE_URL already set in the environment")
    elif postgres_answers(*postgres):
        host, port = postgres
        exports["DATABASE_URL"] = f"postgres://postgres@{host}:{port}/museum"
        messages.append(
            f"database: PostgreSQL at {host}:{port} (tests run in a fresh test_museum database)"
        )
    else:
        host, port = postgres
        messages.append(f"database: SQLite (no PostgreSQL answered at {host}:{port})")

    if environ.get("TEST_REDIS_URL"):
        messages.append("redis: TEST_REDIS_URL already set in the environment")
    elif redis_answers(*redis):
        host, port = redis
        exports["TEST_REDIS_URL"] = f"redis://{host}:{port}/15"
        messages.append(f"redis: {host}:{port}, database 15 (TEST_REDIS_URL)")
    else:
        host, port = redis
        messages.append(f"redis: none at {host}:{port}; tests that need Redis are skipped")

    return exports, messages


def main() -> int:
    exports, messages = detect(os.environ)
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")
    for message in messages:
        print(message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
