"""Security headers Django 5.2 does not set: Content-Security-Policy and Permissions-Policy.

The policies come from ``settings.CONTENT_SECURITY_POLICY`` and ``settings.PERMISSIONS_POLICY``
(directive -> list of sources). A response that already carries a header keeps it, so a view
can tighten its own policy (the media view sends ``default-src 'none'; sandbox``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin


def policy_header(directives: Mapping[str, Sequence[str]]) -> str:
    """``{"default-src": ["'self'"], "upgrade-insecure-requests": []}`` as a CSP header."""
    parts = []
    for name, sources in directives.items():
        if isinstance(sources, str):
            raise ImproperlyConfigured(f"CSP directive {name!r} needs a list of sources.")
        parts.append(" ".join([name, *sources]))
    return "; ".join(parts)


def permissions_header(features: Mapping[str, Sequence[str]]) -> str:
    """``{"camera": ["self"], "geolocation": []}`` -> ``camera=(self), geolocation=()``."""
    return ", ".join(f"{name}=({' '.join(origins)})" for name, origins in features.items())


class SecurityHeadersMiddleware(MiddlewareMixin):
    csp_header = "Content-Security-Policy"
    permissions_header = "Permissions-Policy"

    def __init__(self, get_response) -> None:
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        permissions = getattr(settings, "PERMISSIONS_POLICY", None)
        if not csp and not permissions:
            raise MiddlewareNotUsed
        self.csp_value = policy_header(csp) if csp else ""
        self.permissions_value = permissions_header(permissions) if permissions else ""
        super().__init__(get_response)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if self.csp_value and self.csp_header not in response:
            response[self.csp_header] = self.csp_value
        if self.permissions_value and self.permissions_header not in response:
            response[self.permissions_header] = self.permissions_value
        return response
