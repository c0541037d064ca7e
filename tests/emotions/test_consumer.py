"""The camera consumer, driven through the full ASGI application (origin check, session cookie,
auth, routing) on the in-memory channel layer. test_consumer_redis.py repeats the round trip on
Redis."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import timezone

from emotions import services
from emotions.consumers import CameraConsumer, inference_pool, inference_threads
from emotions.models import EmotionReading, ReadingSource
from ml import EMOTIONS
from museum_site.core import services as core_services
from museum_site.core.models import Visit, VisitExhibit
from tests.emotions.live_support import (
    camera_socket,
    database_thread_held,
    expect_refusal,
    face_frames,
    faceless_jpeg,
    fake_face,
    open_camera,
    receive_json,
    session_headers,
    stream_until_faces,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice_headers(visitor):
    return session_headers(visitor)


@pytest.fixture
def instant_model(monkeypatch):
    """Stands in for the model: one happy face per frame, at once."""
    calls: list[bytes] = []

    def analyse(data: bytes, *, max_faces: int, tracker=None):
        calls.append(data)
        return [fake_face(happy=0.7, neutral=0.3)]

    monkeypatch.setattr(services, "live_frame_analyse", analyse)
    return calls


@database_sync_to_async
def readings_of(user, exhibit) -> list[EmotionReading]:
    return list(
        EmotionReading.objects.filter(visitor__user=user, exhibit=exhibit).order_by("recorded_at")
    )


async def receive_all(socket) -> list[dict]:
    """Every message until the socket has been quiet for half a second."""
    replies = []
    # receive_nothing() only peeks; a timed-out receive_from() would cancel the application.
    while not await socket.receive_nothing(timeout=0.5):
        replies.append(await receive_json(socket))
    return replies


async def wait_for(predicate, timeout: float = 5.0):
    """Poll an async ``predicate`` until it returns something truthy (writes are async)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


# --- Who may connect -----------------------------------------------------------------------


async def test_it_refuses_anonymous_visitors_with_4401(exhibit) -> None:
    socket = camera_socket(exhibit.slug, session_headers())
    connected, _ = await socket.connect()
    assert connected  # Accepted only to tell the page why it is closed.
    await expect_refusal(socket, code="unauthenticated", close_code=4401)
    await socket.disconnect()


async def test_it_refuses_visitors_without_consent_with_4403(make_visitor, exhibit) -> None:
    never = await sync_to_async(make_visitor)("erin", consent=False)
    withdrawn = await sync_to_async(make_visitor)("frank")
    await database_sync_to_async(core_services.consent_withdraw)(profile=withdrawn.visitor_profile)
    for user in (never, withdrawn):
        socket = camera_socket(exhibit.slug, await sync_to_async(session_headers)(user))
        assert (await socket.connect())[0]
        await expect_refusal(socket, code="no_consent", close_code=4403)
        await socket.disconnect()
    assert not await database_sync_to_async(Visit.objects.exists)()


async def test_it_refuses_staff_without_a_visitor_profile(staff, exhibit) -> None:
    socket = camera_socket(exhibit.slug, await sync_to_async(session_headers)(staff))
    assert (await socket.connect())[0]
    await expect_refusal(socket, code="no_consent", close_code=4403)
    await socket.disconnect()


async def test_it_refuses_unknown_and_inactive_exhibits_with_4404(alice_headers, exhibit) -> None:
    exhibit.active = False
    await database_sync_to_async(exhibit.save)()
    for slug in ("no-such-exhibit", exhibit.slug):
        socket = camera_socket(slug, alice_headers)
        assert (await socket.connect())[0]
        await expect_refusal(socket, code="unknown_exhibit", close_code=4404)
        await socket.disconnect()


async def test_it_refuses_a_foreign_origin(visitor, exhibit) -> None:
    headers = await sync_to_async(session_headers)(visitor, origin=b"https://evil.example")
    socket = camera_socket(exhibit.slug, headers)
    connected, _ = await socket.connect()
    assert not connected
    no_origin = camera_socket(
        exhibit.slug, await sync_to_async(session_headers)(visitor, origin=None)
    )
    assert not (await no_origin.connect())[0]


