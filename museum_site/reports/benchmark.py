"""Benchmark data for the reports, and the timing of every report page against it.

Used by ``manage.py bench_reports``. The data imitates how readings arise: visitors make
visits, stop at a few exhibits, and the camera (or an uploaded clip) yields one reading per
second of a stop. Each exhibit has its own emotional character, so rankings differ.

Everything generated is marked with the ``bench-`` prefix (hall and exhibit slugs, user
names) so that it can be found and deleted again. Readings go in with PostgreSQL's COPY
(a million rows in well under a minute); other databases get batched INSERTs.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from emotions.models import Clip, ClipStatus, EmotionReading, ReadingSource
from ml import EMOTIONS
from museum_site.core.models import Exhibit, Hall, Visit, VisitExhibit, VisitorProfile
from museum_site.reports.dates import report_time_zone
from museum_site.reports.models import ReadingRollup

PREFIX = "bench-"
ADMIN_USERNAME = f"{PREFIX}admin"
BATCH = 5000


@dataclass(frozen=True)
class BenchSpec:
    readings: int = 1_000_000
    exhibits: int = 50
    visitors: int = 10_000
    halls: int = 5
    days: int = 90
    clip_share: float = 0.1
    seed: int = 7


@dataclass(frozen=True)
class Timing:
    name: str
    url: str
    status: int
    first_ms: float
    median_ms: float
    max_ms: float
    queries: int
    size_bytes: int


def bench_data_exists() -> bool:
    return (
        Exhibit.objects.filter(slug__startswith=PREFIX).exists()
        or get_user_model().objects.filter(username__startswith=f"{PREFIX}visitor-").exists()
    )


def bench_data_delete() -> dict[str, int]:
    """Remove everything a previous run generated (readings, clips, visits, users, places)."""
    exhibits = Exhibit.objects.filter(slug__startswith=PREFIX)
    users = get_user_model().objects.filter(username__startswith=PREFIX)
    visitors = VisitorProfile.objects.filter(user__in=users)
    counts: dict[str, int] = {}
    with transaction.atomic():
        # Children first, so that each delete is one statement rather than a Python cascade.
        for label, queryset in [
            (
                "readings",
                EmotionReading.objects.filter(Q(exhibit__in=exhibits) | Q(visitor__in=visitors)),
            ),
            ("rollup rows", ReadingRollup.objects.filter(exhibit__in=exhibits)),
            ("clips", Clip.objects.filter(Q(exhibit__in=exhibits) | Q(visitor__in=visitors))),
            (
                "stops",
                VisitExhibit.objects.filter(
                    Q(exhibit__in=exhibits) | Q(visit__visitor__in=visitors)
                ),
            ),
            ("visits", Visit.objects.filter(visitor__in=visitors)),
            ("visitor profiles", visitors),
            ("users", users),
            ("exhibits", exhibits),
            ("halls", Hall.objects.filter(slug__startswith=PREFIX)),
        ]:
            counts[label] = queryset.delete()[0]
    return counts


@dataclass
class _Stop:
    visit_index: int
    exhibit_id: int
    visitor_id: int
    started_at: datetime
    readings: int
    dwell: int
    clip: bool


def _plan(
    spec: BenchSpec, *, exhibit_ids: list[int], visitor_ids: list[int], today: date
) -> tuple[list[tuple[int, datetime, datetime]], list[_Stop]]:
    """Visits (visitor, start, end) and their stops, adding up to exactly ``spec.readings``."""
    rng = random.Random(spec.seed)  # noqa: S311  (reproducible test data, not secrets)
    tz = report_time_zone()
    visits: list[tuple[int, datetime, datetime]] = []
    stops: list[_Stop] = []
    remaining = spec.readings
    max_stops = min(7, len(exhibit_ids))
    while remaining > 0:
        visitor_id = rng.choice(visitor_ids)
        day = today - timedelta(days=rng.randrange(spec.days))
        start = datetime(
            day.year, day.month, day.day, rng.randrange(9, 17), rng.randrange(60), tzinfo=tz
        )
        at = start
        for exhibit_id in rng.sample(exhibit_ids, rng.randint(min(3, max_stops), max_stops)):
            if remaining <= 0:
                break
            readings = min(remaining, rng.randint(5, 25))  # seconds of camera at this stop
            remaining -= readings
            dwell = readings + rng.randrange(60)
            stops.append(
                _Stop(
                    visit_index=len(visits),
                    exhibit_id=exhibit_id,
                    visitor_id=visitor_id,
                    started_at=at,
                    readings=readings,
                    dwell=dwell,
                    clip=rng.random() < spec.clip_share,
                )
            )
            at += timedelta(seconds=dwell + rng.randrange(30, 120))
        visits.append((visitor_id, start, at))
    return visits, stops


def _characters(spec: BenchSpec, exhibits: int) -> np.ndarray:
    """Per exhibit, the Dirichlet concentration its readings are drawn from."""
    rng = np.random.default_rng(spec.seed)
    base = rng.dirichlet(np.full(len(EMOTIONS), 0.7), size=exhibits)
    neutral = EMOTIONS.index("neutral")
    base[:, neutral] += 0.6  # faces in a museum are mostly calm
    base /= base.sum(axis=1, keepdims=True)
    return base * 12 + 0.05


def _reading_rows(
    spec: BenchSpec,
    stops: list[_Stop],
    *,
    visit_ids: list[int],
    clip_ids: dict[int, int],
    exhibit_index: dict[int, int],
) -> Iterator[dict[str, object]]:
    rng = np.random.default_rng(spec.seed + 1)
    characters = _characters(spec, len(exhibit_index))
    for number, stop in enumerate(stops):
        probabilities = rng.dirichlet(
            characters[exhibit_index[stop.exhibit_id]], size=stop.readings
        )
        faces = np.where(rng.random(stop.readings) < 0.1, 2, 1)
        clip_id = clip_ids.get(number)
        for second in range(stop.readings):
            row = probabilities[second]
            top = int(row.argmax())
            yield {
                "visitor_id": stop.visitor_id,
                "visit_id": visit_ids[stop.visit_index],
                "exhibit_id": stop.exhibit_id,
                "clip_id": clip_id,
                "recorded_at": stop.started_at + timedelta(seconds=second),
                "offset_seconds": float(second) if clip_id else None,
                "source": ReadingSource.CLIP if clip_id else ReadingSource.LIVE,
                "label": EMOTIONS[top],
                "confidence": float(row[top]),
                "face_count": int(faces[second]),
                "frame_count": 2 if clip_id else 10,
                **{name: float(row[i]) for i, name in enumerate(EMOTIONS)},
            }


def _write_readings(rows: Iterator[dict[str, object]]) -> int:
    """Insert readings: COPY on PostgreSQL, batched INSERTs elsewhere. Returns the count."""
    fields = [field for field in EmotionReading._meta.concrete_fields if not field.primary_key]
    # Columns this generator does not know about (added later) get their model default.
    defaults = {
        field.attname: field.get_db_prep_save(field.get_default(), connection) for field in fields
    }
    names = [field.attname for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(EmotionReading._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row.get(name, defaults[name]) for name in names])
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * len(names))
        # Names from the model's own metadata, quoted; values go as parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        batch: list[list[object]] = []
        for row in rows:
            batch.append([row.get(name, defaults[name]) for name in names])
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def bench_data_generate(spec: BenchSpec, *, log: Callable[[str], None] = print) -> dict[str, int]:
    """Generate halls, exhibits, visitors, visits, stops, clips and readings per ``spec``."""
    if spec.exhibits < 1 or spec.visitors < 1 or spec.halls < 1 or spec.days < 1:
        raise ValueError("exhibits, visitors, halls and days must be at least 1.")
    if spec.readings < 0 or not 0.0 <= spec.clip_share <= 1.0:
        raise ValueError("readings must be >= 0 and clip_share between 0 and 1.")
    today = timezone.localdate(timezone=report_time_zone())
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        halls = Hall.objects.bulk_create(
            Hall(name=f"Bench hall {i + 1}", slug=f"{PREFIX}hall-{i + 1}", ordering=100 + i)
            for i in range(spec.halls)
        )
        exhibits = Exhibit.objects.bulk_create(
            Exhibit(
                title=f"Bench exhibit {i + 1:03d}",
                slug=f"{PREFIX}exhibit-{i + 1:03d}",
                description="Generated for the reports benchmark.",
                hall=halls[i % len(halls)],
            )
            for i in range(spec.exhibits)
        )
        unusable = make_password(None)
        User = get_user_model()
        users = User.objects.bulk_create(
            (
                User(username=f"{PREFIX}visitor-{i + 1:06d}", password=unusable)
                for i in range(spec.visitors)
            ),
            batch_size=BATCH,
        )
        profiles = VisitorProfile.objects.bulk_create(
            (
                VisitorProfile(
                    user=user,
                    consent_version=settings.CURRENT_CONSENT_VERSION,
                    consent_given_at=now,
                )
                for user in users
            ),
            batch_size=BATCH,
        )
        log(f"  {len(halls)} halls, {len(exhibits)} exhibits, {len(profiles)} visitors")

        exhibit_ids = [exhibit.pk for exhibit in exhibits]
        visits, stops = _plan(
            spec, exhibit_ids=exhibit_ids, visitor_ids=[p.pk for p in profiles], today=today
        )
        visit_objects = Visit.objects.bulk_create(
            (Visit(visitor_id=v, started_at=start, ended_at=end) for v, start, end in visits),
            batch_size=BATCH,
        )
        visit_ids = [visit.pk for visit in visit_objects]
        VisitExhibit.objects.bulk_create(
            (
                VisitExhibit(
                    visit_id=visit_ids[stop.visit_index],
                    exhibit_id=stop.exhibit_id,
                    first_seen=stop.started_at,
                    last_seen=stop.started_at + timedelta(seconds=stop.dwell),
                    dwell_seconds=stop.dwell,
                )
                for stop in stops
            ),
            batch_size=BATCH,
        )
        clip_stops = [number for number, stop in enumerate(stops) if stop.clip]
        clips = Clip.objects.bulk_create(
            (
                Clip(
                    visitor_id=stops[n].visitor_id,
                    exhibit_id=stops[n].exhibit_id,
                    visit_id=visit_ids[stops[n].visit_index],
                    original_name="bench.webm",
                    duration_seconds=float(stops[n].readings),
                    status=ClipStatus.DONE,
                    progress=1.0,
                    created_at=stops[n].started_at,
                    finished_at=stops[n].started_at + timedelta(minutes=1),
                )
                for n in clip_stops
            ),
            batch_size=BATCH,
        )
        clip_ids = {n: clip.pk for n, clip in zip(clip_stops, clips, strict=True)}
        log(f"  {len(visits)} visits, {len(stops)} stops, {len(clips)} clips")

        written = _write_readings(
            _reading_rows(
                spec,
                stops,
                visit_ids=visit_ids,
                clip_ids=clip_ids,
                exhibit_index={pk: i for i, pk in enumerate(exhibit_ids)},
            )
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics, as autovacuum would gather them after a bulk load.
            cursor.execute("ANALYZE")
    log(f"  {written} readings in {time.perf_counter() - started:.1f} s")
    return {"visits": len(visits), "stops": len(stops), "clips": len(clips), "readings": written}


def report_pages(*, date_from: date, date_to: date) -> list[tuple[str, str]]:
    """(name, URL) of every report page and export, over the benchmark's date range."""
    hall = (
        Hall.objects.filter(slug__startswith=PREFIX).order_by("slug").first()
        or Hall.objects.first()
    )
    exhibit = Exhibit.objects.filter(hall=hall).order_by("slug").first() if hall else None
    if hall is None or exhibit is None:
        raise ValueError("There is no hall with an exhibit to report on.")
    dates = f"date_from={date_from.isoformat()}&date_to={date_to.isoformat()}"
    overview = reverse("reports:overview")
    exhibits = reverse("reports:exhibits")
    trends = reverse("reports:trends")
    hall_url = reverse("reports:hall", args=[hall.slug])
    exhibit_url = reverse("reports:exhibit", args=[exhibit.slug])
    return [
        ("overview", f"{overview}?{dates}"),
        ("overview CSV", f"{overview}?{dates}&export=csv"),
        ("exhibits", f"{exhibits}?{dates}"),
        ("exhibits CSV", f"{exhibits}?{dates}&export=csv"),
        ("hall", f"{hall_url}?{dates}"),
        ("hall CSV", f"{hall_url}?{dates}&export=csv"),
        ("exhibit detail (daily)", f"{exhibit_url}?{dates}"),
        ("exhibit detail (weekly)", f"{exhibit_url}?{dates}&period=week"),
        ("exhibit CSV", f"{exhibit_url}?{dates}&export=csv"),
        ("trends (daily)", f"{trends}?{dates}"),
        ("trends (weekly, hall)", f"{trends}?{dates}&period=week&hall={hall.slug}"),
        ("trends (daily, exhibit, live)", f"{trends}?{dates}&exhibit={exhibit.slug}&source=live"),
        ("trends CSV", f"{trends}?{dates}&export=csv"),
    ]


