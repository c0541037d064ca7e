"""Live camera load test: N signed-in visitors streaming real faces to daphne over WebSockets.

    .venv/bin/python benchmarks/live_load.py                       # N = 1 5 10 20 40, 5 fps
    .venv/bin/python benchmarks/live_load.py --servers 2 --server-env LIVE_INFERENCE_THREADS=1
    .venv/bin/python benchmarks/live_load.py --client firehose     # no client back-pressure
    .venv/bin/python benchmarks/live_load.py --clients 20 --profile benchmarks/results/prof

What it does, all on 127.0.0.1:

1. (Re)creates a PostgreSQL database (``--database-url``, default ``museum_bench``), migrates
   it, and creates one exhibit and, for each N, N visitors of its own who gave consent, each
   signed in with a real session cookie.
2. Starts ``--servers`` daphne processes on the platform's settings with that database and
   channels-redis on ``--redis-url`` (as a scaled-out site runs), and waits until
   ``/healthz`` says the model is loaded.
3. For each N: N clients connect to ``/ws/exhibits/<slug>/camera/`` (round-robin over the
   servers, as a load balancer would) and send 320x240 JPEG frames at ``--fps`` for
   ``--seconds``. ``--client browser`` (default) behaves as ``static/emotions/camera.js``:
   a tick whose previous frame is still unanswered is skipped (for up to 2 s).
   ``--client firehose`` sends on every tick, so only the server's own dropping (latest
   frame wins, and shedding) can bound the latency. A client's frames show one real face
   from FER-2013's validation set, swaying a little, its expression changing every two
   seconds.
4. Prints per N: frames sent, ticks skipped by the client, answered, dropped by the server
   (a waiting frame replaced by a newer one, or a frame shed as "skipped" because it waited
   over ``LIVE_MAX_FRAME_WAIT_MS`` for a model thread),
   answered frames/s, round trip p50/p95/p99 (send to answer), readings saved in PostgreSQL
   vs expected (one per visitor and second in which an answer showed a face: the answers
   name that second), errors, and the CPU use of the servers and of the clients (they share
   the machine).

``--profile DIR`` samples the first server with py-spy (without pausing it) while
``--profile-at`` clients run, and prints the functions where the time goes.
``--server-env KEY=VALUE`` passes settings to the servers (docs/scaling.md uses it to measure
the platform with and without each change). ``--json FILE`` writes the results.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/museum_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
FRAME_SIZE = (320, 240)  # what camera.js sends
JPEG_QUALITY = 70  # camera.js: canvas.toBlob("image/jpeg", 0.7)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 5, 10, 20, 40])
    parser.add_argument("--fps", type=float, default=5.0, help="frames/s per client")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each N")
    parser.add_argument("--servers", type=int, default=1, help="daphne processes")
    parser.add_argument(
        "--client",
        choices=["browser", "firehose"],
        default="browser",
        help="browser: like camera.js, the next frame goes out once the previous one was "
        "answered (or after 2 s), ticks skipped meanwhile are counted; firehose: every tick "
        "sends, so the server's own dropping must bound the latency (default: %(default)s)",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--faces", type=Path, default=FER_VAL)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the daphne processes (repeatable)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy the first server, into this folder")
    parser.add_argument(
        "--profile-at", type=int, default=20, help="the N to profile (default: %(default)s)"
    )
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--keep-logs", type=Path, help="copy the daphne logs to this folder")
    return parser


# --- Set-up: database, visitors, servers ----------------------------------------------------


def site_prepare(visitors: int) -> tuple[str, list[tuple[int, str]]]:
    """Migrate; create an exhibit and consenting visitors -> (slug, [(profile id, cookie)])."""
    from django.conf import settings
    from django.test import Client

    exhibit = exhibit_prepare()
    sessions = []
    for i in range(visitors):
        user = visitor_create(f"bench{i:03d}")
        client = Client()
        client.force_login(user)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        sessions.append((user.visitor_profile.pk, cookie))
    return exhibit.slug, sessions


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server(Child):
    port: int = 0


def servers_start(
    count: int, args: argparse.Namespace, site_env: dict[str, str], log_dir: Path
) -> list[Server]:
    env = dict(site_env)
    for item in args.server_env:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--server-env wants KEY=VALUE, got {item!r}")
        env[key] = value
    servers = []
    for i in range(count):
        port = free_port()
        child = child_start(
            ["daphne", "-b", "127.0.0.1", "-p", str(port), "museum_site.asgi:application"],
            env=env,
            log=log_dir / f"daphne-{i}.log",
            cwd=REPO_ROOT,
        )
        servers.append(Server(child.process, child.log, port))
    for server in servers:
        server_wait_ready(server)
    return servers


def server_wait_ready(server: Server, timeout: float = 120) -> None:
    """Until ``/healthz`` answers 200 with the model loaded (the site preloads it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"daphne exited:\n{server.log.read_text()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{server.port}/healthz"
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                # "on_first_use": started with LIVE_MODEL_PRELOAD=0, as before the preload.
                if json.load(response).get("model") in {"loaded", "on_first_use"}:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"daphne not ready after {timeout} s:\n{server.log.read_text()[-3000:]}")


