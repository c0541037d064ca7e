"""Small helpers shared by training and evaluation: metrics, checkpoints, devices."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ml import EMOTIONS
from ml.models import build_model
from ml.presets import FaceEvalPreset

__all__ = [
    "amp_useful",
    "bf16_is_native",
    "classification_report",
    "confusion_matrix",
    "load_weights",
    "pick_device",
    "PRECISIONS",
    "save_atomic",
]

# What a model file may hold: float32 weights (training's export) or int8 ones (ml.quantize).
PRECISIONS = ("fp32", "int8")


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def bf16_is_native() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX).

    Without it PyTorch emulates bfloat16 and autocast is several times *slower* than fp32
    (measured: training 6x slower on an AVX2-only EPYC), so mixed precision must not be the
    default there.
    """
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def amp_useful(device: torch.device) -> bool:
    """Mixed precision pays on CUDA and on CPUs with native bfloat16, nowhere else."""
    return device.type == "cuda" or (device.type == "cpu" and bf16_is_native())


def save_atomic(obj: Any, path: str | Path) -> None:
    """torch.save to a temporary file, then rename: a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_weights(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, FaceEvalPreset, dict]:
    """Load an exported model file (or a training checkpoint) -> (model in eval mode, preset, meta).

    Exported files hold ``model_name``, ``model_kwargs``, ``state_dict``, ``classes`` and
    ``preset``, so the network and its preprocessing are rebuilt from the file alone.
    ``meta["precision"]`` is "fp32", or "int8" for a file written by :mod:`ml.quantize`:
    that loads as the quantized network (CPU only; its BatchNorms are already folded).
    """
    try:
        with warnings.catch_warnings():
            # Unpickling int8 tensors (ml.quantize) warns twice about torch internals: the
            # legacy TypedStorage path, and torch.ao's deprecated quantized tensor types.
            warnings.filterwarnings("ignore", "TypedStorage is deprecated", UserWarning)
            warnings.filterwarnings("ignore", "torch.quantize_per_tensor, ", UserWarning)
            blob = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # torch raises several unrelated types for a bad file
        raise ValueError(f"{path}: not a model file ({exc})") from exc
    if not isinstance(blob, dict) or "state_dict" not in blob and "model" not in blob:
        raise ValueError(f"{path}: not a model file (no state_dict)")
    classes = tuple(blob.get("classes", EMOTIONS))
    if classes != EMOTIONS:
        raise ValueError(f"{path}: classes {classes} differ from {EMOTIONS}")
    precision = blob.get("precision", "fp32")
    if precision not in PRECISIONS:
        raise ValueError(f"{path}: unknown precision {precision!r}; expected one of {PRECISIONS}")
    model = build_model(blob.get("model_name", "emotionnet"), **blob.get("model_kwargs", {}))
    state = blob.get("state_dict") or blob["model"]
    if precision == "int8":
        from ml.quantize import int8_model_from_state_dict  # ml.quantize imports this module

        qconfig = (blob.get("quantization") or {}).get("qconfig", "x86")
        try:
            model = int8_model_from_state_dict(model, state, qconfig=qconfig)
        except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: int8 weights do not fit the network ({exc})") from exc
    else:
        model.load_state_dict({k.removeprefix("_orig_mod."): v.float() for k, v in state.items()})
    model.eval()
    preset = FaceEvalPreset(**blob.get("preset", {}))
    meta = {k: v for k, v in blob.items() if k not in {"state_dict", "model", "optimizer"}}
    meta["precision"] = precision
    return model, preset, meta


def confusion_matrix(
    targets: np.ndarray, predictions: np.ndarray, num_classes: int = 7
) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (targets, predictions), 1)
    return matrix


def classification_report(matrix: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class precision/recall/F1 from a confusion matrix."""
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    n = int(matrix.sum())
    present = support > 0
    return {
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(EMOTIONS[: len(matrix)])
        },
        "confusion": matrix.tolist(),
    }