def time_pages(pages: list[tuple[str, str]], *, repeat: int) -> list[Timing]:
    """Fetch each page ``repeat`` times as a superuser with the test client (full render)."""
    User = get_user_model()
    admin_user = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin_user is None:
        admin_user = User.objects.create_superuser(ADMIN_USERNAME, email="", password=None)
    client = Client()
    client.force_login(admin_user)
    timings = []
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for name, url in pages:
            durations, queries, status, size = [], 0, 0, 0
            for _ in range(repeat):
                # A full query log (DEBUG keeps the last 9000) would make every count zero.
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    # A streamed CSV is only produced while it is read.
                    body = (
                        b"".join(response.streaming_content)
                        if response.streaming
                        else response.content
                    )
                    durations.append((time.perf_counter() - started) * 1000)
                status, queries, size = response.status_code, len(captured), len(body)
            timings.append(
                Timing(
                    name=name,
                    url=url,
                    status=status,
                    first_ms=durations[0],
                    median_ms=statistics.median(durations),
                    max_ms=max(durations),
                    queries=queries,
                    size_bytes=size,
                )
            )
    return timings


def timings_table(timings: list[Timing], *, target_ms: float) -> str:
    """A Markdown table of the timings (ready to paste into the README)."""
    lines = [
        "| Page | Status | First (ms) | Median (ms) | Max (ms) | Queries | Size (kB) | Target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for t in timings:
        verdict = (
            "ok"
            if t.status == 200 and t.max_ms < target_ms
            else "SLOW"
            if t.status == 200
            else "FAILED"
        )
        lines.append(
            f"| {t.name} | {t.status} | {t.first_ms:.0f} | {t.median_ms:.0f} | {t.max_ms:.0f} "
            f"| {t.queries} | {t.size_bytes / 1024:.0f} | {verdict} |"
        )
    return "\n".join(lines)
