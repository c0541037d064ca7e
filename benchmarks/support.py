"""What the benchmark scripts share: where the faces are, child processes, a fresh database,
percentiles, writing results."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real faces for every benchmark: FER-2013's validation split in shared/data beside the checkout.
FER_VAL = REPO_ROOT.parent / "shared" / "data" / "fer2013" / "val.npz"


@dataclass
class Child:
    """A server or worker the benchmark started, with its log."""

    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_stop(children: list[Child], timeout: float = 30) -> None:
    """SIGTERM all (a warm shutdown each), then SIGKILL whoever outlives ``timeout``."""
    for child in children:
        child.process.terminate()
    for child in children:
        try:
            child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def database_recreate(url: str) -> None:
    """Drop and create the benchmark database, so every run starts from the same state."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing odd database name {name!r}")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def child_start(argv: list[str], *, env: dict[str, str], log: Path, cwd: Path) -> Child:
    """Start ``python -m <argv>`` with this interpreter, its output going to ``log``."""
    import sys

    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", *argv], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Child(process, log)


def site_setup(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Configure this process as the benchmark's servers and workers will be, set Django up,
    and return that environment for them (it holds one SECRET_KEY for all: servers accept
    the session cookies this process signs)."""
    import secrets

    env = {
        "DJANGO_SETTINGS_MODULE": "museum_site.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "DJANGO_PRODUCTION": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    os.environ.update(env)
    import django

    django.setup()
    return dict(os.environ)


def exhibit_prepare():
    """Migrate the (fresh) database and create the one exhibit the benchmark visits."""
    from django.core.management import call_command

    from museum_site.core import services

    call_command("migrate", verbosity=0)
    hall = services.hall_create(name="Benchmark Hall", description="Load test.", ordering=1)
    return services.exhibit_create(
        title="Benchmark Exhibit", hall=hall, description="Load test.", tags=[]
    )


def visitor_create(username: str):
    """A signed-up visitor who gave consent; returns the user."""
    import secrets

    from museum_site.core import services

    user = services.user_sign_up(
        username=username,
        email=f"{username}@example.com",
        password=secrets.token_urlsafe(16),
        display_name=username,
    )
    services.consent_give(profile=user.visitor_profile)
    return user


def results_write(path: Path | None, results: Any) -> None:
    """Write a benchmark's results as JSON to ``path`` (``--json``), if one was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1))
