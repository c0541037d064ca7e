"""Number formats of the report pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.4235 -> "42.4 %"; empty for None."""
    if value is None:
        return ""
    return f"{value * 100:.1f} %"


@register.filter
def signed(value: float | None) -> str:
    """Valence with its sign: 0.25 -> "+0.25", -0.1 -> "−0.10"."""
    if value is None:
        return ""
    return f"{value:+.2f}".replace("-", "\u2212")


@register.filter
def seconds(value: float | None) -> str:
    """Mean dwell: 75.4 -> "75 s"; 3725 -> "62 min 5 s"."""
    if value is None:
        return ""
    total = round(value)
    if total < 60:
        return f"{total} s"
    return f"{total // 60} min {total % 60} s"
