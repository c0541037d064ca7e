"""System checks for the privacy settings (ids ``privacy.E0xx``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

RETENTION_SETTINGS = ("READINGS_RETENTION_DAYS", "CLIPS_RETENTION_DAYS")


def notice_template_name(version: int) -> str:
    """Each consent notice version keeps its own template, so old versions stay readable."""
    return f"privacy/notices/v{version}.html"


@register()
def check_retention(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in RETENTION_SETTINGS:
        value = getattr(settings, name, None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"{name} must be a positive number of days.",
                    hint=f"Set the {name} environment variable to a whole number of days.",
                    id="privacy.E001",
                )
            )
    return errors


@register()
def check_current_notice_exists(app_configs, **kwargs) -> list[Error]:
    version = getattr(settings, "CURRENT_CONSENT_VERSION", None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return []  # core.E001 reports this one.
    try:
        get_template(notice_template_name(version))
    except TemplateDoesNotExist:
        return [
            Error(
                f"No consent notice text for CURRENT_CONSENT_VERSION={version}.",
                hint=f"Add templates/{notice_template_name(version)}: visitors must be able "
                "to read the notice they are asked to agree to.",
                id="privacy.E002",
            )
        ]
    return []
