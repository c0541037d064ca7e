"""Typed helpers that read settings from the environment and fail loudly.

Django-free on purpose: ``settings.py`` calls them before Django is configured, and
``tests/museum_site/test_env.py`` exercises them with plain dictionaries. Every helper
takes the mapping to read from (``os.environ`` by default) and raises
``ImproperlyConfigured`` naming the variable when a value is present but unusable, so a
typo in a deployment never degrades silently into a default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import environ
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_DATABASE_ENGINES = frozenset(
    {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
)

Number = TypeVar("Number", int, float)

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off", ""})


def _raw(name: str, environ_: Mapping[str, str] | None) -> str | None:
    source = os.environ if environ_ is None else environ_
    value = source.get(name)
    return None if value is None else value.strip()


def env_str(
    name: str, default: str | None = None, *, environ_: Mapping[str, str] | None = None
) -> str:
    """Return the variable as a string; without a default, it is required."""
    value = _raw(name, environ_)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ_: Mapping[str, str] | None = None) -> bool:
    """Parse 1/0, true/false, yes/no, on/off (any case); anything else is an error."""
    value = _raw(name, environ_)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off."
    )


def env_number(
    name: str,
    default: Number,
    *,
    minimum: Number | None = None,
    environ_: Mapping[str, str] | None = None,
) -> Number:
    """Parse a number of the default's type, optionally bounded below: a base-10 integer
    for an ``int`` default (``"4.5"`` is refused), a finite decimal (``"0.5"``) for a
    ``float`` one."""
    value = _raw(name, environ_)
    if value is None or value == "":
        return default
    is_int = isinstance(default, int)
    kind = "an integer" if is_int else "a number"
    try:
        number = int(value, 10) if is_int else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {kind}.") from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name}={value!r} is not {kind}.")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ_: Mapping[str, str] | None = None
) -> list[str]:
    """Split a comma-separated value, dropping blanks (``"a, b,"`` → ``["a", "b"]``)."""
    value = _raw(name, environ_)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(
    name: str, default: Path, *, base_dir: Path, environ_: Mapping[str, str] | None = None
) -> Path:
    """Return a path; relative values are taken relative to ``base_dir``."""
    value = _raw(name, environ_)
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def env_secret(
    name: str,
    *,
    dev_default: str | None,
    environ_: Mapping[str, str] | None = None,
) -> str:
    """Return a secret. ``dev_default`` is only allowed when the caller runs in DEBUG.

    Pass ``dev_default=None`` outside DEBUG: a missing or blank secret then raises.
    """
    value = _raw(name, environ_)
    if value:
        return value
    if dev_default is None:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable (required when DEBUG is off)."
        )
    return dev_default


def env_database(
    name: str, default: str, *, environ_: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Parse a database URL (``sqlite:///path``, ``postgres://user@host:5432/name``).

    ``postgres://`` maps to ``django.db.backends.postgresql``, which uses psycopg 3.
    """
    url = env_str(name, default, environ_=environ_) or default
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from exc
    if config.get("ENGINE") not in SUPPORTED_DATABASE_ENGINES:
        scheme = url.split(":", 1)[0]
        raise ImproperlyConfigured(
            f"{name} uses the unsupported scheme {scheme!r}; use sqlite:/// or postgres://."
        )
    return config


def env_email(name: str, *, environ_: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse an optional e-mail URL (``smtp+tls://user:pass@host:587``) into EMAIL_* settings.

    Returns an empty dict when the variable is unset, so the caller keeps its default backend.
    """
    url = env_str(name, "", environ_=environ_)
    if not url:
        return {}
    try:
        config = environ.Env.email_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} is not a usable e-mail URL: {exc}") from exc
    # Keep only what the URL actually set, so Django's defaults stand for the rest.
    return {key: value for key, value in config.items() if value not in (None, "")}


# channels-redis waits for messages with a blocking BZPOPMIN of 5 s. redis-py 8 reads with a
# default socket timeout of 5 s, so every idle socket's wait failed with "Timeout reading from
# ..." and daphne closed it with 1011 (django/channels_redis#422). The read timeout must
# outlast the blocking wait; a dead Redis is still noticed, after this long.
CHANNEL_LAYER_SOCKET_TIMEOUT = 30
CHANNEL_LAYER_CONNECT_TIMEOUT = 5


def redis_channel_layer(url: str, **config: Any) -> dict[str, Any]:
    """CHANNEL_LAYERS["default"] for channels-redis at ``url`` (``config``: prefix, capacity...)."""
    host = {
        "address": url,
        "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT,
        "socket_connect_timeout": CHANNEL_LAYER_CONNECT_TIMEOUT,
    }
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], **config},
    }
