"""Template helpers: ``{% load museum_tags %}``."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args, **kwargs) -> str:
    """Like ``{% url %}``, but an empty string when ``name`` is not routed (yet).

    Lets templates link to features that plug in later, e.g.
    ``{% optional_url "emotions:camera" exhibit.slug as camera_url %}``.
    """
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.filter
def duration(value: int | float | timedelta | None) -> str:
    """Seconds or a timedelta as ``"1 h 05 min"``, ``"4 min 12 s"`` or ``"35 s"``."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
