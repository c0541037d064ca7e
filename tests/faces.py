"""Build camera-like frames from real FER-2013 faces (shared by ml and platform tests)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ml import EMOTIONS
from ml.data import load_npz


def faces_of(npz_path: Path, emotion: str, count: int) -> np.ndarray:
    faces = load_npz(npz_path)
    return faces.images[faces.labels == EMOTIONS.index(emotion)][:count]


def frame_with_faces(
    faces: list[np.ndarray], size: tuple[int, int] = (640, 480), face_px: int = 160
) -> np.ndarray:
    """A BGR frame (width, height = size) with each 48x48 face upscaled and pasted side by side."""
    width, height = size
    rng = np.random.default_rng(len(faces))
    frame = cv2.GaussianBlur(rng.integers(90, 170, (height, width), dtype=np.uint8), (0, 0), 8)
    gap = (width - face_px * len(faces)) // (len(faces) + 1)
    if gap < 0:
        raise ValueError("too many faces for the frame")
    for i, face in enumerate(faces):
        x, y = gap + i * (face_px + gap), (height - face_px) // 2
        frame[y : y + face_px, x : x + face_px] = cv2.resize(
            face, (face_px, face_px), interpolation=cv2.INTER_CUBIC
        )
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def jpeg_of(frame: np.ndarray, quality: int = 85) -> bytes:
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()
