from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from ml.data import load_npz
from ml.evaluate import main as evaluate_main
from ml.inference import DEFAULT_MODEL_FILE, EmotionClassifier
from ml.quantize import (
    main,
    quantize_model,
    quantized_engine,
    sample_calibration_faces,
    save_int8,
)
from ml.utils import load_weights, save_atomic

SHIPPED_INT8 = DEFAULT_MODEL_FILE.with_name("emotion_cnn_int8.pt")


@pytest.fixture(autouse=True)
def _keep_the_quantized_engine():
    """Loading an int8 file sets torch's process-wide quantized engine: restore it."""
    engine = torch.backends.quantized.engine
    yield
    torch.backends.quantized.engine = engine


@pytest.fixture
def tiny_faces(tiny_npz: Path) -> np.ndarray:
    return load_npz(tiny_npz).images


@pytest.fixture
def tiny_int8(tiny_model: Path, tiny_faces: np.ndarray, tmp_path: Path) -> Path:
    model, preset, meta = load_weights(tiny_model)
    path = tmp_path / "tiny_int8.pt"
    save_int8(quantize_model(model, preset, tiny_faces[:32]), meta, path, calibration_faces=32)
    return path


def _logits(model: torch.nn.Module, preset, faces: np.ndarray) -> torch.Tensor:
    with torch.inference_mode():
        return model(preset(torch.from_numpy(faces).unsqueeze(1)))


