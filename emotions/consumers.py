"""WebSocket consumers: a visitor's live camera at an exhibit, and the staff hall mood.

Camera protocol, ``/ws/exhibits/<slug>/camera/`` (see ``static/emotions/camera.js``):

- The browser sends each camera frame as one **binary** message: a JPEG, about 320 px wide.
  The server answers ``{"type": "result", "frame": n, "faces": [{box, label, confidence,
  probabilities}], "server_ms": ..., "dropped": ...}`` (``server_ms``: from the frame's arrival
  to its answer; ``dropped``: frames this socket skipped so far, see below; ``second``: the
  second of the saved reading the faces count towards).
- Text messages are a small control protocol: ``{"type": "ping"}`` (answered with ``pong``)
  and ``{"type": "config", "fps": n}`` (the rate the page sends at, clamped and echoed).
- Every refused frame or message gets ``{"type": "error", "code": ..., "message": ...}`` and the
  socket stays open: ``binary_expected``, ``empty_frame``, ``frame_too_large``, ``bad_frame``,
  ``rate_limited``, ``bad_config``, ``analysis_failed``.
- A frame that waited longer than ``LIVE_MAX_FRAME_WAIT_MS`` for a model thread (the server
  is overloaded) is not analysed: ``{"type": "skipped", "frame": n, "reason": "busy",
  "dropped": ...}``; the page sends its next frame as after a result.
- A refused connection is accepted, told why (``unauthenticated``, ``no_consent``,
  ``unknown_exhibit``) and closed with 4401, 4403 or 4404, so the page can explain it; browsers
  see no reason when the handshake itself is refused. A consent withdrawal closes an open
  socket with ``consent_withdrawn`` and 4403. Foreign origins never get that far: the
  ``AllowedHostsOriginValidator`` in ``museum_site/asgi.py`` refuses their handshake.

Latency stays bounded under overload: the model runs in a thread pool (never on the event
loop), each socket has at most one frame in the pool and at most one waiting; a newer frame
replaces the waiting one (latest frame wins) and counts as dropped. Across sockets, a frame
that waited too long for a thread is skipped rather than analysed late. The dearest step, a
search of the whole frame for faces, runs after the answer on threads of its own while the
next frames go on (:func:`search_pool`, ``FaceTracker(defer_full=True)``).

Readings and dwell time are written as ``emotions/services.py`` ("Live camera") describes; no
image is ever stored.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from emotions import selectors, services
from emotions.services import HALL_MOOD_GROUP, LiveConsentMissing, ReadingBucket
from ml.inference import FaceTracker, InvalidImageError
from museum_site.core import selectors as core_selectors
from museum_site.core.models import Exhibit, Visit, VisitorProfile

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

JPEG_MAGIC = b"\xff\xd8\xff"

_inference_pool: ThreadPoolExecutor | None = None
_search_pool: ThreadPoolExecutor | None = None


def inference_pool() -> ThreadPoolExecutor:
    """The process's threads for the model: ``LIVE_INFERENCE_THREADS``, default one per core.

    Inference is CPU-bound with one torch thread per call, so more threads than cores would
    only queue frames that the latest-frame-wins rule should rather drop. Created on first use
    (never on the event loop's critical path twice: the loop is single-threaded). With several
    daphne processes on one machine, give each ``cores / processes`` threads.
    """
    global _inference_pool
    if _inference_pool is None:
        _inference_pool = ThreadPoolExecutor(
            max_workers=inference_threads(), thread_name_prefix="live-ml"
        )
    return _inference_pool


def inference_threads() -> int:
    """How many frames a process analyses at once (see :func:`inference_pool`)."""
    return settings.LIVE_INFERENCE_THREADS or os.cpu_count() or 1


def inference_warm_up() -> list:
    """Load the model and warm every inference and search thread, in the background.

    Called as the ASGI application starts (``LIVE_MODEL_PRELOAD``): without it the first frame
    of the first visitor waits for the model to load (measured in docs/scaling.md). Returns the
    futures, for tests.
    """
    # One job per thread; a pool starts a new thread for each job while none is idle. The
    # search threads too: each loads its own copy of the face detector.
    return [
        pool.submit(services.live_model_warm_up)
        for pool in (inference_pool(), search_pool())
        for _ in range(inference_threads())
    ]


def search_pool() -> ThreadPoolExecutor:
    """Threads for the deferred full-frame face searches (one at a time per socket).

    Apart from :func:`inference_pool` so that a frame never queues behind a search, and as
    many: together they may hold two threads per core, which the OS shares. (Not at a lower
    OS priority: a thread held back while it holds the interpreter lock would stall the
    event loop and every frame with it.)
    """
    global _search_pool
    if _search_pool is None:
        _search_pool = ThreadPoolExecutor(
            max_workers=inference_threads(), thread_name_prefix="live-search"
        )
    return _search_pool


def analyse_unless_stale(
    data: bytes, submitted: float, *, max_wait: float, max_faces: int, tracker: FaceTracker
) -> list | None:
    """The frame's faces, or None when it waited over ``max_wait`` seconds for this thread.

    Runs on the inference thread and measures the wait in the pool's queue: that is where
    frames pile up when all sockets together send more than the cores can analyse. (Waiting
    behind its own socket's previous frame is bounded already: one frame at most.)
    """
    if max_wait and time.monotonic() - submitted > max_wait:
        return None
    return services.live_frame_analyse(data, max_faces=max_faces, tracker=tracker)


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up: a burst, then a steady rate."""

    def __init__(self, *, rate: float, capacity: float, clock=time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = capacity
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class _Frame:
    seq: int
    data: bytes
    received: float  # time.monotonic(), for server_ms
    received_at: datetime  # wall clock, for the reading's second


class JsonSocketMixin:
    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":")))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def refuse(self, close_code: int, code: str, message: str) -> None:
        """Tell the page why, then close (the socket was accepted so that it can read this)."""
        await self.send_error(code, message)
        await self.close(code=close_code)


