"""``{% load privacy_tags %}``: retention periods for notices on other apps' pages."""

from django import template

from museum_site.privacy.selectors import RetentionPolicy, retention_policy

register = template.Library()


@register.simple_tag
def privacy_retention() -> RetentionPolicy:
    """``{% privacy_retention as retention %}`` then ``{{ retention.clips_days }}``."""
    return retention_policy()
