"""Privacy pages (namespace ``privacy``). The consent page keeps its older name
``core:consent`` (``museum_site/core/urls.py`` routes it to ``views.consent``)."""

import re

from django.conf import settings
from django.urls import URLPattern, path, re_path

from museum_site.privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.how_we_use_emotion_recognition, name="how"),
    path("privacy/model-card/", views.model_card, name="model_card"),
    path("me/data/download/", views.export, name="export"),
    path("me/data/erase/", views.erase, name="erase"),
]


def media_urlpatterns() -> list[URLPattern]:
    """Development-only media serving (``settings.DEBUG``), see :func:`views.media`."""
    prefix = settings.MEDIA_URL.lstrip("/")
    if not settings.DEBUG or not prefix or "://" in prefix:
        return []
    return [re_path(rf"^{re.escape(prefix)}(?P<path>.*)$", views.media)]