def test_it_quantizes_a_tiny_model_close_to_float32(tiny_model: Path, tiny_faces) -> None:
    model, preset, _ = load_weights(tiny_model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    quantized = quantize_model(model, preset, tiny_faces[:32])
    kinds = {type(m) for m in quantized.modules()}
    assert torch.ao.nn.quantized.Conv2d in kinds
    assert torch.nn.BatchNorm2d not in kinds  # folded into the convolutions
    expected, got = _logits(model, preset, tiny_faces), _logits(quantized, preset, tiny_faces)
    assert got.shape == (len(tiny_faces), 7) and got.dtype == torch.float32
    assert torch.corrcoef(torch.stack([expected.flatten(), got.flatten()]))[0, 1] > 0.95
    # The float32 model it came from is left as it was.
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_saved_int8_file_reloads_with_identical_outputs(
    tiny_model: Path, tiny_faces, tmp_path: Path
) -> None:
    model, preset, meta = load_weights(tiny_model)
    quantized = quantize_model(model, preset, tiny_faces[:32])
    path = tmp_path / "int8.pt"
    save_int8(quantized, meta, path, calibration_faces=32, seed=0)
    loaded, loaded_preset, loaded_meta = load_weights(path)
    assert torch.equal(_logits(loaded, preset, tiny_faces), _logits(quantized, preset, tiny_faces))
    assert loaded_meta["precision"] == "int8"
    assert loaded_meta["quantization"] == {"qconfig": "x86", "calibration_faces": 32, "seed": 0}
    assert loaded_meta["model_kwargs"] == meta["model_kwargs"]
    assert loaded_preset.params() == preset.params()
    assert load_weights(tiny_model)[2]["precision"] == "fp32"
    raw = torch.load(path, weights_only=True)  # nothing but tensors and plain values
    assert raw["state_dict"]["stem.0.weight"].dtype == torch.qint8


def test_the_command_line_writes_a_checked_int8_file(
    tiny_model: Path, tiny_npz: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "cli_int8.pt"
    argv = ["--weights", str(tiny_model), "--data", str(tiny_npz), "--output", str(out)]
    assert main([*argv, "--calibration-faces", "16", "--seed", "3"]) == 0
    assert "reloaded outputs identical" in capsys.readouterr().out
    meta = load_weights(out)[2]
    assert meta["quantization"]["calibration_faces"] == 16
    assert meta["quantization"]["seed"] == 3
    assert meta["quantization"]["calibration_data"] == str(tiny_npz)


def test_it_samples_calibration_faces_by_seed() -> None:
    images = np.arange(100)
    first = sample_calibration_faces(images, 10, seed=1)
    assert np.array_equal(first, sample_calibration_faces(images, 10, seed=1))
    assert not np.array_equal(first, sample_calibration_faces(images, 10, seed=2))
    assert len(np.unique(first)) == 10
    assert len(sample_calibration_faces(images, 1000)) == 100


def test_emotion_classifier_runs_an_int8_file(tiny_int8: Path, tiny_faces, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="ml.inference"):
        classifier = EmotionClassifier(tiny_int8, bf16=True)
    assert "ML_BF16 ignored" in caplog.text
    assert classifier.precision == "int8" and not classifier.bf16
    probs = classifier.classify(tiny_faces[:5])
    assert probs.shape == (5, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert classifier.classify(tiny_faces[:5], flip_tta=True).shape == (5, 7)
    model, preset, _ = load_weights(tiny_int8)
    expected = torch.softmax(_logits(model, preset, tiny_faces[:5]), dim=1).numpy()
    assert np.array_equal(probs, expected)


def test_evaluate_reads_an_int8_file(tiny_int8: Path, tiny_npz: Path, capsys) -> None:
    argv = ["--weights", str(tiny_int8), "--data", str(tiny_npz), "--json", "--plot", ""]
    assert evaluate_main(argv) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["precision"] == "int8" and report["n"] == 70


def test_it_falls_back_to_qnnpack_without_avx(tiny_int8: Path, tiny_faces, monkeypatch) -> None:
    assert quantized_engine() in {"x86", "fbgemm"}  # this suite runs on x86 with AVX2
    model, preset, _ = load_weights(tiny_int8)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "DEFAULT")
    fallback, _, _ = load_weights(tiny_int8)
    assert torch.backends.quantized.engine == "qnnpack"
    # Other kernels round differently, but it is the same model.
    expected, got = _logits(model, preset, tiny_faces), _logits(fallback, preset, tiny_faces)
    assert torch.corrcoef(torch.stack([expected.flatten(), got.flatten()]))[0, 1] > 0.99


def test_it_refuses_bad_files_and_inputs_clearly(
    tiny_model: Path, tiny_int8: Path, tiny_npz: Path, tmp_path: Path, capsys
) -> None:
    blob = torch.load(tiny_model, weights_only=True)
    save_atomic({**blob, "precision": "int4"}, tmp_path / "int4.pt")
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        load_weights(tmp_path / "int4.pt")
    save_atomic({**blob, "precision": "int8"}, tmp_path / "not_int8.pt")  # float32 weights
    with pytest.raises(ValueError, match="int8 weights do not fit"):
        EmotionClassifier(tmp_path / "not_int8.pt")

    model, preset, _ = load_weights(tiny_model)
    with pytest.raises(ValueError, match="no calibration faces"):
        quantize_model(model, preset, np.zeros((0, 48, 48), np.uint8))
    with pytest.raises(ValueError, match="48, 48"):
        quantize_model(model, preset, np.zeros((4, 32, 32), np.uint8))

    out = str(tmp_path / "never.pt")
    assert main(["--weights", str(tiny_int8), "--data", str(tiny_npz), "--output", out]) == 2
    assert "already int8" in capsys.readouterr().err
    missing = str(tmp_path / "missing.npz")
    assert main(["--weights", str(tiny_model), "--data", missing, "--output", out]) == 2
    assert "missing.npz" in capsys.readouterr().err
    assert not Path(out).exists()


def test_it_ships_a_small_int8_model() -> None:
    assert SHIPPED_INT8.is_file(), "python -m ml.quantize writes it (README, 'Model')"
    assert SHIPPED_INT8.stat().st_size < 2 * 1024 * 1024
    assert SHIPPED_INT8.stat().st_size < DEFAULT_MODEL_FILE.stat().st_size / 3


def test_the_shipped_int8_model_agrees_with_float32_on_real_faces(fer_val_path: Path) -> None:
    """Measured on all of val.npz: 98.5 % top-1 agreement, accuracy 68.8 % vs 68.9 %."""
    faces = load_npz(fer_val_path).subset(np.arange(400))
    fp32 = EmotionClassifier(DEFAULT_MODEL_FILE).classify(faces.images).argmax(1)
    int8 = EmotionClassifier(SHIPPED_INT8).classify(faces.images).argmax(1)
    assert (int8 == fp32).mean() >= 0.95
    assert abs((int8 == faces.labels).mean() - (fp32 == faces.labels).mean()) <= 0.02
