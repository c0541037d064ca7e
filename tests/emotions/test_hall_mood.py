"""The staff hall mood: the page, its socket, the per-process board and the saved snapshot."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from emotions import services
from emotions.selectors import hall_mood_allowed, hall_mood_snapshot
from emotions.services import (
    HALL_MOOD_GROUP,
    LiveMoodBoard,
    ReadingBucket,
    reading_build,
    readings_save,
)
from ml import EMOTIONS
from tests.emotions.live_support import (
    database_thread_held,
    expect_refusal,
    fake_face,
    mood_socket,
    open_camera,
    receive_json,
    session_headers,
)

UPDATE_KEYS = {
    "type",
    "publisher",
    "exhibit",
    "cameras",
    "faces",
    "probabilities",
    "window_seconds",
}


def probs(**values: float) -> dict[str, float]:
    base = dict.fromkeys(EMOTIONS, 0.0)
    base.update(values)
    return base


def bucket_of(*faces: dict[str, float]) -> ReadingBucket:
    bucket = ReadingBucket(started_at=timezone.now())
    bucket.add_frame(list(faces))
    return bucket


# --- Who may watch ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_staff_and_report_viewers_watch(curator, staff, visitor, django_user_model) -> None:
    plain_staff = django_user_model.objects.create_user("gina", is_staff=True)
    reporter = django_user_model.objects.create_user("hugo")
    reporter.user_permissions.add(Permission.objects.get(codename="view_reports"))
    for user in (curator, staff, plain_staff, reporter):
        assert hall_mood_allowed(user=user), user
    inactive = django_user_model.objects.create_user("ivy", is_staff=True, is_active=False)
    for user in (visitor, inactive):
        assert not hall_mood_allowed(user=user), user


@pytest.mark.django_db
def test_the_page_is_for_staff_only(client, curator, visitor) -> None:
    url = reverse("emotions:hall_mood")
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    client.force_login(visitor)
    assert client.get(url).status_code == 403
    client.force_login(curator)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-ws-path="/ws/mood/"' in html
    assert "/static/emotions/hall_mood.js" in html
    assert 'id="hall-mood-initial"' in html


@pytest.mark.django_db
def test_the_page_starts_from_the_last_seconds_of_saved_readings(
    client, curator, visitor, outsider, exhibit, fossil
) -> None:
    now = timezone.now()
    alice, bob = visitor.visitor_profile, outsider.visitor_profile
    readings_save(
        readings=[
            reading_build(
                exhibit=exhibit,
                probabilities=probs(happy=1.0),
                recorded_at=now,
                visitor=alice,
                face_count=3,
            ),
            reading_build(
                exhibit=exhibit,
                probabilities=probs(sad=1.0),
                recorded_at=now,
                visitor=bob,
                face_count=1,
            ),
            # Too old for the live window:
            reading_build(
                exhibit=fossil,
                probabilities=probs(fear=1.0),
                recorded_at=now - timedelta(minutes=5),
                visitor=alice,
            ),
        ]
    )
    client.force_login(curator)
    html = client.get(reverse("emotions:hall_mood")).content.decode()
    initial = json.loads(
        html.split('id="hall-mood-initial" type="application/json">')[1].split("</script>")[0]
    )
    assert len(initial) == 1
    (mood,) = initial
    assert mood["exhibit"] == {
        "id": exhibit.pk,
        "slug": exhibit.slug,
        "title": exhibit.title,
        "hall": exhibit.hall.name,
    }
    assert mood["cameras"] == 2 and mood["faces"] == 4
    # Per face: three happy faces and one sad one.
    assert mood["probabilities"]["happy"] == pytest.approx(0.75)
    assert mood["probabilities"]["sad"] == pytest.approx(0.25)
    assert "alice" not in html.split('id="hall-mood-initial"')[1]


@pytest.mark.django_db
def test_the_snapshot_ignores_inactive_exhibits(visitor, exhibit) -> None:
    readings_save(
        readings=[
            reading_build(
                exhibit=exhibit,
                probabilities=probs(happy=1.0),
                recorded_at=timezone.now(),
                visitor=visitor.visitor_profile,
            )
        ]
    )
    assert len(hall_mood_snapshot()) == 1
    exhibit.active = False
    exhibit.save()
    assert hall_mood_snapshot() == []


# --- The socket ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_anonymous_and_non_staff_users(visitor) -> None:
    socket = mood_socket(session_headers())
    assert (await socket.connect())[0]
    await expect_refusal(socket, code="unauthenticated", close_code=4401)
    await socket.disconnect()

    socket = mood_socket(await sync_to_async(session_headers)(visitor))
    assert (await socket.connect())[0]
    await expect_refusal(socket, code="forbidden", close_code=4403)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_foreign_origin(staff) -> None:
    headers = await sync_to_async(session_headers)(staff, origin=b"http://evil.example")
    assert not (await mood_socket(headers).connect())[0]


@pytest.mark.django_db(transaction=True)
async def test_staff_see_each_camera_update_without_identities(
    staff, visitor, exhibit, monkeypatch
) -> None:
    # (The transactional database has no Curators group: it is flushed between tests.)
    monkeypatch.setattr(
        services,
        "live_frame_analyse",
        lambda data, max_faces, tracker=None: [fake_face(happy=0.8, sad=0.2)],
    )
    watcher = mood_socket(await sync_to_async(session_headers)(staff))
    assert (await watcher.connect())[0]
    assert (await receive_json(watcher))["type"] == "ready"

    camera = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    joined = await receive_json(watcher)
    assert joined["type"] == "mood" and joined["cameras"] == 1 and joined["faces"] == 0

    for _ in range(2):  # Two seconds: the first is finished (and published) by the second.
        await camera.send_to(bytes_data=b"\xff\xd8\xff frame")
        answer = await receive_json(camera)
        assert answer["type"] == "result", answer
        await asyncio.sleep(1.05)
    update = await receive_json(watcher)
    assert set(update) == UPDATE_KEYS
    assert update["exhibit"] == {
        "id": exhibit.pk,
        "slug": exhibit.slug,
        "title": exhibit.title,
        "hall": exhibit.hall.name,
    }
    assert update["cameras"] == 1 and update["faces"] == 1
    assert update["probabilities"]["happy"] == pytest.approx(0.8)
    assert update["publisher"] == services.LIVE_PUBLISHER_ID

    await camera.disconnect()
    left = await receive_json(watcher)
    assert left["cameras"] == 0
    raw = json.dumps([joined, update, left])
    assert "alice" not in raw.lower() and "box" not in raw and "visit" not in raw
    await watcher.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_updates_and_pings_pass_while_the_database_thread_is_busy(staff) -> None:
    """As on the camera socket (docs/scaling.md, round 3): relaying an update or answering a
    ping must not wait for the database thread that every camera's reading writes share."""
    watcher = mood_socket(await sync_to_async(session_headers)(staff))
    assert (await watcher.connect())[0]
    assert (await receive_json(watcher))["type"] == "ready"
    async with database_thread_held():
        await get_channel_layer().group_send(
            HALL_MOOD_GROUP, {"type": "mood.update", "cameras": 3, "faces": 2}
        )
        update = await receive_json(watcher, timeout=1)
        assert (update["type"], update["cameras"], update["faces"]) == ("mood", 3, 2)
        await watcher.send_json_to({"type": "ping"})
        assert await receive_json(watcher, timeout=1) == {"type": "pong"}
    await watcher.disconnect()