async def test_it_opens_a_visit_and_records_dwell_time(
    alice_headers, visitor, exhibit, instant_model, monkeypatch
) -> None:
    monkeypatch.setattr(CameraConsumer, "dwell_update_seconds", 0.3)
    socket = await open_camera(exhibit.slug, alice_headers)
    visit = await database_sync_to_async(Visit.objects.get)(visitor__user=visitor)
    assert visit.is_open
    await asyncio.sleep(2.2)
    await socket.disconnect()
    stop = await database_sync_to_async(VisitExhibit.objects.get)(visit=visit, exhibit=exhibit)
    assert 2 <= stop.dwell_seconds <= 3


async def test_it_continues_in_a_new_visit_when_the_visit_was_ended(
    alice_headers, visitor, exhibit, instant_model, monkeypatch
) -> None:
    monkeypatch.setattr(CameraConsumer, "dwell_update_seconds", 0.3)
    socket = await open_camera(exhibit.slug, alice_headers)
    first = await database_sync_to_async(Visit.objects.get)(visitor__user=visitor)
    await database_sync_to_async(core_services.visit_end)(visit=first)
    await asyncio.sleep(1.5)
    await socket.send_to(bytes_data=faceless_jpeg())
    assert (await receive_json(socket))["type"] == "result"
    await socket.disconnect()
    visits = await database_sync_to_async(lambda: list(Visit.objects.order_by("started_at")))()
    assert len(visits) == 2 and visits[1].is_open
    stops = await database_sync_to_async(
        lambda: list(VisitExhibit.objects.filter(visit=visits[1]))
    )()
    assert stops[0].exhibit_id == exhibit.pk and stops[0].dwell_seconds >= 1


# --- Frames ----------------------------------------------------------------------------------


async def test_it_finds_a_real_face_and_saves_the_reading_on_disconnect(
    alice_headers, visitor, exhibit, fer_val_path
) -> None:
    (frame,) = await sync_to_async(face_frames)(fer_val_path, 1)
    socket = await open_camera(exhibit.slug, alice_headers)
    answers = await stream_until_faces(socket, frame)
    # The whole frame is searched after the first answer: the face shows a frame or so later.
    assert answers[0]["faces"] == [] and answers[-1]["faces"], answers
    await socket.send_to(bytes_data=frame)  # ...and is followed from then on.
    answers.append(await receive_json(socket, timeout=30))
    for seq, result in enumerate(answers, start=1):
        assert result["type"] == "result" and result["frame"] == seq
        assert result["dropped"] == 0 and result["server_ms"] > 0
    for result in answers[-2:]:
        assert len(result["faces"]) >= 1
        face = result["faces"][0]
        assert set(face["probabilities"]) == set(EMOTIONS)
        assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-2)
        assert face["label"] in EMOTIONS
        assert face["confidence"] == max(face["probabilities"].values())
        assert set(face["box"]) == {"x", "y", "w", "h"} and face["box"]["w"] > 20
    await socket.disconnect()

    readings = await readings_of(visitor, exhibit)
    assert readings, "the seconds shown to the visitor must be saved"
    # Frames without a face count towards the second they fell in, if it had faces.
    assert 2 <= sum(r.frame_count for r in readings) <= len(answers)
    visit = await database_sync_to_async(Visit.objects.get)(visitor__user=visitor)
    for reading in readings:
        assert reading.source == ReadingSource.LIVE and reading.clip_id is None
        assert reading.visit_id == visit.pk
        assert reading.face_count >= 1
        assert sum(reading.probabilities.values()) == pytest.approx(1.0, abs=1e-3)


async def test_it_writes_one_reading_per_second_and_none_without_faces(
    alice_headers, visitor, exhibit, monkeypatch
) -> None:
    frames = {b"\xff\xd8\xff happy": [fake_face(happy=1.0)], b"\xff\xd8\xff none": []}
    monkeypatch.setattr(
        services, "live_frame_analyse", lambda data, max_faces, tracker=None: frames[data]
    )
    socket = await open_camera(exhibit.slug, alice_headers)

    async def send(frame: bytes) -> None:
        await socket.send_to(bytes_data=frame)
        assert (await receive_json(socket))["type"] == "result"

    async def next_second() -> None:
        now = timezone.now()
        await asyncio.sleep(1.05 - now.microsecond / 1e6)

    await next_second()
    await send(b"\xff\xd8\xff happy")
    await send(b"\xff\xd8\xff happy")
    await send(b"\xff\xd8\xff none")
    await next_second()
    await send(b"\xff\xd8\xff none")  # Closes the first second, which is written now ...
    assert len(await wait_for(lambda: readings_of(visitor, exhibit))) == 1
    await next_second()
    await send(b"\xff\xd8\xff happy")  # ... a faceless second writes nothing ...
    await socket.disconnect()  # ... and the last second is written on disconnect.

    readings = await readings_of(visitor, exhibit)
    assert [(r.frame_count, r.face_count, r.label) for r in readings] == [
        (3, 2, "happy"),
        (1, 1, "happy"),
    ]
    assert readings[1].recorded_at - readings[0].recorded_at == timedelta(seconds=2)