class DatabaseFreeMessagesMixin:
    """Handle the listed message types without Channels' per-message database clean-up.

    Channels runs Django's close_old_connections() before every message, on the one thread
    that all database_sync_to_async calls of the process share: each camera frame then
    queued behind every camera's reading writes (at 20 cameras, p95 62 ms from the page's
    send to the consumer; docs/scaling.md, round 3). A consumer lists here the messages whose
    handlers never touch the database; its database calls go through
    database_sync_to_async, which closes stale connections itself. Connect and disconnect
    keep the clean-up.
    """

    database_free_messages: frozenset[str] = frozenset({"websocket.receive"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] in self.database_free_messages:
            handler = getattr(self, get_handler_name(message), None)
            if handler is not None:
                await handler(message)
                return
        await super().dispatch(message)


class CameraConsumer(DatabaseFreeMessagesMixin, JsonSocketMixin, AsyncWebsocketConsumer):
    """One visitor's camera at one exhibit. Limits are class attributes (tests override them)."""

    max_frame_bytes = 512 * 1024
    max_frames_per_second = 15
    max_faces = 5
    max_text_bytes = 1024
    min_config_fps = 0.2
    # How often dwell time is written (and consent re-read, in case no group message came).
    dwell_update_seconds = 15.0
    # Seconds of readings kept in memory while the database refuses them; older ones go first.
    max_unsaved_seconds = 600
    mood_board = services.live_mood_board

    async def connect(self) -> None:
        self.visitor: VisitorProfile | None = None
        self.exhibit: Exhibit | None = None
        self.visit: Visit | None = None
        self.closing = False
        self.seq = 0
        self.dropped = 0
        self.fps: float | None = None
        self.pending: _Frame | None = None
        # Faces are searched for near where they were in this socket's previous frame; the
        # whole frame is searched after the answer (search_pool).
        self.tracker = FaceTracker(
            full_every=settings.LIVE_FULL_DETECTION_EVERY,
            idle_every=settings.LIVE_IDLE_DETECTION_EVERY,
            min_size_fraction=settings.LIVE_MIN_FACE_PERCENT / 100,
            defer_full=True,
        )
        self.max_frame_wait = settings.LIVE_MAX_FRAME_WAIT_MS / 1000
        self.searching: asyncio.Future | None = None
        self.worker: asyncio.Task | None = None
        self.ticker: asyncio.Task | None = None
        self.bucket: ReadingBucket | None = None
        self.unsaved: list[ReadingBucket] = []
        self.saver: asyncio.Task | None = None
        self.save_lock = asyncio.Lock()
        self.joined_groups: list[str] = []
        self.limiter = TokenBucket(
            rate=self.max_frames_per_second, capacity=self.max_frames_per_second
        )

        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(
                CLOSE_UNAUTHENTICATED, "unauthenticated", "Sign in to use the camera."
            )
            return
        profile = await self._profile_of(user)
        if profile is None:
            await self._refuse_no_consent()
            return
        # Join before checking consent, so a withdrawal between the check and the join is
        # still heard.
        await self._join(services.visitor_group_name(profile.pk))
        exhibit = await self._exhibit(self.scope["url_route"]["kwargs"]["slug"])
        if exhibit is None:
            await self.refuse(CLOSE_NOT_FOUND, "unknown_exhibit", "There is no such exhibit.")
            return
        try:
            self.visit = await self._start(profile, exhibit)
        except LiveConsentMissing:
            await self._refuse_no_consent()
            return
        self.visitor, self.exhibit = profile, exhibit
        self.dwell_from = time.monotonic()
        await self._publish_mood(
            self.mood_board.camera_joined(exhibit=exhibit, camera=self.channel_name)
        )
        self.ticker = asyncio.create_task(self._tick())
        await self.send_json(
            {
                "type": "ready",
                "exhibit": {"slug": exhibit.slug, "title": exhibit.title},
                "visit": self.visit.pk,
                "limits": {
                    "max_frame_bytes": self.max_frame_bytes,
                    "max_frames_per_second": self.max_frames_per_second,
                    "max_faces": self.max_faces,
                },
            }
        )

    async def _refuse_no_consent(self) -> None:
        await self.refuse(
            CLOSE_FORBIDDEN,
            "no_consent",
            "Please agree to the camera notice on the consent page first.",
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.visitor is None or self.closing:
            return  # Refused or closing: nothing more is analysed.
        if bytes_data is not None:
            await self._receive_frame(bytes_data)
        else:
            await self._receive_text(text_data or "")

    async def disconnect(self, code: int) -> None:
        self.closing = True
        self.pending = None
        if self.ticker is not None:
            self.ticker.cancel()
        if self.worker is not None:
            # Let the frame in the pool finish, so that its bucket is complete before the last
            # write (its result is no longer shown, so it is not recorded).
            await asyncio.gather(self.worker, return_exceptions=True)
        if self.searching is not None:
            await asyncio.gather(self.searching, return_exceptions=True)
        if self.saver is not None:
            await asyncio.gather(self.saver, return_exceptions=True)
        if self.visitor is not None:
            await self._save(final=True)
            await self._record_dwell(final=True)
            await self._publish_mood(
                self.mood_board.camera_left(exhibit_id=self.exhibit.pk, camera=self.channel_name)
            )
        for group in self.joined_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined_groups = []

    # --- Frames ----------------------------------------------------------------------------

    async def _receive_frame(self, data: bytes) -> None:
        if not self.limiter.take():
            await self.send_error(
                "rate_limited",
                f"More than {self.max_frames_per_second} frames a second; frame ignored.",
            )
            return
        if not data:
            await self.send_error("empty_frame", "The frame was empty.")
            return
        if len(data) > self.max_frame_bytes:
            await self.send_error(
                "frame_too_large",
                f"Frames may have at most {self.max_frame_bytes} bytes; this one had "
                f"{len(data)}. Send a smaller or more compressed image.",
            )
            return
        if not data.startswith(JPEG_MAGIC):
            await self.send_error("bad_frame", "Frames must be JPEG images.")
            return
        self.seq += 1
        frame = _Frame(self.seq, data, time.monotonic(), timezone.now())
        if self.worker is not None:
            # One frame is in the pool already: keep only the newest to follow it.
            if self.pending is not None:
                self.dropped += 1
            self.pending = frame
            return
        self.worker = asyncio.create_task(self._work(frame))

    async def _work(self, frame: _Frame | None) -> None:
        try:
            while frame is not None and not self.closing:
                # The tracker is touched here only, between two frames of this socket.
                self._search_adopt()
                await self._analyse(frame)
                self._search_start()
                frame, self.pending = self.pending, None
        finally:
            self.worker = None

    async def _analyse(self, frame: _Frame) -> None:
        loop = asyncio.get_running_loop()
        analyse = functools.partial(
            analyse_unless_stale,
            frame.data,
            time.monotonic(),
            max_wait=self.max_frame_wait,
            max_faces=self.max_faces,
            tracker=self.tracker,
        )
        try:
            faces = await loop.run_in_executor(inference_pool(), analyse)
        except InvalidImageError as exc:
            if not self.closing:
                await self.send_error("bad_frame", f"The frame is not a readable JPEG ({exc}).")
            return
        except Exception:
            logger.exception("live analysis failed for frame %s", frame.seq)
            if not self.closing:
                await self.send_error(
                    "analysis_failed", "This frame could not be analysed; try the next one."
                )
            return
        if self.closing:
            return  # Never shown to the visitor, so not recorded either.
        if faces is None:
            self.dropped += 1
            await self.send_json(
                {"type": "skipped", "frame": frame.seq, "reason": "busy", "dropped": self.dropped}
            )
            return
        # Into the bucket before the answer goes out: every result shown ends up in a reading.
        finished = self._add_to_bucket(frame.received_at, [f.probabilities for f in faces])
        await self.send_json(
            {
                "type": "result",
                "frame": frame.seq,
                "faces": [face.to_dict() for face in faces],
                "server_ms": round((time.monotonic() - frame.received) * 1000, 1),
                "dropped": self.dropped,
                # The second of the saved reading this frame's faces count towards.
                "second": frame.received_at.replace(microsecond=0).isoformat(),
            }
        )
        if finished is not None:
            await self._finish_second(finished)

    def _search_start(self) -> None:
        """Search the frame the tracker put off, in the background (one search at a time)."""
        if self.searching is not None or self.closing or not self.tracker.search_due:
            return
        gray, max_faces = self.tracker.take_search()
        search = functools.partial(
            services.live_faces_search, gray, max_faces=max_faces, tracker=self.tracker
        )
        self.searching = asyncio.get_running_loop().run_in_executor(search_pool(), search)

    def _search_adopt(self) -> None:
        """Hand a finished search's faces to the tracker, for the next frame."""
        if self.searching is None or not self.searching.done():
            return
        search, self.searching = self.searching, None
        try:
            found = search.result()
        except Exception:
            # The frames are still answered, around the faces followed so far.
            logger.exception("live face search failed")
            return
        self.tracker.adopt(found, max_faces=self.max_faces)

    def _add_to_bucket(
        self, received_at: datetime, faces: list[dict[str, float]]
    ) -> ReadingBucket | None:
        """Add one frame's faces to its second's bucket; returns the bucket it closed, if any.

        No await in here: the worker and the ticker both rotate buckets on the event loop.
        """
        second = received_at.replace(microsecond=0)
        finished = None
        if self.bucket is not None and self.bucket.started_at != second:
            finished, self.bucket = self.bucket, None
        if self.bucket is None:
            self.bucket = ReadingBucket(started_at=second)
        self.bucket.add_frame(faces)
        return finished

    async def _finish_second(self, bucket: ReadingBucket) -> None:
        if not bucket.has_faces:
            return
        self.unsaved.append(bucket)
        await self._publish_mood(
            self.mood_board.add_second(exhibit_id=self.exhibit.pk, bucket=bucket)
        )
        # Written in the background: the next frame must not wait for the database (under
        # load, the shared database thread queues writes; see docs/scaling.md). One writer
        # per socket; seconds finished meanwhile wait in ``unsaved`` for the next write.
        if self.saver is None or self.saver.done():
            self.saver = asyncio.create_task(self._save())

    async def _save(self, *, final: bool = False) -> None:
        """Write the finished seconds (and with ``final``, the current one)."""
        async with self.save_lock:
            if final and self.bucket is not None:
                if self.bucket.has_faces:
                    self.unsaved.append(self.bucket)
                self.bucket = None
            batch = list(self.unsaved)
            if not batch:
                return
            try:
                await database_sync_to_async(services.live_readings_save)(
                    buckets=batch, exhibit=self.exhibit, visitor=self.visitor, visit=self.visit
                )
            except LiveConsentMissing:
                await self._stop_for_consent()
                return
            except Exception:
                logger.exception(
                    "could not save %d live seconds for visitor %s; retrying with the next",
                    len(batch),
                    self.visitor.pk,
                )
                del self.unsaved[: max(0, len(self.unsaved) - self.max_unsaved_seconds)]
                return
            # Seconds finished during the write stay for the next one.
            del self.unsaved[: len(batch)]

    # --- Dwell time, consent and the hall mood ---------------------------------------------

    async def _tick(self) -> None:
        while not self.closing:
            await asyncio.sleep(self.dwell_update_seconds)
            if self.closing:
                return
            try:
                consents = await self._still_consents()
            except Exception:
                # The database is unreachable: keep the camera; the writes re-check consent.
                logger.exception("could not re-read the consent of visitor %s", self.visitor.pk)
                consents = True
            if not consents:
                await self._stop_for_consent()
                return
            await self._record_dwell()
            # A camera that stopped sending (a hidden tab) still gets its last second written.
            # Not while a frame is in the pool: it may belong to that second.
            now_second = timezone.now().replace(microsecond=0)
            if self.worker is None and self.bucket and self.bucket.started_at < now_second:
                finished, self.bucket = self.bucket, None
                await self._finish_second(finished)

    async def _record_dwell(self, *, final: bool = False) -> None:
        elapsed = time.monotonic() - self.dwell_from
        seconds = round(elapsed) if final else int(elapsed)
        if seconds <= 0:
            return
        # Advance first: a cancelled tick may still complete its write in the DB thread.
        self.dwell_from += seconds
        try:
            self.visit = await database_sync_to_async(services.live_dwell_record)(
                visitor=self.visitor, visit=self.visit, exhibit=self.exhibit, seconds=seconds
            )
        except Exception:
            logger.exception("could not record %s s of dwell time at %s", seconds, self.exhibit)

    async def consent_withdrawn(self, event: dict[str, Any]) -> None:
        """Group message from ``services.live_notify_consent_withdrawn``: stop at once."""
        if self.visitor is not None:  # A refused socket is closing anyway.
            await self._stop_for_consent()

    async def _stop_for_consent(self) -> None:
        self.pending = None
        # Nothing more is written for this visitor, not even the unsaved second.
        self.bucket, self.unsaved = None, []
        if self.closing:
            return  # Closed or closing already: nobody left to tell.
        self.closing = True
        await self.refuse(
            CLOSE_FORBIDDEN,
            "consent_withdrawn",
            "You withdrew your consent: the camera is off and nothing more is recorded.",
        )

    async def _publish_mood(self, update: dict[str, Any] | None) -> None:
        if update is None:
            return
        try:
            await self.channel_layer.group_send(HALL_MOOD_GROUP, update)
        except Exception:
            # The staff view is a nicety; a broken channel layer must not stop the camera.
            logger.exception("could not publish the hall mood")

    # --- Text ------------------------------------------------------------------------------

    async def _receive_text(self, text: str) -> None:
        message: Any = None
        if len(text) <= self.max_text_bytes:
            try:
                message = json.loads(text)
            except ValueError:
                message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "config":
            await self._configure(message)
        else:
            await self.send_error(
                "binary_expected",
                "Send camera frames as binary JPEG messages. Text messages may only be "
                '{"type": "ping"} or {"type": "config", "fps": <number>}.',
            )

    async def _configure(self, message: dict[str, Any]) -> None:
        fps = message.get("fps")
        if isinstance(fps, bool) or not isinstance(fps, int | float) or not fps > 0:
            await self.send_error("bad_config", '"fps" must be a positive number.')
            return
        self.fps = min(max(float(fps), self.min_config_fps), float(self.max_frames_per_second))
        await self.send_json({"type": "config", "fps": self.fps})

    # --- Database --------------------------------------------------------------------------

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined_groups.append(group)

    @database_sync_to_async
    def _profile_of(self, user) -> VisitorProfile | None:
        return VisitorProfile.objects.filter(user_id=user.pk).first()

    @database_sync_to_async
    def _exhibit(self, slug: str) -> Exhibit | None:
        try:
            return core_selectors.exhibit_get(slug=slug)
        except Exhibit.DoesNotExist:
            return None

    @database_sync_to_async
    def _start(self, profile: VisitorProfile, exhibit: Exhibit) -> Visit:
        return services.live_session_start(visitor=profile, exhibit=exhibit)

    @database_sync_to_async
    def _still_consents(self) -> bool:
        return services.live_visitor_consents(visitor=self.visitor)


class HallMoodConsumer(DatabaseFreeMessagesMixin, JsonSocketMixin, AsyncWebsocketConsumer):
    """Staff socket that relays the anonymous hall-mood updates of every camera."""

    # Pings and the once-a-second updates per exhibit are relayed without the database.
    database_free_messages = frozenset({"websocket.receive", "mood.update"})

    async def connect(self) -> None:
        self.joined = False
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED, "unauthenticated", "Sign in first.")
            return
        if not await database_sync_to_async(selectors.hall_mood_allowed)(user=user):
            await self.refuse(
                CLOSE_FORBIDDEN, "forbidden", "Only staff may see the live hall mood."
            )
            return
        await self.channel_layer.group_add(HALL_MOOD_GROUP, self.channel_name)
        self.joined = True
        await self.send_json(
            {"type": "ready", "window_seconds": services.live_mood_board.window_seconds}
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Read-only: the page has nothing to say. Answer pings so proxies see a live socket.
        if self.joined and text_data and '"ping"' in text_data:
            await self.send_json({"type": "pong"})

    async def mood_update(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "mood"})

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(HALL_MOOD_GROUP, self.channel_name)
            self.joined = False
