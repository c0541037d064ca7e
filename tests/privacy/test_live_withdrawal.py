"""Withdrawing consent, or erasing the account, stops an open camera at once: the real
consent and erase pages, the real camera consumer over the full ASGI application."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client

from emotions.models import EmotionReading
from tests.conftest import PASSWORD
from tests.emotions.live_support import (
    expect_refusal,
    faceless_jpeg,
    open_camera,
    receive_json,
    session_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def test_withdrawing_on_the_consent_page_closes_the_open_camera(visitor, exhibit):
    socket = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    await socket.send_to(bytes_data=faceless_jpeg())
    assert (await receive_json(socket, timeout=30))["type"] == "result"

    client = await sync_to_async(signed_in)(visitor)
    response = await sync_to_async(client.post)("/consent/", {"action": "withdraw"})
    assert response.status_code == 302

    await expect_refusal(socket, code="consent_withdrawn", close_code=4403)
    await socket.disconnect()


async def test_erasing_the_account_closes_the_open_camera(visitor, exhibit):
    socket = await open_camera(exhibit.slug, await sync_to_async(session_headers)(visitor))
    client = await sync_to_async(signed_in)(visitor)
    response = await sync_to_async(client.post)(
        "/me/data/erase/", {"password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    await expect_refusal(socket, code="consent_withdrawn", close_code=4403)
    await socket.disconnect()
    count = await database_sync_to_async(
        EmotionReading.objects.filter(visitor__isnull=False).count
    )()
    assert count == 0
