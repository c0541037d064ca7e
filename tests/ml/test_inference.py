from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ml import EMOTIONS, inference
from ml.inference import (
    DEFAULT_MODEL_FILE,
    InvalidImageError,
    analyse_image,
    analyse_jpeg,
    crop_face,
    decode_image,
    get_classifier,
)
from tests.faces import faces_of, frame_with_faces, jpeg_of

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_ships_a_small_default_model() -> None:
    assert DEFAULT_MODEL_FILE.is_file()
    assert DEFAULT_MODEL_FILE.stat().st_size < 8 * 1024 * 1024


def test_it_loads_one_classifier_per_process_even_under_threads(monkeypatch) -> None:
    monkeypatch.setattr(inference, "_classifiers", {})
    loads = []
    original = inference.EmotionClassifier.__init__

    def counting_init(self, *args, **kwargs):
        loads.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(inference.EmotionClassifier, "__init__", counting_init)
    barrier = threading.Barrier(8)
    seen = []

    def worker() -> None:
        barrier.wait()
        seen.append(get_classifier())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert len({id(c) for c in seen}) == 1


def test_it_reads_the_model_file_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(inference, "_classifiers", {})
    monkeypatch.setenv("MODEL_FILE", str(tmp_path / "missing.pt"))
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        get_classifier()


def test_it_classifies_many_faces_in_one_batch(fer_val_path: Path) -> None:
    faces = faces_of(fer_val_path, "happy", 16)
    probs = get_classifier().classify(faces)
    assert probs.shape == (16, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert get_classifier().classify(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)
    with pytest.raises(InvalidImageError):
        get_classifier().classify(np.zeros((2, 32, 32), np.uint8))


def test_it_finds_and_reads_happy_faces_in_a_camera_frame(fer_val_path: Path) -> None:
    happy = faces_of(fer_val_path, "happy", 60)
    detected, happy_hits = 0, 0
    for start in range(0, 60, 3):
        results = analyse_jpeg(jpeg_of(frame_with_faces(list(happy[start : start + 3]))))
        detected += len(results)
        happy_hits += sum(r.label == "happy" for r in results)
        for r in results:
            assert set(r.probabilities) == set(EMOTIONS)
            assert r.confidence == max(r.probabilities.values())
    assert detected >= 40, "the detector should find most pasted faces"
    assert happy_hits / detected >= 0.75


def test_it_tells_surprise_from_happiness(fer_val_path: Path) -> None:
    surprised = faces_of(fer_val_path, "surprise", 30)
    results = [
        r
        for s in range(0, 30, 3)
        for r in analyse_image(frame_with_faces(list(surprised[s : s + 3])))
    ]
    assert results
    assert sum(r.label == "surprise" for r in results) / len(results) >= 0.6


def test_it_returns_no_faces_for_an_empty_scene() -> None:
    assert analyse_image(np.full((240, 320, 3), 127, np.uint8)) == []


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"not an image at all", "not a decodable image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "decod"),
    ],
)
def test_it_raises_a_typed_error_for_bad_bytes(data: bytes, message: str) -> None:
    with pytest.raises(InvalidImageError, match=message):
        decode_image(data)
    with pytest.raises(InvalidImageError):
        analyse_jpeg(data)


def test_it_refuses_images_of_the_wrong_shape_or_type() -> None:
    with pytest.raises(InvalidImageError, match="too small"):
        analyse_image(np.zeros((4, 4), np.uint8))
    with pytest.raises(InvalidImageError, match="uint8"):
        analyse_image(np.zeros((100, 100), np.float32))
    with pytest.raises(InvalidImageError, match="shape"):
        analyse_image(np.zeros((100, 100, 2), np.uint8))


def test_it_crops_faces_at_the_image_border() -> None:
    gray = np.arange(100 * 100, dtype=np.uint32).reshape(100, 100).astype(np.uint8)
    assert crop_face(gray, (-10, 80, 40, 40)).shape == (48, 48)
    assert crop_face(gray, (10, 10, 20, 20)).shape == (48, 48)


def test_it_never_imports_django() -> None:
    code = (
        "import sys, ml, ml.data, ml.models, ml.presets, ml.train, ml.evaluate, ml.inference;"
        "import ml.utils;"
        "assert not any(m.split('.')[0] == 'django' for m in sys.modules), 'django imported'"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
