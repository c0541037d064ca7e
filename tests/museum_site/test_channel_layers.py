"""Channel layers: in memory by default, Redis when configured (needs TEST_REDIS_URL)."""

import asyncio
import os
import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from museum_site.env import redis_channel_layer

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


async def test_it_uses_the_in_memory_layer_by_default():
    layer = get_channel_layer()
    assert type(layer).__name__ == "InMemoryChannelLayer"
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "hello"})
    assert await layer.receive(channel) == {"type": "hello"}


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_it_sends_through_redis_groups():
    layer = RedisChannelLayer(hosts=[TEST_REDIS_URL], prefix=f"test-{uuid.uuid4().hex}")
    group = "exhibit-visitors"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "emotion", "label": "happy"})
    assert await layer.receive(channel) == {"type": "emotion", "label": "happy"}
    await layer.group_discard(group, channel)
    await layer.flush()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_a_receive_outlasts_the_redis_read_timeout():
    """The layer as settings build it waits past channels-redis's 5 s blocking pop (which
    redis-py 8's default read timeout used to abort) and still gets the message."""
    config = redis_channel_layer(TEST_REDIS_URL, prefix=f"test-{uuid.uuid4().hex}")
    layer = RedisChannelLayer(**config["CONFIG"])
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(7)
    assert not waiting.done(), waiting.exception() if waiting.done() else None
    await layer.send(channel, {"type": "late"})
    assert await asyncio.wait_for(waiting, 5) == {"type": "late"}
    await layer.flush()
    await layer.close_pools()
