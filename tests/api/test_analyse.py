"""POST /api/v1/analyse/: real faces through the real model; limits; nothing stored."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from emotions.models import Clip, EmotionReading
from ml import EMOTIONS
from ml.inference import analyse_jpeg
from museum_site.api.models import ApiScope
from tests.api.conftest import v1
from tests.faces import faces_of, frame_with_faces, jpeg_of

URL = v1("analyse/")


@pytest.fixture(scope="module")
def face_jpegs(fer_val_path) -> list[bytes]:
    """Camera-like JPEGs with three real happy faces each (FER-2013 validation set)."""
    happy = faces_of(fer_val_path, "happy", 15)
    return [jpeg_of(frame_with_faces(list(happy[i : i + 3]))) for i in range(0, 15, 3)]


@pytest.fixture
def analyst(make_key):
    return make_key(ApiScope.ANALYSE)


def png_of(frame: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", frame)
    assert ok
    return encoded.tobytes()


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (its pixel data never arrives)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def assert_faces_are_sane(body: dict, width: int, height: int) -> None:
    assert body["width"] == width and body["height"] == height
    assert body["face_count"] == len(body["faces"])
    for face in body["faces"]:
        assert set(face["probabilities"]) == set(EMOTIONS)
        assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert face["label"] == max(face["probabilities"], key=face["probabilities"].get)
        box = face["box"]
        assert 0 <= box["x"] and box["x"] + box["w"] <= width
        assert 0 <= box["y"] and box["y"] + box["h"] <= height


def test_it_finds_the_same_faces_as_the_model_in_a_raw_jpeg_body(api, analyst, face_jpegs):
    found = 0
    for jpeg in face_jpegs:
        response = api.post(URL, jpeg, content_type="image/jpeg", **analyst.headers)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert_faces_are_sane(body, 640, 480)
        assert body["face_count"] == len(analyse_jpeg(jpeg))
        found += body["face_count"]
    assert found >= 1, "real faces must be found in at least one of the frames"


def test_it_accepts_a_multipart_upload(api, analyst, face_jpegs):
    jpeg = face_jpegs[0]
    upload = io.BytesIO(jpeg)
    upload.name = "frame.jpg"
    response = api.post(URL, {"image": upload}, format="multipart", **analyst.headers)
    assert response.status_code == 200
    assert response.json()["face_count"] == len(analyse_jpeg(jpeg))


def test_it_accepts_a_png_and_limits_the_faces(api, analyst, fer_val_path):
    faces = list(faces_of(fer_val_path, "neutral", 3))
    png = png_of(frame_with_faces(faces))
    response = api.post(URL + "?max_faces=1", png, content_type="image/png", **analyst.headers)
    assert response.status_code == 200
    assert response.json()["face_count"] <= 1


def test_it_finds_no_face_in_an_empty_scene(api, analyst):
    scene = jpeg_of(np.full((240, 320, 3), 127, np.uint8))
    response = api.post(URL, scene, content_type="image/jpeg", **analyst.headers)
    assert response.status_code == 200
    assert response.json() == {"width": 320, "height": 240, "face_count": 0, "faces": []}


def test_it_stores_nothing(api, analyst, face_jpegs, db):
    api.post(URL, face_jpegs[0], content_type="image/jpeg", **analyst.headers)
    assert not EmotionReading.objects.exists() and not Clip.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"this is not an image", "image/jpeg", "This is not a JPEG or PNG image."),
        (b"", "image/jpeg", "No file was submitted."),
        ("gif", "image/jpeg", "GIF images are not accepted; send a JPEG or PNG."),
        ("tiny", "image/png", "The image is 20x20; it must be at least 48x48 pixels."),
        ("wide", "image/png", "The image is 5000x5000; at most 16777216 pixels are analysed."),
        ("bomb", "image/png", "The image has too many pixels; at most 16777216 are analysed."),
        ("truncated", "image/jpeg", None),
    ],
)
def test_it_rejects_what_it_cannot_analyse_with_400(
    api, analyst, face_jpegs, body, content_type, message
):
    if body == "gif":
        buffer = io.BytesIO()
        Image.new("L", (64, 64)).save(buffer, format="GIF")
        body = buffer.getvalue()
    elif body == "tiny":
        body = png_of(np.zeros((20, 20), np.uint8))
    elif body == "wide":
        body = png_header_claiming(5000, 5000)
    elif body == "bomb":
        body = png_header_claiming(100_000, 100_000)
    elif body == "truncated":
        body = png_header_claiming(640, 480)
    response = api.post(URL, body, content_type=content_type, **analyst.headers)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    if message is not None:
        assert error["details"] == {"image": [message]}
    else:
        assert error["details"]["image"][0].startswith("The image cannot be decoded")


def test_it_refuses_an_oversized_raw_body_with_413(api, analyst, face_jpegs, settings):
    settings.API_MAX_IMAGE_BYTES = len(face_jpegs[0]) - 1
    response = api.post(URL, face_jpegs[0], content_type="image/jpeg", **analyst.headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_it_refuses_an_oversized_upload_with_413(api, analyst, face_jpegs, settings):
    settings.API_MAX_IMAGE_BYTES = 1024
    upload = io.BytesIO(face_jpegs[0] + b"\x00" * 4096)  # within the multipart allowance
    upload.name = "frame.jpg"
    response = api.post(URL, {"image": upload}, format="multipart", **analyst.headers)
    assert response.status_code == 413
    assert "limit is 1024 bytes" in response.json()["error"]["message"]


def test_it_refuses_a_declared_oversized_body_before_reading_it(api, analyst, settings):
    settings.API_MAX_IMAGE_BYTES = 1024
    response = api.post(
        URL, b"\xff\xd8", content_type="image/jpeg", CONTENT_LENGTH="999999999", **analyst.headers
    )
    assert response.status_code == 413


def test_it_refuses_other_content_types_with_415(api, analyst):
    response = api.post(URL, {"image": "x"}, format="json", **analyst.headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("query", ["max_faces=0", "max_faces=11", "max_faces=many"])
def test_it_validates_max_faces(api, analyst, face_jpegs, query):
    response = api.post(
        f"{URL}?{query}", face_jpegs[0], content_type="image/jpeg", **analyst.headers
    )
    assert response.status_code == 400
    assert "max_faces" in response.json()["error"]["details"]


# --- Who may analyse ----------------------------------------------------------------------


def test_it_refuses_anonymous_callers(api, face_jpegs, db):
    assert api.post(URL, face_jpegs[0], content_type="image/jpeg").status_code == 401


@pytest.mark.parametrize("scope", [s for s in ApiScope.values if s != ApiScope.ANALYSE])
def test_it_refuses_keys_without_the_analyse_scope(api, make_key, face_jpegs, scope):
    key = make_key(scope)
    response = api.post(URL, face_jpegs[0], content_type="image/jpeg", **key.headers)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key lacks the 'analyse' scope."


def test_it_lets_a_consenting_visitor_analyse_their_face(api, visitor, face_jpegs):
    api.force_login(visitor)
    assert api.post(URL, face_jpegs[0], content_type="image/jpeg").status_code == 200


def test_it_refuses_visitors_without_consent(api, make_visitor, staff, face_jpegs):
    for user in (make_visitor("carol", consent=False), staff):
        api.force_login(user)
        response = api.post(URL, face_jpegs[0], content_type="image/jpeg")
        assert response.status_code == 403
        assert "consent" in response.json()["error"]["message"]