async def test_it_tells_the_page_which_saved_second_a_result_counts_towards(
    alice_headers, visitor, exhibit, instant_model
) -> None:
    """The page can match what it showed to the readings saved (one per visitor and second)."""
    socket = await open_camera(exhibit.slug, alice_headers)
    before = timezone.now()
    await socket.send_to(bytes_data=b"\xff\xd8\xff frame")
    result = await receive_json(socket)
    await socket.disconnect()

    second = datetime.fromisoformat(result["second"])
    assert second.microsecond == 0 and second.utcoffset() is not None
    assert before - timedelta(seconds=1) < second <= timezone.now()
    (reading,) = await readings_of(visitor, exhibit)
    assert reading.recorded_at == second


@pytest.mark.parametrize(
    ("send", "code"),
    [
        ({"text_data": "hello"}, "binary_expected"),
        ({"text_data": '{"type": "frame"}'}, "binary_expected"),
        ({"bytes_data": b""}, "empty_frame"),
        ({"bytes_data": b"GIF89a not a jpeg"}, "bad_frame"),
        ({"bytes_data": b"\xff\xd8\xff\xe0 corrupt jpeg body"}, "bad_frame"),
        (
            {"bytes_data": b"\xff\xd8\xff" + bytes(CameraConsumer.max_frame_bytes)},
            "frame_too_large",
        ),
    ],
    ids=["text", "json-text", "empty", "not-jpeg", "corrupt-jpeg", "oversize"],
)
async def test_it_answers_a_bad_message_with_an_error_and_stays_open(
    alice_headers, visitor, exhibit, fer_val_path, send, code
) -> None:
    frame = (await sync_to_async(face_frames)(fer_val_path, 1))[0]
    socket = await open_camera(exhibit.slug, alice_headers)
    if send.get("bytes_data") == b"":
        # WebsocketCommunicator.send_to refuses empty payloads; browsers can send them.
        await socket.send_input({"type": "websocket.receive", "bytes": b""})
    else:
        await socket.send_to(**send)
    error = await receive_json(socket, timeout=30)
    assert error["type"] == "error" and error["code"] == code and error["message"]

    # Still open and working: the next real frames are analysed.
    answers = await stream_until_faces(socket, frame)
    assert all(a["type"] == "result" for a in answers) and answers[-1]["faces"]
    await socket.disconnect()
    assert await readings_of(visitor, exhibit)


async def test_it_answers_ping_and_clamps_the_configured_rate(alice_headers, exhibit) -> None:
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_json_to({"type": "ping"})
    assert await receive_json(socket) == {"type": "pong"}
    await socket.send_json_to({"type": "config", "fps": 2})
    assert await receive_json(socket) == {"type": "config", "fps": 2.0}
    await socket.send_json_to({"type": "config", "fps": 1000})
    assert await receive_json(socket) == {
        "type": "config",
        "fps": float(CameraConsumer.max_frames_per_second),
    }
    for bad in ("fast", -1, True, None):
        await socket.send_json_to({"type": "config", "fps": bad})
        assert (await receive_json(socket))["code"] == "bad_config"
    await socket.disconnect()


async def test_it_rate_limits_each_socket(
    alice_headers, exhibit, instant_model, monkeypatch
) -> None:
    monkeypatch.setattr(CameraConsumer, "max_frames_per_second", 3)
    socket = await open_camera(exhibit.slug, alice_headers)
    for _ in range(10):
        await socket.send_to(bytes_data=b"\xff\xd8\xff burst")
    replies = await receive_all(socket)
    limited = [r for r in replies if r.get("code") == "rate_limited"]
    results = [r for r in replies if r["type"] == "result"]
    # A burst of 3 passes, the other 7 are refused. Of the 3, each is answered or, if it was
    # replaced by a newer one while the model was busy, counted as dropped.
    assert len(limited) == 7
    assert len(results) + results[-1]["dropped"] == 3
    assert len(replies) == len(limited) + len(results)

    await asyncio.sleep(0.4)  # The bucket refills at 3 frames a second.
    await socket.send_to(bytes_data=b"\xff\xd8\xff later")
    assert (await receive_json(socket))["type"] == "result"
    await socket.disconnect()


