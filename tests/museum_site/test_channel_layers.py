"""Channel layers: in memory by default, Redis when configured (needs TEST_REDIS_URL)."""

import os
import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

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
