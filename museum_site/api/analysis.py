"""Single-image analysis for the API: check the bytes cheaply, then run the model.

Nothing is stored. The header is read with Pillow before OpenCV decodes anything, so a
tiny file that claims to be a gigapixel image is refused without allocating the pixels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from ml.inference import (
    MAX_IMAGE_PIXELS,
    FaceResult,
    InvalidImageError,
    analyse_jpeg,
    get_classifier,
)

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})
MIN_SIDE = 48  # the classifier's input size; smaller images cannot hold a usable face


class ImageRejected(ValueError):
    """The bytes are not an image we analyse; the message says why, for the caller."""


@dataclass(frozen=True)
class ImageAnalysis:
    width: int
    height: int
    faces: list[FaceResult]


def image_check(*, data: bytes) -> tuple[int, int]:
    """``(width, height)`` of a JPEG or PNG, from its header only; else :class:`ImageRejected`."""
    if not data:
        raise ImageRejected("The image is empty.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format, image.size
    except Image.DecompressionBombError:
        raise ImageRejected(
            f"The image has too many pixels; at most {MAX_IMAGE_PIXELS} are analysed."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("This is not a JPEG or PNG image.") from None
    if image_format not in ACCEPTED_FORMATS:
        raise ImageRejected(f"{image_format} images are not accepted; send a JPEG or PNG.")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageRejected(f"The image is {width}x{height}; it must be at least 48x48 pixels.")
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRejected(
            f"The image is {width}x{height}; at most {MAX_IMAGE_PIXELS} pixels are analysed."
        )
    return width, height


def image_analyse(*, data: bytes, max_faces: int = 10) -> ImageAnalysis:
    """Faces and their emotions in one JPEG or PNG; raises :class:`ImageRejected`."""
    width, height = image_check(data=data)
    try:
        faces = analyse_jpeg(
            data, max_faces=max_faces, classifier=get_classifier(settings.MODEL_FILE)
        )
    except InvalidImageError as exc:
        # The header was fine but the pixels are not (truncated or corrupt data).
        raise ImageRejected(f"The image cannot be decoded: {exc}.") from None
    return ImageAnalysis(width=width, height=height, faces=faces)
