"""WebSocket routes, mounted by ``museum_site/asgi.py`` behind origin and auth checks.

The camera feature adds its consumer here, e.g.
``path("ws/exhibits/<slug:slug>/camera/", consumers.CameraConsumer.as_asgi())``.
"""

websocket_urlpatterns: list = []
