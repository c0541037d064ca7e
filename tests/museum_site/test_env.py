"""The environment helpers behind settings.py: typed, and loud about bad values."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from museum_site.env import (
    env_bool,
    env_database,
    env_email,
    env_list,
    env_number,
    env_path,
    env_secret,
    env_str,
)


def test_it_reads_strings_and_requires_them_without_a_default():
    assert env_str("NAME", "dflt", environ_={}) == "dflt"
    assert env_str("NAME", environ_={"NAME": "  value "}) == "value"
    with pytest.raises(ImproperlyConfigured, match="NAME"):
        env_str("NAME", environ_={})


@pytest.mark.parametrize(
    "raw, expected",
    [("1", True), ("TRUE", True), ("yes", True), ("on", True), ("0", False), ("off", False)],
)
def test_it_parses_booleans(raw, expected):
    assert env_bool("FLAG", not expected, environ_={"FLAG": raw}) is expected


def test_it_rejects_booleans_it_does_not_understand():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool("DEBUG", False, environ_={"DEBUG": "maybe"})


def test_it_parses_integers_with_a_lower_bound():
    assert env_number("N", 3, environ_={}) == 3
    assert env_number("N", 3, environ_={"N": "42"}) == 42
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_number("N", 3, environ_={"N": "4.5"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_number("N", 3, minimum=1, environ_={"N": "0"})


def test_it_parses_decimal_numbers_with_a_lower_bound():
    assert env_number("X", 60.0, environ_={}) == 60.0
    assert env_number("X", 60.0, environ_={"X": "0.5"}) == 0.5
    assert isinstance(env_number("X", 60.0, environ_={"X": "7"}), float)
    assert isinstance(env_number("N", 3, environ_={"N": "7"}), int)
    for bad in ("fast", "nan", "inf"):
        with pytest.raises(ImproperlyConfigured, match="X=.* is not a number"):
            env_number("X", 60.0, environ_={"X": bad})
    with pytest.raises(ImproperlyConfigured, match="must be at least 0"):
        env_number("X", 60.0, minimum=0, environ_={"X": "-1"})


def test_it_splits_lists_and_drops_blanks():
    assert env_list("HOSTS", ["x"], environ_={}) == ["x"]
    assert env_list("HOSTS", [], environ_={"HOSTS": " a.example, b.example ,"}) == [
        "a.example",
        "b.example",
    ]


def test_it_resolves_relative_paths_against_the_base_dir(tmp_path):
    default = tmp_path / "default.pt"
    assert env_path("P", default, base_dir=tmp_path, environ_={}) == default
    assert (
        env_path("P", default, base_dir=tmp_path, environ_={"P": "w/m.pt"}) == tmp_path / "w/m.pt"
    )
    assert env_path("P", default, base_dir=tmp_path, environ_={"P": "/abs/m.pt"}) == Path(
        "/abs/m.pt"
    )


def test_it_only_falls_back_to_a_development_secret_when_allowed():
    assert env_secret("SECRET_KEY", dev_default="dev", environ_={}) == "dev"
    assert env_secret("SECRET_KEY", dev_default=None, environ_={"SECRET_KEY": "s"}) == "s"
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env_secret("SECRET_KEY", dev_default=None, environ_={"SECRET_KEY": " "})


def test_it_parses_sqlite_and_postgres_urls():
    sqlite = env_database("DATABASE_URL", "sqlite:////tmp/museum.sqlite3", environ_={})
    assert (sqlite["ENGINE"], sqlite["NAME"]) == (
        "django.db.backends.sqlite3",
        "/tmp/museum.sqlite3",
    )
    postgres = env_database(
        "DATABASE_URL",
        "sqlite:///x",
        environ_={"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/museum"},
    )
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"]) == ("127.0.0.1", 5432, "museum")


def test_it_rejects_unsupported_databases():
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme 'mysql'"):
        env_database("DATABASE_URL", "sqlite:///x", environ_={"DATABASE_URL": "mysql://h/db"})


def test_it_parses_an_optional_email_url():
    assert env_email("EMAIL_URL", environ_={}) == {}
    smtp = env_email("EMAIL_URL", environ_={"EMAIL_URL": "smtp+tls://u:p@mail.example:587"})
    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == (
        "mail.example",
        587,
        True,
    )
