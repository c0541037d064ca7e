"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``.

``code`` is a stable machine-readable word (``invalid``, ``not_authenticated``,
``permission_denied``, ``not_found``, ``method_not_allowed``, ``payload_too_large``,
``unsupported_media_type``, ``throttled``, ``conflict``, ``server_error``...), ``message``
a sentence for people and ``details`` the field errors of a 400 (else ``null`` or extra
facts such as ``retry_after``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with data saved at the same time; try again."
    default_code = "conflict"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _first_code(codes: Any) -> str:
    """DRF's ``get_codes()`` may be a string, a list or a dict of them."""
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "error"


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):
        # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, hit when DRF reads a JSON or form body.
        return PayloadTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    if isinstance(exc, SuspiciousOperation):
        # Too many fields or files, a malformed multipart body...: the client's fault.
        return exceptions.ParseError("The request body is malformed or has too many parts.")
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, IntegrityError):
        # A unique constraint hit by a concurrent request after validation passed.
        return Conflict()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Log it, tell error reporters, answer in the same shape.
        request = context.get("request")
        logger.error("Unhandled error in the API", exc_info=exc)
        if request is not None:
            got_request_exception.send(sender=None, request=request._request)
        set_rollback()
        return Response(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "The request is not valid.", exc.detail)
        return response
    if not isinstance(exc, exceptions.APIException):  # pragma: no cover - DRF handles only these
        return response
    message = str(exc.detail) if not isinstance(exc.detail, list | dict) else exc.default_detail
    details = None
    if isinstance(exc, exceptions.Throttled):
        details = {"retry_after": None if exc.wait is None else math.ceil(exc.wait)}
    response.data = error_body(_first_code(exc.get_codes()), message, details)
    return response


@csrf_exempt  # it changes nothing; a CSRF refusal would answer an HTML 403 instead
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unrouted paths under ``/api/`` answer in the API's shape, not with the HTML 404."""
    return JsonResponse(
        error_body("not_found", f"No API route at {request.path}. See /api/v1/docs/."),
        status=404,
    )
