"""Recorded-clip pages: upload (or record) a clip, follow its analysis, see its timeline.

Thin views over ``emotions.clips``. The upload view answers HTML to the form and JSON to the
in-browser recorder (``static/emotions/recorder.js``), which asks with ``Accept:
application/json``. The clip page polls ``clip_status`` (``static/emotions/clip.js``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from emotions import clips
from emotions.forms import ClipUploadForm, ClipUploadLimitHandler
from emotions.models import Clip
from ml import EMOTIONS
from museum_site.core import selectors as core_selectors
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit, VisitorProfile

# Room for the multipart envelope around the file (boundaries, headers, the CSRF field).
MULTIPART_OVERHEAD_BYTES = 64 * 1024
RECENT_CLIPS_SHOWN = 5


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def clip_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Send a clip of oneself at an exhibit: upload a file or record one in the browser."""
    limit_handler = None
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.CLIP_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
            # Refused on the declared length alone, before a byte of the body is read (even
            # by the CSRF check, which parses the form). Nothing is stored, so nothing to forge.
            return _clip_upload_refused(request, slug, clips.clip_too_large_message(declared))
        # Upload handlers must be in place before anything reads the body, CSRF checks
        # included: hence csrf_exempt here and csrf_protect on the inner view (the pattern
        # Django documents for per-view upload handlers).
        limit_handler = ClipUploadLimitHandler(request)
        request.upload_handlers = [limit_handler, TemporaryFileUploadHandler(request)]
    return _clip_upload(request, slug, limit_handler)


def _exhibit_or_404(slug: str) -> Exhibit:
    try:
        return core_selectors.exhibit_get(slug=slug)
    except Exhibit.DoesNotExist:
        raise Http404("No such exhibit.") from None


def _clip_upload_refused(request: HttpRequest, slug: str, message: str) -> HttpResponse:
    """413 for an upload refused on its size, as JSON or as the form page with the error."""
    exhibit = _exhibit_or_404(slug)
    if _wants_json(request):
        return JsonResponse({"errors": {"__all__": [{"message": message}]}}, status=413)
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    return _clip_upload_page(
        request, exhibit, profile, ClipUploadForm(), status=413, refused=message
    )


@csrf_protect
def _clip_upload(
    request: HttpRequest, slug: str, limit_handler: ClipUploadLimitHandler | None
) -> HttpResponse:
    exhibit = _exhibit_or_404(slug)
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    if not profile.has_current_consent():
        if _wants_json(request):
            message = "Give your consent on the camera notice first."
            return JsonResponse({"errors": {"__all__": [{"message": message}]}}, status=403)
        query = urlencode({"next": request.path})
        return redirect(f"{reverse('core:consent')}?{query}")

    form = ClipUploadForm()
    status = 200
    if request.method == "POST":
        form = ClipUploadForm(request.POST, request.FILES)
        if limit_handler is not None and limit_handler.exceeded:
            # The file part was dropped mid-way: report the size, not a missing file.
            message = clips.clip_too_large_message(0)
            if _wants_json(request):
                return JsonResponse({"errors": {"__all__": [{"message": message}]}}, status=413)
            return _clip_upload_page(
                request, exhibit, profile, ClipUploadForm(), status=413, refused=message
            )
        if form.is_valid():
            try:
                # Together or not at all: a refused video must not leave a visit behind.
                with transaction.atomic():
                    clip = clips.clip_create(
                        visitor=profile,
                        exhibit=exhibit,
                        file=form.cleaned_data["file"],
                        visit=core_services.visit_start(visitor=profile, exhibit=exhibit),
                    )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                if _wants_json(request):
                    return JsonResponse(_clip_status_data(clip), status=201)
                return redirect("emotions:clip_detail", pk=clip.pk)
        status = 400
        if _wants_json(request):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=status)
    return _clip_upload_page(request, exhibit, profile, form, status=status)


def _clip_upload_page(
    request: HttpRequest,
    exhibit: Exhibit,
    profile: VisitorProfile,
    form: ClipUploadForm,
    *,
    status: int,
    refused: str = "",
) -> HttpResponse:
    context = {
        "refused": refused,
        "exhibit": exhibit,
        "profile": profile,
        "form": form,
        "recent_clips": clips.clip_list_for(visitor=profile, exhibit=exhibit)[:RECENT_CLIPS_SHOWN],
        "max_bytes": settings.CLIP_MAX_BYTES,
        "max_seconds": settings.CLIP_MAX_SECONDS,
    }
    return render(request, "emotions/clip_upload.html", context, status=status)


def _own_clip(request: HttpRequest, pk: int) -> Clip:
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    try:
        return clips.clip_get_for(visitor=profile, pk=pk)
    except Clip.DoesNotExist:
        # Someone else's clip looks exactly like a missing one.
        raise Http404("No such clip.") from None


def _clip_status_data(clip: Clip) -> dict:
    return {
        "id": clip.pk,
        "status": clip.status,
        "status_label": clip.get_status_display(),
        "progress": round(clip.progress, 3),
        "finished": clip.is_finished,
        "error": clip.error,
        "url": reverse("emotions:clip_detail", kwargs={"pk": clip.pk}),
        "status_url": reverse("emotions:clip_status", kwargs={"pk": clip.pk}),
    }


@login_required
@require_GET
def clip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The clip's status with a live progress bar, then its per-second timeline."""
    clip = _own_clip(request, pk)
    context = {
        "clip": clip,
        "status": _clip_status_data(clip),
        "emotions": EMOTIONS,
        "timeline": [entry for entry in clip.timeline if isinstance(entry, dict)],
    }
    return render(request, "emotions/clip_detail.html", context)


@never_cache
@login_required
@require_GET
def clip_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Small JSON document the clip page polls while the analysis runs."""
    return JsonResponse(_clip_status_data(_own_clip(request, pk)))
