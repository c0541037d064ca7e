"""Pages of the emotions app. Views stay thin: check access, call a selector, render.

The camera and hall-mood pages are shells: the live work happens over their WebSockets
(``emotions/consumers.py``), driven by ``static/emotions/camera.js`` and ``hall_mood.js``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from emotions import selectors
from emotions.consumers import CameraConsumer
from emotions.models import EMOTION_CHOICES
from emotions.routing import camera_ws_path, hall_mood_ws_path
from museum_site.core import selectors as core_selectors
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit

# What the browser sends: frames downscaled to this width, JPEG quality and default rate.
CAMERA_FRAME_WIDTH = 320
CAMERA_JPEG_QUALITY = 0.7
CAMERA_DEFAULT_FPS = 5
CAMERA_FPS_CHOICES = (1, 2, 5, 10)


@login_required
@require_GET
def camera(request: HttpRequest, slug: str) -> HttpResponse:
    """The live camera page of an exhibit, for signed-in visitors with current consent."""
    try:
        # Only active exhibits: the consumer refuses inactive ones, so the page would be dead.
        exhibit = core_selectors.exhibit_get(slug=slug)
    except Exhibit.DoesNotExist:
        raise Http404("No such exhibit.") from None
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    if not profile.has_current_consent():
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('core:consent')}?{query}")
    context = {
        "exhibit": exhibit,
        "profile": profile,
        "ws_path": camera_ws_path(exhibit.slug),
        "frame_width": CAMERA_FRAME_WIDTH,
        "jpeg_quality": CAMERA_JPEG_QUALITY,
        "default_fps": CAMERA_DEFAULT_FPS,
        "fps_choices": [
            fps for fps in CAMERA_FPS_CHOICES if fps <= CameraConsumer.max_frames_per_second
        ],
        "max_frame_bytes": CameraConsumer.max_frame_bytes,
        "emotions": EMOTION_CHOICES,
    }
    return render(request, "emotions/camera.html", context)


@login_required
@require_GET
def hall_mood(request: HttpRequest) -> HttpResponse:
    """Staff page: the anonymous live emotion mix at each exhibit, updated over a WebSocket."""
    if not selectors.hall_mood_allowed(user=request.user):
        raise PermissionDenied("Only staff may see the live hall mood.")
    context = {
        "ws_path": hall_mood_ws_path(),
        "window_seconds": selectors.HALL_MOOD_WINDOW_SECONDS,
        # The last seconds from the database, so the page is not empty before the first update.
        "initial": selectors.hall_mood_snapshot(),
        "emotions": EMOTION_CHOICES,
    }
    return render(request, "emotions/hall_mood.html", context)
