"""OpenAPI details drf-spectacular cannot infer: our security schemes and error responses.

Registered from ``ApiConfig.ready()``; the hook is named in ``SPECTACULAR_SETTINGS``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "For people."},
                "details": {
                    "description": "Field errors (400), retry_after (429), else null.",
                    "nullable": True,
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

_DESCRIPTIONS = {
    "400": "Invalid input; `details` maps fields to messages.",
    "401": "No or bad credentials.",
    "403": "Authenticated, but not allowed (missing scope, partner on a visitor route...).",
    "404": "Not found (also someone else's object, and pages past the end).",
    "409": "Conflicting concurrent change; retry.",
    "413": "The body is larger than the limit.",
    "415": "Unsupported Content-Type.",
    "429": "Too many requests; `details.retry_after` in seconds.",
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "museum_site.api.authentication.ApiKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Partner applications: `Api-Key mpk_<prefix>.<secret>`.",
        }


class VisitorTokenScheme(OpenApiAuthenticationExtension):
    target_class = "museum_site.api.authentication.VisitorTokenAuthentication"
    name = "visitorToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A visitor's personal token `mvt_<prefix>.<secret>` (see /me/tokens/).",
        }


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document the error responses every operation may give, with the shared Error body."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            codes = ["400", "401", "403", "404", "429"]
            if method in {"post", "put", "patch"}:
                codes += ["409", "413", "415"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