async def test_it_keeps_the_latest_frame_and_drops_stale_ones(
    alice_headers, exhibit, monkeypatch
) -> None:
    started, release = threading.Event(), threading.Event()
    analysed: list[bytes] = []

    def slow_model(data: bytes, *, max_faces: int, tracker=None):
        analysed.append(data)
        started.set()
        assert release.wait(10), "the test never released the model"
        return [fake_face(surprise=0.9, neutral=0.1)]

    monkeypatch.setattr(services, "live_frame_analyse", slow_model)
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_to(bytes_data=b"\xff\xd8\xff 1")
    assert await asyncio.to_thread(started.wait, 5)
    for n in (2, 3, 4):
        await socket.send_to(bytes_data=b"\xff\xd8\xff %d" % n)
    # The event loop is free while the model works: a ping is answered at once.
    await socket.send_json_to({"type": "ping"})
    assert await receive_json(socket, timeout=1) == {"type": "pong"}

    release.set()
    first = await receive_json(socket)
    latest = await receive_json(socket)
    assert (first["frame"], latest["frame"]) == (1, 4)
    assert latest["dropped"] == 2
    assert analysed == [b"\xff\xd8\xff 1", b"\xff\xd8\xff 4"]
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_frames_are_answered_while_the_database_thread_is_busy(
    alice_headers, exhibit, instant_model
) -> None:
    """All database calls of a process share one thread (database_sync_to_async); under load
    it is busy with every camera's reading writes. A frame or a ping must not queue behind
    them: nothing on their way to the answer touches the database (Channels' own
    close_old_connections() before each message did, docs/scaling.md round 3)."""
    socket = await open_camera(exhibit.slug, alice_headers)
    async with database_thread_held():
        await socket.send_to(bytes_data=b"\xff\xd8\xff 1")
        result = await receive_json(socket, timeout=2)
        assert (result["type"], result["frame"]) == ("result", 1)
        await socket.send_json_to({"type": "ping"})
        assert await receive_json(socket, timeout=1) == {"type": "pong"}
    await socket.disconnect()


async def test_it_skips_a_frame_that_waited_too_long_for_a_model_thread(
    alice_headers, exhibit, instant_model, settings
) -> None:
    """Load shedding: when every inference thread is busy (other visitors' frames) for longer
    than LIVE_MAX_FRAME_WAIT_MS, the frame is answered "skipped" and never analysed late, so
    every result the page shows is fresh."""
    settings.LIVE_MAX_FRAME_WAIT_MS = 100
    release = threading.Event()
    socket = await open_camera(exhibit.slug, alice_headers)
    busy = [inference_pool().submit(release.wait, 10) for _ in range(inference_threads())]
    await socket.send_to(bytes_data=b"\xff\xd8\xff 1")
    await asyncio.sleep(0.3)  # Frame 1 is now older than the 100 ms allowed.
    release.set()
    assert await receive_json(socket) == {
        "type": "skipped",
        "frame": 1,
        "reason": "busy",
        "dropped": 1,
    }
    assert all(job.result(timeout=5) for job in busy)
    assert instant_model == []
    # The next frame finds a free thread and is analysed as usual.
    await socket.send_to(bytes_data=b"\xff\xd8\xff 2")
    result = await receive_json(socket)
    assert (result["type"], result["frame"], result["dropped"]) == ("result", 2, 1)
    assert instant_model == [b"\xff\xd8\xff 2"]
    await socket.disconnect()


async def test_the_whole_frame_is_searched_after_the_answer_beside_the_next_frames(
    alice_headers, exhibit, monkeypatch
) -> None:
    """The dearest step, a full-frame face search, is never in an answer's way: it starts
    once the frame's result went out, runs on its own thread while the next frames are
    answered, and what it found is followed from the frame after it finished."""
    seen: list[tuple[str, list]] = []
    searching, release = threading.Event(), threading.Event()

    def model(data: bytes, *, max_faces: int, tracker=None):
        seen.append((data[-1:].decode(), list(tracker.boxes)))
        if not tracker.boxes:
            tracker._deferred = ("frame", max_faces)  # As locate() does when it finds none.
        return []

    def search(gray, *, max_faces: int, tracker):
        assert gray == "frame"
        searching.set()
        assert release.wait(10), "the test never released the search"
        return [(10, 20, 100, 100)]

    monkeypatch.setattr(services, "live_frame_analyse", model)
    monkeypatch.setattr(services, "live_faces_search", search)
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_to(bytes_data=b"\xff\xd8\xff 1")
    assert (await receive_json(socket))["frame"] == 1
    assert await asyncio.to_thread(searching.wait, 5)
    # The search is still running: frame 2 is answered all the same.
    await socket.send_to(bytes_data=b"\xff\xd8\xff 2")
    assert (await receive_json(socket, timeout=2))["frame"] == 2
    release.set()
    await asyncio.sleep(0.2)
    await socket.send_to(bytes_data=b"\xff\xd8\xff 3")
    assert (await receive_json(socket))["frame"] == 3
    assert seen == [("1", []), ("2", []), ("3", [(10, 20, 100, 100)])]
    await socket.disconnect()


