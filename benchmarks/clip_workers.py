"""Recorded clips through real Celery workers: throughput of 1 vs 2 (or more) workers.

    .venv/bin/python benchmarks/clip_workers.py                  # 8 clips of 20 s, 1 and 2 workers
    .venv/bin/python benchmarks/clip_workers.py --workers 1 2 4 --clips 12 --seconds 30

All on 127.0.0.1: (re)creates a PostgreSQL database (``--database-url``, default
``museum_bench_clips``), writes one 640x480 MP4 of real FER-2013 faces (as
``benchmarks/clips.py`` does), then for each worker count starts that many
``celery -A museum_site worker --pool=solo`` processes on Redis (``--redis-url``), uploads
``--clips`` copies through ``emotions.clips.clip_create`` (the service the upload page and the
API call: probe, private storage, queue on commit) and waits until every clip is finished.
Prints per worker count: wall time, clips per minute, seconds of video analysed per second,
per-clip latency (upload to finished) p50/p95, readings saved vs expected (every copy must
give the same readings as the first), failures, and the workers' CPU use.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support import (  # noqa: E402
    FER_VAL,
    Child,
    child_start,
    children_stop,
    database_recreate,
    exhibit_prepare,
    percentile,
    results_write,
    site_setup,
    visitor_create,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/museum_bench_clips"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clips", type=int, default=8, help="clips per worker count")
    parser.add_argument("--seconds", type=int, default=20, help="length of each clip")
    parser.add_argument("--fps", type=int, default=30, help="frame rate of the clip")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--faces", type=Path, default=FER_VAL)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per worker count")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    return parser


Worker = Child


def workers_start(count: int, env: dict[str, str], log_dir: Path, tag: str) -> list[Worker]:
    workers = [
        child_start(
            ["celery", "-A", "museum_site", "worker", "--pool=solo", "--concurrency=1"]
            + ["--loglevel=INFO", "--without-gossip", "--without-mingle"]
            + ["-n", f"bench{tag}-{i}@%h"],
            env=env,
            log=log_dir / f"worker-{tag}-{i}.log",
            cwd=REPO_ROOT,
        )
        for i in range(count)
    ]
    deadline = time.monotonic() + 120
    for worker in workers:  # "ready." is celery's own line once it consumes
        while "ready." not in worker.log.read_text(errors="replace"):
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start:\n{worker.log.read_text()[-3000:]}")
            time.sleep(0.5)
    return workers


def site_prepare() -> tuple[Any, Any]:
    """Migrate; create the exhibit and the visitor who sends the clips."""
    exhibit = exhibit_prepare()
    return visitor_create("benchclips").visitor_profile, exhibit


def run_batch(
    workers: int,
    args: argparse.Namespace,
    env: dict[str, str],
    clip_path: Path,
    log_dir: Path,
    site: tuple[Any, Any],
) -> dict[str, Any]:
    from django.core.files import File

    from emotions.clips import clip_create
    from emotions.models import Clip, EmotionReading

    visitor, exhibit = site
    started_workers = workers_start(workers, env, log_dir, str(workers))
    try:
        cpu_before = [w.cpu_seconds() for w in started_workers]
        started = time.perf_counter()
        ids = []
        for i in range(args.clips):
            with clip_path.open("rb") as video:
                clip = clip_create(
                    visitor=visitor,
                    exhibit=exhibit,
                    file=File(video, name=f"bench-{workers}-{i}.mp4"),
                )
            ids.append(clip.pk)
        deadline = time.monotonic() + args.timeout
        while True:
            clips = list(Clip.objects.filter(pk__in=ids))
            if all(c.is_finished for c in clips) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        cpu = [
            (w.cpu_seconds() - b) / wall * 100
            for w, b in zip(started_workers, cpu_before, strict=True)
        ]
    finally:
        children_stop(started_workers)
    latencies = [
        (c.finished_at - c.created_at).total_seconds() for c in clips if c.finished_at is not None
    ]
    per_clip = [EmotionReading.objects.filter(clip_id=pk).count() for pk in ids]
    statuses: dict[str, int] = {}
    for c in clips:
        statuses[c.status] = statuses.get(c.status, 0) + 1
    return {
        "workers": workers,
        "clips": args.clips,
        "clip_seconds": args.seconds,
        "wall_s": wall,
        "clips_per_min": 60 * sum(c.is_finished for c in clips) / wall,
        "video_s_per_s": args.seconds * sum(c.status == "done" for c in clips) / wall,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "readings_saved": sum(per_clip),
        # Every copy is the same video: each must give what the first gave.
        "readings_expected": per_clip[0] * len(per_clip),
        "statuses": statuses,
        "worker_cpu_percent": [round(c) for c in cpu],
    }


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    if not args.faces.is_file():
        raise SystemExit(f"faces not found: {args.faces} (shared/data beside the checkout)")
    print(
        f"clip workers: {args.clips} clips of {args.seconds} s (640x480, {args.fps} fps) per "
        f"run, workers {args.workers}, {os.cpu_count()} CPU cores",
        flush=True,
    )
    database_recreate(args.database_url)
    with tempfile.TemporaryDirectory(prefix="clip-workers-") as tmp:
        tmp_path = Path(tmp)
        env = site_setup(
            args.database_url,
            args.redis_url,
            CLIP_STORAGE_ROOT=str(tmp_path / "clips"),
            MEDIA_ROOT=str(tmp_path / "media"),
        )

        from benchmarks.clips import write_clip  # after set-up: it sets Django up itself

        _flush_queue(args.redis_url)
        site = site_prepare()
        clip_path = tmp_path / "clip.mp4"
        write_clip(clip_path, args.faces, args.seconds, args.fps)
        print(
            f"{'workers':>7} {'wall s':>7} {'clips/min':>9} {'video s/s':>9} "
            f"{'p50 s':>6} {'p95 s':>6} {'readings':>11} {'cpu %':>11}  statuses",
            flush=True,
        )
        rows = []
        for count in args.workers:
            row = run_batch(count, args, env, clip_path, tmp_path, site)
            rows.append(row)
            readings = f"{row['readings_saved']}/{row['readings_expected']}"
            cpu = "+".join(str(c) for c in row["worker_cpu_percent"])
            print(
                f"{count:>7} {row['wall_s']:>7.1f} {row['clips_per_min']:>9.1f} "
                f"{row['video_s_per_s']:>9.1f} {row['latency_p50_s']:>6.1f} "
                f"{row['latency_p95_s']:>6.1f} {readings:>11} {cpu:>11}  {row['statuses']}",
                flush=True,
            )
        shutil.rmtree(tmp_path / "clips", ignore_errors=True)
    results_write(args.json, rows)
    return rows


def _flush_queue(redis_url: str) -> None:
    """Start from an empty broker database: left-over tasks of an aborted run would count."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    main(get_args_parser().parse_args())