# --- The board (fast: a fake clock) ----------------------------------------------------------


class FakeExhibit:
    class hall:  # noqa: N801 - mimics exhibit.hall
        name = "Sculpture Court"

    def __init__(self, pk: int) -> None:
        self.pk, self.slug, self.title = pk, f"exhibit-{pk}", f"Exhibit {pk}"


def test_the_board_publishes_at_most_once_a_second_per_exhibit() -> None:
    now = [100.0]
    board = LiveMoodBoard(window_seconds=10, clock=lambda: now[0])
    one, two = FakeExhibit(1), FakeExhibit(2)
    assert board.camera_joined(exhibit=one, camera="a")["cameras"] == 1
    assert board.camera_joined(exhibit=one, camera="b") is None  # Too soon for exhibit 1 ...
    assert board.camera_joined(exhibit=two, camera="c")["cameras"] == 1  # ... not for 2.
    assert board.add_second(exhibit_id=1, bucket=bucket_of(probs(happy=1.0))) is None
    now[0] += 1.0
    update = board.add_second(exhibit_id=1, bucket=bucket_of(probs(sad=1.0)))
    assert update["cameras"] == 2 and update["faces"] == 2
    assert update["probabilities"]["happy"] == 0.5 and update["probabilities"]["sad"] == 0.5


def test_the_board_averages_only_the_window() -> None:
    now = [0.0]
    board = LiveMoodBoard(window_seconds=10, clock=lambda: now[0])
    board.camera_joined(exhibit=FakeExhibit(1), camera="a")
    now[0] = 1
    board.add_second(exhibit_id=1, bucket=bucket_of(probs(fear=1.0), probs(fear=1.0)))
    now[0] = 12
    update = board.add_second(exhibit_id=1, bucket=bucket_of(probs(happy=1.0)))
    assert update["faces"] == 1 and update["probabilities"]["happy"] == 1.0
    now[0] = 30
    assert board.camera_joined(exhibit=FakeExhibit(1), camera="b")["probabilities"] is None


def test_the_board_always_reports_the_last_camera_leaving() -> None:
    now = [0.0]
    board = LiveMoodBoard(clock=lambda: now[0])
    board.camera_joined(exhibit=FakeExhibit(1), camera="a")
    board.camera_joined(exhibit=FakeExhibit(1), camera="b")
    assert board.camera_left(exhibit_id=1, camera="a") is None  # Throttled ...
    assert board.camera_left(exhibit_id=1, camera="b")["cameras"] == 0  # ... but not the last.
    assert board.cameras_at(1) == 0
    assert board.camera_left(exhibit_id=1, camera="b") is None
    assert board.add_second(exhibit_id=1, bucket=bucket_of(probs(happy=1.0))) is None


def test_the_board_ignores_faceless_seconds() -> None:
    board = LiveMoodBoard(min_interval_seconds=0)
    board.camera_joined(exhibit=FakeExhibit(1), camera="a")
    assert board.add_second(exhibit_id=1, bucket=bucket_of()) is None


@pytest.mark.django_db
def test_staff_find_the_page_in_the_menu(client, curator, visitor) -> None:
    link = f'href="{reverse("emotions:hall_mood")}"'
    client.force_login(visitor)
    assert link not in client.get("/").content.decode()
    client.force_login(curator)
    assert link in client.get("/").content.decode()