async def test_it_reports_a_model_failure_and_keeps_going(
    alice_headers, exhibit, monkeypatch
) -> None:
    outcomes = [RuntimeError("model crashed"), [fake_face()]]

    def flaky_model(data: bytes, *, max_faces: int, tracker=None):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(services, "live_frame_analyse", flaky_model)
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_to(bytes_data=b"\xff\xd8\xff a")
    assert (await receive_json(socket))["code"] == "analysis_failed"
    await socket.send_to(bytes_data=b"\xff\xd8\xff b")
    assert (await receive_json(socket))["type"] == "result"
    await socket.disconnect()


async def test_it_keeps_unsaved_seconds_when_a_write_fails(
    alice_headers, visitor, exhibit, instant_model, monkeypatch
) -> None:
    real_save = services.live_readings_save
    attempts: list[int] = []

    def failing_once(**kwargs):
        attempts.append(len(kwargs["buckets"]))
        if len(attempts) == 1:
            raise ConnectionError("database went away")
        return real_save(**kwargs)

    monkeypatch.setattr(services, "live_readings_save", failing_once)
    socket = await open_camera(exhibit.slug, alice_headers)
    for _ in range(2):
        await socket.send_to(bytes_data=b"\xff\xd8\xff frame")
        assert (await receive_json(socket))["type"] == "result"
        await asyncio.sleep(1.0)
    await socket.disconnect()
    # The failed second was kept and written with the next ones.
    assert attempts[0] == 1 and attempts[-1] >= 2
    assert len(await readings_of(visitor, exhibit)) == 2


# --- Consent withdrawal ----------------------------------------------------------------------


async def test_it_closes_at_once_when_consent_is_withdrawn(
    alice_headers, visitor, exhibit, instant_model
) -> None:
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_to(bytes_data=b"\xff\xd8\xff frame")
    assert (await receive_json(socket))["type"] == "result"

    profile = visitor.visitor_profile
    await database_sync_to_async(core_services.consent_withdraw)(profile=profile)
    await database_sync_to_async(services.live_notify_consent_withdrawn)(profile=profile)
    await expect_refusal(socket, code="consent_withdrawn", close_code=4403)
    await socket.send_to(bytes_data=b"\xff\xd8\xff after")  # Ignored: nothing more analysed.
    await socket.disconnect()
    assert len(instant_model) == 1
    assert await readings_of(visitor, exhibit) == []


async def test_it_notices_a_withdrawal_without_a_message(
    alice_headers, visitor, exhibit, instant_model, monkeypatch
) -> None:
    monkeypatch.setattr(CameraConsumer, "dwell_update_seconds", 0.2)
    socket = await open_camera(exhibit.slug, alice_headers)
    # E.g. withdrawn in the admin: the next periodic check closes the socket.
    await database_sync_to_async(core_services.consent_withdraw)(profile=visitor.visitor_profile)
    await expect_refusal(socket, code="consent_withdrawn", close_code=4403)
    await socket.disconnect()


async def test_it_writes_nothing_once_consent_is_gone(
    alice_headers, visitor, exhibit, instant_model
) -> None:
    socket = await open_camera(exhibit.slug, alice_headers)
    await socket.send_to(bytes_data=b"\xff\xd8\xff frame")
    assert (await receive_json(socket))["type"] == "result"
    # Withdrawn where no message reaches the socket: the final write re-reads consent.
    await database_sync_to_async(core_services.consent_withdraw)(profile=visitor.visitor_profile)
    await socket.disconnect()
    assert await readings_of(visitor, exhibit) == []


async def test_a_visitor_group_name_is_per_profile() -> None:
    assert services.visitor_group_name(12) == "visitor-12"
    assert services.visitor_group_name(12) != services.visitor_group_name(13)
