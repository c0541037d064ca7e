"""The camera round trip again, on the channels-redis layer (the production setup) on the local
Redis: frames and answers, the consent-withdrawal group message and the hall mood."""

from __future__ import annotations

import os
import uuid

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from emotions import services
from emotions.models import EmotionReading
from museum_site.core import services as core_services
from museum_site.env import redis_channel_layer
from tests.emotions.live_support import (
    expect_refusal,
    face_frames,
    mood_socket,
    open_camera,
    receive_json,
    session_headers,
    stream_until_faces,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest_asyncio.fixture
async def redis_layer(settings):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis for the channels-redis layer tests")
    settings.CHANNEL_LAYERS = {
        # As the settings configure it, with a prefix of our own: other test runs may share
        # this Redis database.
        "default": redis_channel_layer(url, prefix=f"test-live-{uuid.uuid4().hex[:8]}")
    }
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    yield layer
    await layer.flush()
    await layer.close_pools()


async def test_it_analyses_a_real_face_and_saves_readings_over_redis(
    redis_layer, visitor, exhibit, fer_val_path
) -> None:
    (frame,) = await sync_to_async(face_frames)(fer_val_path, 1)
    socket = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    answers = await stream_until_faces(socket, frame)
    assert all(a["type"] == "result" for a in answers)
    assert len(answers[-1]["faces"]) >= 1
    assert len(answers[-1]["faces"][0]["probabilities"]) == 7
    await socket.disconnect()
    readings = await database_sync_to_async(
        lambda: list(EmotionReading.objects.filter(visitor__user=visitor, exhibit=exhibit))
    )()
    assert readings and 1 <= sum(r.frame_count for r in readings) <= len(answers)


async def test_a_consent_withdrawal_reaches_the_socket_over_redis(
    redis_layer, visitor, exhibit
) -> None:
    socket = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    profile = visitor.visitor_profile
    await database_sync_to_async(core_services.consent_withdraw)(profile=profile)
    await database_sync_to_async(services.live_notify_consent_withdrawn)(profile=profile)
    await expect_refusal(socket, code="consent_withdrawn", close_code=4403)
    await socket.disconnect()
    # The socket left its groups: nothing is left behind in Redis for it.
    group_key = redis_layer._group_key(services.visitor_group_name(profile.pk))
    connection = redis_layer.connection(redis_layer.consistent_hash(group_key))
    assert await connection.zcard(group_key) == 0


async def test_the_hall_mood_travels_over_redis(redis_layer, staff, visitor, exhibit) -> None:
    watcher = mood_socket(await sync_to_async(session_headers)(staff))
    assert (await watcher.connect())[0]
    assert (await receive_json(watcher))["type"] == "ready"
    camera = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    update = await receive_json(watcher)
    assert update["type"] == "mood" and update["cameras"] == 1
    assert update["exhibit"]["id"] == exhibit.pk
    await camera.disconnect()
    assert (await receive_json(watcher))["cameras"] == 0
    await watcher.disconnect()


async def test_an_idle_camera_survives_redis_read_timeouts(
    redis_layer, visitor, exhibit, fer_val_path
) -> None:
    """channels-redis blocks 5 s per wait; with redis-py 8's default 5 s read timeout every
    idle socket died with 1011 after 5 s (django/channels_redis#422). A visitor who pauses
    must keep the camera."""
    frames = await sync_to_async(face_frames)(fer_val_path, 1)
    socket = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    assert await socket.receive_nothing(timeout=7.5)  # idle, longer than one blocking wait
    answers = await stream_until_faces(socket, frames[0])
    assert all(a["type"] == "result" for a in answers) and answers[-1]["faces"]
    await socket.disconnect()
