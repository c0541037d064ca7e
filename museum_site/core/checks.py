"""System checks for settings the core app relies on (ids ``core.E0xx``)."""

from datetime import timedelta

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_consent_version(app_configs, **kwargs) -> list[Error]:
    version = getattr(settings, "CURRENT_CONSENT_VERSION", None)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return [
            Error(
                "CURRENT_CONSENT_VERSION must be a positive integer.",
                hint="It numbers the consent notice; raise it when the notice changes.",
                id="core.E001",
            )
        ]
    return []


@register()
def check_visit_reuse_window(app_configs, **kwargs) -> list[Error]:
    window = getattr(settings, "VISIT_REUSE_WINDOW", None)
    if not isinstance(window, timedelta) or window <= timedelta(0):
        return [
            Error(
                "VISIT_REUSE_WINDOW must be a positive datetime.timedelta.",
                hint="Set VISIT_REUSE_HOURS to a positive number of hours.",
                id="core.E002",
            )
        ]
    return []
