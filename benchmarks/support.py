"""What the benchmark scripts share: child processes, a fresh database, percentiles."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


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
