"""``/healthz``: whether this process can serve, for load balancers, deploy scripts and
benchmarks/live_load.py.

200 with ``{"status": "ok", "database": "ok", "model": ...}`` while the database answers; 503
(and ``"database": "unavailable"``) when it does not. ``model`` is ``loaded`` once the emotion
model is in memory (``LIVE_MODEL_PRELOAD`` loads it as the process starts), else ``loading``
(preloading) or ``on_first_use``: route camera traffic to a new process once it says ``loaded``.
Nothing private is revealed, so it needs no sign-in.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from emotions.services import live_model_loaded

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        logger.exception("health check: the database is unavailable")
        database = "unavailable"
    if live_model_loaded():
        model = "loaded"
    else:
        model = "loading" if settings.LIVE_MODEL_PRELOAD else "on_first_use"
    ok = database == "ok"
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "model": model},
        status=200 if ok else 503,
    )