# --- Frames: a moving real face per client ------------------------------------------------


def face_streams(faces_file: Path, count: int, frames_each: int, fps: float) -> list[list[bytes]]:
    """``count`` JPEG sequences: one face drifting slowly, its expression changing every 2 s."""
    import cv2
    import numpy as np

    from ml.data import load_npz

    faces = load_npz(faces_file).images
    rng = np.random.default_rng(0)
    width, height = FRAME_SIZE
    streams = []
    for _ in range(count):
        side = int(rng.integers(90, 130))
        background = cv2.GaussianBlur(
            rng.integers(60, 200, (height, width), dtype=np.uint8), (0, 0), 6
        )
        x0, y0 = int(rng.integers(20, width - side - 20)), (height - side) // 2
        picks = rng.choice(len(faces), max(1, int(frames_each / (2 * fps)) + 1), replace=False)
        stream = []
        for k in range(frames_each):
            t = k / fps
            face = cv2.resize(
                faces[picks[int(t // 2) % len(picks)]], (side, side), interpolation=cv2.INTER_CUBIC
            )
            x = int(x0 + 12 * np.sin(t * 1.3))  # a visitor sways a little
            y = int(y0 + 5 * np.sin(t * 0.7))
            frame = background.copy()
            frame[y : y + side, x : x + side] = face
            ok, jpeg = cv2.imencode(
                ".jpg",
                cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
            )
            if not ok:
                raise RuntimeError("OpenCV could not encode a JPEG")
            stream.append(jpeg.tobytes())
        streams.append(stream)
    return streams


# --- Clients --------------------------------------------------------------------------------


@dataclass
class ClientStats:
    profile_id: int
    sent: int = 0
    answered: int = 0
    answered_with_faces: int = 0
    last_frame: int = 0
    skipped: int = 0
    first_ms: float = float("nan")
    dropped: int = 0
    round_trips_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    seconds_with_faces: set[str] = field(default_factory=set)
    errors: collections.Counter = field(default_factory=collections.Counter)


async def camera_client(
    url: str,
    origin: str,
    cookie: str,
    profile_id: int,
    frames: list[bytes],
    fps: float,
    seconds: float,
    start_at: float,
    back_pressure: bool,
) -> ClientStats:
    from websockets.asyncio.client import connect

    stats = ClientStats(profile_id)
    sent_at: dict[int, float] = {}
    try:
        async with connect(
            url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=30
        ) as ws:
            ready = json.loads(await ws.recv())
            if ready.get("type") != "ready":
                stats.errors[f"refused: {ready.get('code')}"] += 1
                return stats
            await ws.send(json.dumps({"type": "config", "fps": fps}))

            async def receive() -> None:
                async for message in ws:
                    reply = json.loads(message)
                    kind = reply.get("type")
                    if kind == "result":
                        stats.answered += 1
                        stats.last_frame = reply["frame"]
                        stats.dropped = reply["dropped"]
                        sent = sent_at.pop(reply["frame"], None)
                        if sent is not None:
                            stats.round_trips_ms.append((time.perf_counter() - sent) * 1000)
                            if reply["frame"] == 1:
                                stats.first_ms = stats.round_trips_ms[-1]
                        stats.server_ms.append(reply["server_ms"])
                        if reply["faces"]:
                            stats.answered_with_faces += 1
                            stats.seconds_with_faces.add(reply["second"])
                    elif kind == "skipped":
                        # The server shed the frame (it waited too long for a model thread):
                        # by design under overload, counted with the server's drops.
                        stats.last_frame = reply["frame"]
                        stats.dropped = reply["dropped"]
                        sent_at.pop(reply["frame"], None)
                    elif kind == "error":
                        stats.errors[reply.get("code", "error")] += 1

            receiver = asyncio.create_task(receive())
            await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
            # Real cameras start at independent moments: each client's ticks fall at its own
            # random (seeded) point of the frame interval. (Consecutive visitor ids used to
            # bunch 20 clients' frames into the first fifth of the interval.)
            await asyncio.sleep(random.Random(profile_id).random() / fps)  # noqa: S311
            began = time.perf_counter()
            k = 0
            while (due := began + k / fps) < began + seconds:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                k += 1
                if back_pressure and sent_at and time.perf_counter() - max(sent_at.values()) < 2.0:
                    stats.skipped += 1  # camera.js: still waiting for the previous answer
                    continue
                stats.sent += 1
                sent_at[stats.sent] = time.perf_counter()  # the server numbers frames 1, 2...
                await ws.send(frames[(k - 1) % len(frames)])
            # The last frame is always answered (a result, or "skipped" if the server shed
            # it; only older waiting frames are dropped silently): its answer closes the run.
            # Wait for it, but not for ever.
            deadline = time.perf_counter() + 5.0
            while stats.last_frame < stats.sent and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
            receiver.cancel()
    except Exception as exc:  # a refused or broken connection is a result, not a crash
        stats.errors[type(exc).__name__] += 1
    return stats


def readings_count(profile_ids: list[int], since: datetime) -> int:
    from emotions.models import EmotionReading

    return EmotionReading.objects.filter(
        visitor_id__in=profile_ids, source="live", recorded_at__gte=since
    ).count()


def run_level(
    n: int,
    args: argparse.Namespace,
    servers: list[Server],
    slug: str,
    sessions: list[tuple[int, str]],
    streams: list[list[bytes]],
) -> dict[str, Any]:
    from django.utils import timezone

    since = timezone.now().replace(microsecond=0)
    cpu_before = [s.cpu_seconds() for s in servers]
    own_cpu_before = time.process_time()
    started = time.perf_counter()

    async def all_clients() -> list[ClientStats]:
        start_at = time.perf_counter() + 2.0  # let every client connect first
        tasks = []
        for i in range(n):
            server = servers[i % len(servers)]
            base = f"127.0.0.1:{server.port}"
            profile_id, cookie = sessions[i]
            tasks.append(
                camera_client(
                    f"ws://{base}/ws/exhibits/{slug}/camera/",
                    f"http://{base}",
                    cookie,
                    profile_id,
                    streams[i % len(streams)],
                    args.fps,
                    args.seconds,
                    start_at,
                    args.client == "browser",
                )
            )
        return await asyncio.gather(*tasks)

    profiler = None
    if args.profile and n == args.profile_at:
        profiler = profile_start(servers[0], args.profile, n, args.seconds)
    results = asyncio.run(all_clients())
    wall = time.perf_counter() - started
    cpu = [(s.cpu_seconds() - b) / wall * 100 for s, b in zip(servers, cpu_before, strict=True)]
    # The clients share the machine's cores with the servers: say how much they took.
    own_cpu = (time.process_time() - own_cpu_before) / wall * 100
    if profiler is not None:
        profile_finish(profiler, args.profile, n)

    profile_ids = [r.profile_id for r in results]
    expected = sum(len(r.seconds_with_faces) for r in results)
    # The last second of each socket is written as it closes: give the servers a moment.
    saved, deadline = 0, time.monotonic() + 15
    while time.monotonic() < deadline:
        saved = readings_count(profile_ids, since)
        if saved >= expected:
            break
        time.sleep(0.5)
    round_trips = [ms for r in results for ms in r.round_trips_ms]
    sent = sum(r.sent for r in results)
    answered = sum(r.answered for r in results)
    errors = collections.Counter()
    for r in results:
        errors.update(r.errors)
    return {
        "clients": n,
        "servers": len(servers),
        "fps": args.fps,
        "seconds": args.seconds,
        "sent": sent,
        "answered": answered,
        # Answers that showed a face: the tracker's full searches run after the answer, so a
        # face that was lost or stepped in shows from the next frame (docs/scaling.md).
        "answered_with_faces": sum(r.answered_with_faces for r in results),
        "dropped": sum(r.dropped for r in results),
        "skipped": sum(r.skipped for r in results),
        "client": args.client,
        "answered_per_s": answered / args.seconds,
        "p50_ms": percentile(round_trips, 50),
        "p95_ms": percentile(round_trips, 95),
        "p99_ms": percentile(round_trips, 99),
        # From the frame's arrival to its answer, as the server measured it: the rest of the
        # round trip is the network, the event loops of both ends and the client's own CPU.
        "server_p50_ms": percentile([ms for r in results for ms in r.server_ms], 50),
        "server_p95_ms": percentile([ms for r in results for ms in r.server_ms], 95),
        # The slowest first answer: a process that loads the model on first use shows it here.
        "first_frame_max_ms": max((r.first_ms for r in results), default=float("nan")),
        "readings_expected": expected,
        "readings_saved": saved,
        "errors": dict(errors),
        "server_cpu_percent": [round(c) for c in cpu],
        "client_cpu_percent": round(own_cpu),
    }


# --- Profiling ----------------------------------------------------------------------------


def profile_start(server: Server, out_dir: Path, n: int, seconds: float) -> subprocess.Popen:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    out_dir.mkdir(parents=True, exist_ok=True)
    # --nonblocking: sampling must not pause the server (it distorts the figures a lot).
    common = ["--pid", str(server.process.pid), "--duration", str(int(seconds)), "--rate", "100"]
    common.append("--nonblocking")
    return subprocess.Popen(  # noqa: S603 - py-spy from our venv
        [py_spy, "record", *common, "--format", "raw", "-o", str(out_dir / f"live_{n}.txt")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def profile_finish(profiler: subprocess.Popen, out_dir: Path, n: int) -> None:
    profiler.wait(timeout=120)
    raw = out_dir / f"live_{n}.txt"
    if not raw.is_file():
        print("py-spy wrote no profile (is ptrace allowed here?)")
        return
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    ours = ("ml/", "emotions/", "museum_site/")
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if any(f"({part}" in frame for part in ours):
                inclusive[frame] += int(count)
    print(f"\npy-spy, server 0 at N={n}: {total} samples of busy threads")
    print("  by own time:")
    for frame, count in own.most_common(10):
        print(f"  {100 * count / total:5.1f} %  {frame}")
    print("  our code, inclusive of what it calls:")
    for frame, count in inclusive.most_common(12):
        print(f"  {100 * count / total:5.1f} %  {frame}")


# --- Main ---------------------------------------------------------------------------------


TABLE_HEAD = (
    f"{'N':>3} {'srv':>3} {'sent':>6} {'skipped':>7} {'answered':>8} {'dropped':>7} {'ans/s':>6} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'srv p95':>7} {'readings':>11} {'srv cpu%':>9} "
    f"{'cli cpu%':>8}  errors"
)


def table_row(r: dict[str, Any]) -> str:
    cpu = "+".join(str(c) for c in r["server_cpu_percent"])
    readings = f"{r['readings_saved']}/{r['readings_expected']}"
    return (
        f"{r['clients']:>3} {r['servers']:>3} {r['sent']:>6} {r['skipped']:>7} {r['answered']:>8} "
        f"{r['dropped']:>7} {r['answered_per_s']:>6.1f} {r['p50_ms']:>7.1f} "
        f"{r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['server_p95_ms']:>7.1f} {readings:>11} "
        f"{cpu:>9} "
        f"{r['client_cpu_percent']:>8}  "
        f"{r['errors'] or '-'}"
    )


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    if not args.faces.is_file():
        raise SystemExit(f"faces not found: {args.faces} (shared/data beside the checkout)")
    print(
        f"live load: clients {args.clients} at {args.fps} fps for {args.seconds} s each, "
        f"{args.servers} daphne process(es), {args.client} clients, {os.cpu_count()} CPU cores",
        flush=True,
    )
    database_recreate(args.database_url)
    server_env = site_setup(args.database_url, args.redis_url)
    # Each N gets visitors of its own, so a late write of one N never counts for the next.
    slug, sessions = site_prepare(sum(args.clients))
    streams = face_streams(args.faces, 16, int(10 * args.fps), args.fps)
    with tempfile.TemporaryDirectory(prefix="live-load-") as tmp:
        servers = servers_start(args.servers, args, server_env, Path(tmp))
        try:
            rows = []
            print(TABLE_HEAD, flush=True)
            first = 0
            for n in args.clients:
                level_sessions = sessions[first : first + n]
                first += n
                rows.append(run_level(n, args, servers, slug, level_sessions, streams))
                print(table_row(rows[-1]), flush=True)
        finally:
            children_stop(servers)
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for log in Path(tmp).glob("*.log"):
                    shutil.copy(log, args.keep_logs / log.name)
    results_write(args.json, rows)
    return rows


if __name__ == "__main__":
    main(get_args_parser().parse_args())
