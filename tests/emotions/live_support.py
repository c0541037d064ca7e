"""Helpers for the live camera tests: signed-in WebSocket clients and real-face JPEG frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from ml import EMOTIONS
from ml.inference import FaceResult, analyse_jpeg
from tests.faces import faces_of, frame_with_faces, jpeg_of

ORIGIN = b"http://127.0.0.1"


def session_headers(user=None, *, origin: bytes | None = ORIGIN) -> list[tuple[bytes, bytes]]:
    """Handshake headers of a browser tab: its Origin and, for ``user``, a real session cookie.

    Sync (it writes the session): call it from a fixture or the sync part of a test.
    """
    headers = [(b"origin", origin)] if origin else []
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return headers


def asgi_application():
    """museum_site.asgi's application, imported on first use, not as tests are collected.

    Importing it starts the model warm-up threads (LIVE_MODEL_PRELOAD), which load and
    trace the model while pytest would still be parsing (assertion-rewriting) the test
    modules it collects. CI once failed that way on CPython 3.11.7 ("SystemError: AST
    constructor recursion depth mismatch" collecting an unrelated module; concurrent AST
    work is what CPython gh-106905, fixed in 3.11.8, made safe).
    """
    from museum_site.asgi import application

    return application


def camera_socket(slug: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    """A client of the full ASGI application (origin check, sessions, auth, routing)."""
    return WebsocketCommunicator(
        asgi_application(), f"/ws/exhibits/{slug}/camera/", headers=headers
    )


@contextlib.asynccontextmanager
async def database_thread_held() -> AsyncIterator[None]:
    """Keep the one thread that all database_sync_to_async calls share busy for the block, as
    every camera's reading writes keep it under load (docs/scaling.md, round 3)."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_database_thread() -> bool:
        holding.set()
        return release.wait(10)

    held = asyncio.ensure_future(database_sync_to_async(hold_the_database_thread)())
    try:
        assert await asyncio.to_thread(holding.wait, 5)
        yield
    finally:
        release.set()
        assert await held


def mood_socket(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    return WebsocketCommunicator(asgi_application(), "/ws/mood/", headers=headers)


async def receive_json(socket: WebsocketCommunicator, timeout: float = 10) -> dict[str, Any]:
    return json.loads(await socket.receive_from(timeout=timeout))


async def open_camera(slug: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    """A connected camera socket that has received its ``ready`` message."""
    socket = camera_socket(slug, headers)
    connected, _ = await socket.connect(timeout=10)
    assert connected
    ready = await receive_json(socket)
    assert ready["type"] == "ready", ready
    return socket


async def stream_until_faces(
    socket: WebsocketCommunicator, frame: bytes, *, tries: int = 15, pace: float = 0.2
) -> list[dict[str, Any]]:
    """Send ``frame`` as the camera page does (the next once the last was answered, ``pace``
    seconds apart) until an answer shows a face; returns every answer. The first never
    does: the whole frame is searched after its answer, on a thread of its own."""
    answers: list[dict[str, Any]] = []
    for _ in range(tries):
        await socket.send_to(bytes_data=frame)
        answers.append(await receive_json(socket, timeout=30))
        if answers[-1].get("faces"):
            break
        await asyncio.sleep(pace)
    return answers


async def expect_refusal(
    socket: WebsocketCommunicator, *, code: str, close_code: int
) -> dict[str, Any]:
    """The socket says why (``code``), then closes with ``close_code``."""
    error = await receive_json(socket)
    assert error == {"type": "error", "code": code, "message": error["message"]}
    assert error["message"]
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": close_code}
    return error


@cache
def detectable_faces(
    npz_path: Path, count: int, *, emotion: str = "happy"
) -> tuple[np.ndarray, ...]:
    """``count`` real FER-2013 faces that the real detector finds in a camera-like frame.

    The frame is what the page sends: 640x480 with a 200 px face, downscaled to 320 px wide and
    JPEG-encoded at quality 70. The Haar cascade misses some FER faces, so faces are tried in
    order until enough are found.
    """
    found: list[np.ndarray] = []
    for face in faces_of(npz_path, emotion, count * 4):
        if analyse_jpeg(page_jpeg(camera_frame(face))):
            found.append(face)
            if len(found) == count:
                return tuple(found)
    raise AssertionError(f"only {len(found)} of {count} {emotion} faces were detectable")


def camera_frame(face: np.ndarray) -> np.ndarray:
    """A 640x480 BGR webcam frame with one face in the middle."""
    return frame_with_faces([face], size=(640, 480), face_px=200)


def page_jpeg(frame: np.ndarray) -> bytes:
    """What camera.js sends for ``frame``: 320 px wide, JPEG quality 70."""
    height, width = frame.shape[:2]
    small = cv2.resize(frame, (320, round(height * 320 / width)), interpolation=cv2.INTER_AREA)
    return jpeg_of(small, quality=70)


def face_frames(npz_path: Path, count: int, *, emotion: str = "happy") -> list[bytes]:
    """``count`` page-like JPEG frames, each with one real, detectable face."""
    return [
        page_jpeg(camera_frame(face)) for face in detectable_faces(npz_path, count, emotion=emotion)
    ]


def faceless_jpeg() -> bytes:
    """A valid camera-sized JPEG with nothing face-like in it."""
    rng = np.random.default_rng(7)
    frame = cv2.GaussianBlur(rng.integers(90, 170, (240, 320), dtype=np.uint8), (0, 0), 8)
    return jpeg_of(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))


def fake_face(**probabilities: float) -> FaceResult:
    """A face as the model would report it, for the tests that stand in for the model."""
    probs = dict.fromkeys(EMOTIONS, 0.0)
    probs.update(probabilities or {"happy": 1.0})
    label = max(probs, key=probs.get)
    return FaceResult(
        box=(40, 30, 100, 100), probabilities=probs, label=label, confidence=probs[label]
    )
