"""scripts/detect_services.py: how the test command picks its database and Redis."""

import importlib.util
import socket
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "detect_services.py"


@pytest.fixture(scope="module")
def detect_services():
    spec = importlib.util.spec_from_file_location("detect_services", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_redis():
    """A one-shot server on a free port that answers PING like Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer():
        connection, _ = server.accept()
        with connection:
            connection.recv(16)
            connection.sendall(b"+PONG\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    thread.join(timeout=5)
    server.close()


def test_it_falls_back_to_sqlite_when_nothing_answers(detect_services, closed_port):
    exports, messages = detect_services.detect(
        {}, postgres=("127.0.0.1", closed_port), redis=("127.0.0.1", closed_port)
    )
    assert exports == {}
    assert messages[0] == f"database: SQLite (no PostgreSQL answered at 127.0.0.1:{closed_port})"
    assert messages[1].startswith("redis: none")


def test_it_uses_postgresql_when_it_answers(detect_services, closed_port, monkeypatch):
    monkeypatch.setattr(detect_services, "postgres_answers", lambda host, port: True)
    exports, messages = detect_services.detect(
        {}, postgres=("127.0.0.1", 5432), redis=("127.0.0.1", closed_port)
    )
    assert exports == {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/museum"}
    assert messages[0].startswith("database: PostgreSQL at 127.0.0.1:5432")


def test_it_keeps_a_database_url_from_the_environment(detect_services, closed_port):
    exports, messages = detect_services.detect(
        {"DATABASE_URL": "sqlite:////tmp/x.sqlite3"},
        postgres=("127.0.0.1", closed_port),
        redis=("127.0.0.1", closed_port),
    )
    assert "DATABASE_URL" not in exports
    assert messages[0] == "database: sqlite from DATABASE_URL already set in the environment"


def test_it_offers_redis_to_the_tests_when_it_answers(detect_services, closed_port, fake_redis):
    exports, messages = detect_services.detect(
        {}, postgres=("127.0.0.1", closed_port), redis=("127.0.0.1", fake_redis)
    )
    assert exports == {"TEST_REDIS_URL": f"redis://127.0.0.1:{fake_redis}/15"}
    assert "REDIS_URL" not in exports
    assert messages[1] == f"redis: 127.0.0.1:{fake_redis}, database 15 (TEST_REDIS_URL)"


def test_it_reports_a_postgres_that_refuses_as_absent(detect_services, closed_port):
    assert detect_services.postgres_answers("127.0.0.1", closed_port) is False
