"""The OpenAPI schema and its Swagger UI, served from this site (drf-spectacular-sidecar).

The UI is the "split" variant: its start-up script is a separate request instead of an
inline ``<script>``, and our template swaps drf-spectacular's inline ``<style>`` for a
static file, so the page works under ``Content-Security-Policy: default-src 'self'``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 document of the version in the URL (YAML, or JSON with ``?format=json``)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SwaggerView(SpectacularSwaggerSplitView):
    url_name = "api:schema"
    template_name = "api/swagger_ui.html"
