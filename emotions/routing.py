"""WebSocket routes, mounted by ``museum_site/asgi.py`` behind origin and auth checks.

Pages build their socket addresses with :func:`camera_ws_path` and :func:`hall_mood_ws_path`,
so a route changes in one place.
"""

from django.urls import path

from emotions import consumers

websocket_urlpatterns: list = [
    path("ws/exhibits/<slug:slug>/camera/", consumers.CameraConsumer.as_asgi()),
    path("ws/mood/", consumers.HallMoodConsumer.as_asgi()),
]


def camera_ws_path(slug: str) -> str:
    """The camera socket of the exhibit ``slug`` (a path; the page adds ws:// or wss://)."""
    return f"/ws/exhibits/{slug}/camera/"


def hall_mood_ws_path() -> str:
    return "/ws/mood/"
