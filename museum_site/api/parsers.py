"""Raw image bodies, refused with 413 before reading when they are too large.

JSON and form bodies need nothing here: DRF reads them through ``HttpRequest.body``, which
enforces Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (turned into 413 by the exception handler).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.parsers import BaseParser, DataAndFiles
from rest_framework.request import Request

from museum_site.api.exceptions import PayloadTooLarge


def declared_length(request: HttpRequest | Request) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def reject_oversized_body(request: HttpRequest | Request, limit: int) -> None:
    """413 when the declared body is larger than ``limit`` bytes (checked before reading)."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit} bytes.")


class RawImageParser(BaseParser):
    """A JPEG or PNG sent as the whole body, handed on as ``request.data["image"]``.

    The view's ``max_upload_bytes`` bounds the body; reading stops one byte past it, so a
    body without a Content-Length (chunked) cannot grow past the limit either.
    """

    media_type = "image/jpeg"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None):
        context = parser_context or {}
        view = context.get("view")
        limit = getattr(view, "max_upload_bytes", None) or settings.API_MAX_IMAGE_BYTES
        request = context.get("request")
        if request is not None:
            reject_oversized_body(request, limit)
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(f"The image is larger than the limit of {limit} bytes.")
        content_type = (media_type or "application/octet-stream").split(";")[0].strip()
        upload = SimpleUploadedFile("body", data, content_type=content_type)
        # A QueryDict, like multipart data: DRF merges the files into it with update(), which
        # on a plain dict would copy MultiValueDict's internal lists instead of the file.
        return DataAndFiles(QueryDict(), MultiValueDict({"image": [upload]}))


class PngParser(RawImageParser):
    media_type = "image/png"
