"""Settings as a deployment sees them: each case imports settings in a fresh process."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_PRODUCTION": "1",
    "SECRET_KEY": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(50)),
    "ALLOWED_HOSTS": "museum.example",
}
SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "CHANNEL_BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "CHANNEL_CONFIG": settings.CHANNEL_LAYERS["default"].get("CONFIG"),
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_RESULT_BACKEND": getattr(settings, "CELERY_RESULT_BACKEND", None),
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "MODEL_FILE": str(settings.MODEL_FILE),
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "STATICFILES": settings.STORAGES["staticfiles"]["BACKEND"],
    "DB_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "LIVE": {
        name: getattr(settings, name)
        for name in dir(settings)
        if name.startswith("LIVE_")
    },
}))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run Python in a clean environment: only PATH, plus ``env``."""
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "museum_site.settings", **env}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings_with(**env: str) -> dict:
    completed = _run(["-c", SHOW_SETTINGS], env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_it_passes_the_deployment_checklist_in_production_mode():
    completed = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION_ENV)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "System check identified no issues (0 silenced)." in completed.stdout
    assert completed.stderr == ""


def test_it_secures_production_mode():
    values = _settings_with(**PRODUCTION_ENV)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["STATICFILES"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_it_refuses_production_mode_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    completed = _run(["-c", SHOW_SETTINGS], env)
    assert completed.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in completed.stderr


def test_it_refuses_production_mode_without_allowed_hosts():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "ALLOWED_HOSTS"}
    completed = _run(["-c", SHOW_SETTINGS], env)
    assert "ImproperlyConfigured: Set ALLOWED_HOSTS" in completed.stderr


def test_it_refuses_debug_in_production_mode():
    completed = _run(["-c", SHOW_SETTINGS], {**PRODUCTION_ENV, "DEBUG": "1"})
    assert "DEBUG must be off" in completed.stderr


def test_it_runs_on_embedded_defaults_with_nothing_set():
    values = _settings_with()
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"] == str(BASE_DIR / "db.sqlite3")
    assert values["CHANNEL_BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["MODEL_FILE"] == str(BASE_DIR / "ml" / "weights" / "emotion_cnn_int8.pt")


def test_it_uses_postgresql_and_redis_when_configured():
    values = _settings_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/museum",
        REDIS_URL="redis://127.0.0.1:6379/0",
        MODEL_FILE="elsewhere/model.pt",
    )
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "museum"
    assert values["CHANNEL_BACKEND"] == "channels_redis.core.RedisChannelLayer"
    (host,) = values["CHANNEL_CONFIG"]["hosts"]
    assert host["address"] == "redis://127.0.0.1:6379/0"
    # Longer than channels-redis's 5 s blocking wait (see museum_site/env.py).
    assert host["socket_timeout"] > 5
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert values["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:6379/0"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["MODEL_FILE"] == str(BASE_DIR / "elsewhere" / "model.pt")


def test_it_fails_loudly_on_a_malformed_value():
    completed = _run(["-c", SHOW_SETTINGS], {"DEBUG": "perhaps"})
    assert "DEBUG='perhaps' is not a boolean" in completed.stderr


def test_it_installs_the_apps_later_features_plug_into():
    assert settings.INSTALLED_APPS[0] == "daphne"
    for app in ["channels", "museum_site.core", "emotions", "recommendations"]:
        assert app in settings.INSTALLED_APPS
    assert settings.ASGI_APPLICATION == "museum_site.asgi.application"
    assert settings.LOGIN_REDIRECT_URL == "core:visitor_home"


POSTGRES_ENV = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/museum"}


def test_it_pools_postgresql_connections_by_default():
    """Under ASGI every database call of a live socket would otherwise open a connection."""
    values = _settings_with(**POSTGRES_ENV)
    assert values["DB_OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10}
    assert values["CONN_MAX_AGE"] == 0
    sized = _settings_with(**POSTGRES_ENV, DB_POOL_MAX_SIZE="20")
    assert sized["DB_OPTIONS"]["pool"]["max_size"] == 20


def test_it_turns_the_pool_off_for_persistent_connections_or_when_told():
    persistent = _settings_with(**POSTGRES_ENV, DB_CONN_MAX_AGE="60")
    assert "pool" not in persistent["DB_OPTIONS"]
    assert persistent["CONN_MAX_AGE"] == 60
    off = _settings_with(**POSTGRES_ENV, DB_POOL_MAX_SIZE="0")
    assert "pool" not in off["DB_OPTIONS"]
    assert off["CONN_MAX_AGE"] == 0


def test_it_refuses_a_pool_together_with_persistent_connections():
    """Django refuses the two together too, but only at the first query; say it at start-up."""
    completed = _run(
        ["-c", SHOW_SETTINGS], {**POSTGRES_ENV, "DB_CONN_MAX_AGE": "60", "DB_POOL_MAX_SIZE": "4"}
    )
    assert completed.returncode != 0
    assert "ImproperlyConfigured: Use DB_CONN_MAX_AGE or DB_POOL_MAX_SIZE, not both." in (
        completed.stderr
    )


def test_it_never_pools_sqlite():
    assert "pool" not in _settings_with(DB_POOL_MAX_SIZE="4")["DB_OPTIONS"]


def test_it_reads_the_live_camera_settings():
    assert _settings_with()["LIVE"] == {
        "LIVE_MODEL_PRELOAD": True,
        "LIVE_INFERENCE_THREADS": 0,
        "LIVE_FULL_DETECTION_EVERY": 10,
        "LIVE_IDLE_DETECTION_EVERY": 3,
        "LIVE_MIN_FACE_PERCENT": 20,
        "LIVE_MAX_FRAME_WAIT_MS": 60,
    }
    configured = _settings_with(
        LIVE_MODEL_PRELOAD="0",
        LIVE_INFERENCE_THREADS="2",
        LIVE_FULL_DETECTION_EVERY="1",
        LIVE_IDLE_DETECTION_EVERY="5",
        LIVE_MIN_FACE_PERCENT="30",
        LIVE_MAX_FRAME_WAIT_MS="0.5",
    )
    assert configured["LIVE"] == {
        "LIVE_MODEL_PRELOAD": False,
        "LIVE_INFERENCE_THREADS": 2,
        "LIVE_FULL_DETECTION_EVERY": 1,
        "LIVE_IDLE_DETECTION_EVERY": 5,
        "LIVE_MIN_FACE_PERCENT": 30,
        "LIVE_MAX_FRAME_WAIT_MS": 0.5,
    }


def test_it_refuses_a_tracker_that_never_searches_the_whole_frame():
    completed = _run(["-c", SHOW_SETTINGS], {"LIVE_FULL_DETECTION_EVERY": "0"})
    assert "LIVE_FULL_DETECTION_EVERY=0 must be at least 1" in completed.stderr
