"""``consent_required``: for pages that use the camera or send clips."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from museum_site.core.services import visitor_profile_get_or_create


def consent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in first, then current consent: otherwise go to the notice and come back.

    A visitor who agreed to an older notice version is asked again, because
    ``has_current_consent`` compares with ``settings.CURRENT_CONSENT_VERSION``.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        profile = visitor_profile_get_or_create(user=request.user)
        if not profile.has_current_consent():
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('core:consent')}?{query}")
        return view(request, *args, **kwargs)

    return login_required(wrapper)
