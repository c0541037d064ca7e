"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels routes.

Served by daphne: ``daphne museum_site.asgi:application``.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museum_site.settings")

# Set up Django (apps, models) before importing anything that touches the ORM.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from emotions.consumers import inference_warm_up  # noqa: E402
from emotions.routing import websocket_urlpatterns  # noqa: E402

if settings.LIVE_MODEL_PRELOAD:
    inference_warm_up()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Browsers send Origin on WebSocket handshakes; only our own hosts may connect.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
