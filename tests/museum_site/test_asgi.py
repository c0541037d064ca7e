"""The ASGI application that daphne serves: HTTP to Django, WebSockets behind checks."""

import pytest
from channels.routing import ProtocolTypeRouter
from channels.testing import HttpCommunicator, WebsocketCommunicator

from tests.emotions.live_support import asgi_application


def test_it_routes_http_and_websockets():
    application = asgi_application()
    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


async def test_it_serves_django_over_http_with_security_headers():
    communicator = HttpCommunicator(
        asgi_application(), "GET", "/no-such-page/", headers=[(b"host", b"testserver")]
    )
    response = await communicator.get_response()
    headers = dict(response["headers"])
    assert response["status"] == 404
    assert headers[b"X-Frame-Options"] == b"DENY"
    assert headers[b"X-Content-Type-Options"] == b"nosniff"


# Every Channels consumer, the origin check's denier too, tidies the thread's old database
# connections on each message; after a test that left one open in that thread (the hall-mood
# tests run before this one alone), that touches the database, so this test may.
@pytest.mark.django_db
async def test_it_refuses_websockets_from_foreign_origins():
    communicator = WebsocketCommunicator(
        asgi_application(), "/ws/anything/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
