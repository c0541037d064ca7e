"""Privacy pages: the consent notice (``core:consent``), data download and erasure, the public
"How we use emotion recognition" page and the model card, and media serving in development.

Views stay thin: they check the request, call a service or selector and render.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.static import serve

from emotions.models import Clip
from ml import EMOTIONS
from museum_site.core.services import visitor_profile_get_or_create
from museum_site.privacy import selectors, services
from museum_site.privacy.forms import ConsentForm, EraseAccountForm

# Uploads are data, never pages: no script runs and nothing is embedded if one is opened.
MEDIA_CSP = "default-src 'none'; sandbox"


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter if it points back into this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    """The camera notice, where a visitor gives or withdraws consent (URL name core:consent)."""
    profile = visitor_profile_get_or_create(user=request.user)
    next_url = _safe_next(request, reverse("core:visitor_home"))
    notice = selectors.consent_notice()
    form = ConsentForm(
        request.POST or None,
        initial={"keep_media": profile.keep_media, "notice_sha256": notice.sha256},
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["action"] == ConsentForm.GIVE:
                services.consent_grant(
                    profile=profile,
                    keep_media=form.cleaned_data["keep_media"],
                    notice_sha256=form.cleaned_data["notice_sha256"] or None,
                )
                messages.success(request, "Thank you. Your consent is recorded.")
            else:
                services.consent_revoke(profile=profile)
                messages.info(
                    request,
                    "Your consent is withdrawn. The camera is off for you and nothing more "
                    "is analysed.",
                )
        except ValidationError as error:
            # E.g. the notice changed while the visitor read it: the page shows the new text
            # (and its hash) to agree to.
            form.add_error(None, error)
        else:
            return redirect(next_url)
    context = {
        "profile": profile,
        "form": form,
        "next": next_url,
        "notice": notice,
        "consent_version": notice.version,
        "history": selectors.consent_history_for(profile=profile),
        "retention": selectors.retention_policy(),
    }
    return render(request, "privacy/consent.html", context)


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """Download my data: everything stored about the visitor, as a JSON attachment."""
    profile = visitor_profile_get_or_create(user=request.user)
    return export_response(services.visitor_export(profile=profile), name=profile.user)


def export_response(data: object, *, name: object) -> HttpResponse:
    """A JSON download that no cache keeps (shared by the visitor's page and the admin)."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"museum-data-{name}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """Erase my account: asks for the password again (through django-axes' lockout)."""
    profile = visitor_profile_get_or_create(user=request.user)
    form = EraseAccountForm(request.POST or None)
    staff = request.user.is_staff or request.user.is_superuser
    if request.method == "POST" and not staff and form.is_valid():
        # authenticate(), not check_password(): failures count towards the sign-in lockout.
        confirmed = authenticate(
            request,
            username=request.user.get_username(),
            password=form.cleaned_data["password"],
        )
        if confirmed is None or confirmed.pk != request.user.pk:
            form.add_error("password", "That is not your password.")
        else:
            # Sign out first: the sign-out itself writes sign-in records the erasure removes.
            logout(request)
            services.visitor_erase(profile=profile)
            messages.success(request, "Your account and your data are erased. Goodbye.")
            return redirect("core:home")
    context = {"profile": profile, "form": form, "staff": staff}
    return render(request, "privacy/erase.html", context)


@require_GET
def how_we_use_emotion_recognition(request: HttpRequest) -> HttpResponse:
    """Public transparency page (EU AI Act art. 50(3)): what runs, what is kept, how well."""
    context = {
        "notice": selectors.consent_notice(),
        "retention": selectors.retention_policy(),
        "emotions": EMOTIONS,
        "model_card": selectors.model_card(),
    }
    return render(request, "privacy/how.html", context)


@require_GET
def model_card(request: HttpRequest) -> HttpResponse:
    card = selectors.model_card()
    if card is None:
        raise Http404("No model card has been published yet.")
    return render(request, "privacy/model_card.html", {"model_card": card})


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Development media serving (DEBUG only): uploads as downloads, and never a clip.

    Production lets the web server serve MEDIA_ROOT with the same headers (README.md).
    """
    if _is_clip_path(path):
        raise Http404("Not found.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Disposition"] = content_disposition_header(True, posixpath.basename(path))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    return response


def _is_clip_path(path: str) -> bool:
    """True if ``path`` (under MEDIA_ROOT) lies in the clip storage or names a clip file."""
    name = posixpath.normpath(path).lstrip("/")
    media_root = Path(settings.MEDIA_ROOT).resolve()
    requested = (media_root / name).resolve()
    location = getattr(Clip._meta.get_field("file").storage, "location", None)
    folder = selectors.clip_storage_folder()
    if location is not None and folder is not None:
        clip_root = Path(location).resolve() / folder
        if clip_root != media_root and (requested == clip_root or clip_root in requested.parents):
            return True
    return Clip.objects.filter(file=name).exists()
