"""Evaluate a model file on any supported face data layout.

    python -m ml.evaluate --weights ml/weights/emotion_cnn.pt --data ../shared/data/fer2013/val.npz
    python -m ml.evaluate --weights FILE --data fer2013.csv --usage PrivateTest --json
    python -m ml.evaluate --weights A.pt B.pt --data ../shared/data/fer2013/train.npz \
        --holdout 0.1 --holdout-seed 0     # an ensemble, on ml.train's early-stopping hold-out

Prints accuracy, macro-F1, per-class precision/recall and the confusion matrix; with ``--json``
the last line printed is one JSON object (``accuracy``, ``macro_f1``, ``n``, ``confusion``,
``per_class``, ...). Writes the confusion matrix as a PNG (``--plot``).

Several ``--weights`` are evaluated as one ensemble (their probabilities averaged): the check
before distilling them into one student (``ml.train --teacher A.pt B.pt``). ``--baseline
FILE`` also evaluates another model (or ensemble) on the same faces and reports the paired
difference: its 95 % confidence interval and McNemar's exact test on the faces only one of
the two gets right. Two models scored on one hold-out are far more alike than two
independent samples, so this interval is much narrower than either accuracy's own, and it is
the one that says whether a new model beats the shipped one or only matches it. ``--holdout``
and ``--holdout-seed`` select the share of ``--data`` that ``ml.train`` keeps out for early
stopping with the same values, so such choices are made without looking at the report split.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from ml import EMOTIONS
from ml.data import DatasetError, FaceArrays, load_faces, stratified_split
from ml.presets import FaceEvalPreset
from ml.utils import classification_report, confusion_matrix, load_weights, pick_device

__all__ = [
    "evaluate",
    "paired_comparison",
    "plot_confusion",
    "predict_ensemble",
    "predict_probabilities",
    "main",
]


@torch.inference_mode()
def predict_probabilities(
    model: nn.Module,
    preset: FaceEvalPreset,
    images: np.ndarray | torch.Tensor,
    *,
    batch_size: int = 256,
    flip_tta: bool = True,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> np.ndarray:
    """Softmax probabilities (N, 7) for uint8 faces (N, 48, 48); ``flip_tta`` averages a mirror."""
    device = torch.device(device)
    faces = torch.as_tensor(images)
    if faces.ndim == 3:
        faces = faces.unsqueeze(1)
    model.eval()
    out = []
    for start in range(0, len(faces), batch_size):
        batch = preset(faces[start : start + batch_size].to(device))
        batch = batch.contiguous(memory_format=torch.channels_last)
        dtype = torch.bfloat16 if device.type == "cpu" else torch.float16
        with torch.autocast(device.type, dtype=dtype, enabled=amp):
            logits = model(batch).float()
            if flip_tta:
                logits = (logits + model(batch.flip(-1)).float()) / 2
        out.append(torch.softmax(logits, dim=1).cpu())
    if not out:
        return np.zeros((0, len(EMOTIONS)), dtype=np.float32)
    return torch.cat(out).numpy()


def predict_ensemble(
    members: list[tuple[nn.Module, FaceEvalPreset]],
    images: np.ndarray | torch.Tensor,
    *,
    flip_tta: bool = True,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> np.ndarray:
    """Probabilities (N, 7) of one model, or of several averaged: ``(model, preset)`` pairs."""
    return np.mean(
        [
            predict_probabilities(
                model,
                preset,
                images,
                batch_size=batch_size,
                flip_tta=flip_tta,
                device=device,
                amp=amp,
            )
            for model, preset in members
        ],
        axis=0,
    )


def evaluate(
    members: list[tuple[nn.Module, FaceEvalPreset]],
    faces: FaceArrays,
    *,
    flip_tta: bool = True,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> dict[str, Any]:
    """Classification report (accuracy, macro_f1, per_class, confusion, n) on ``faces`` of
    one model, or of several as one ensemble (their probabilities averaged): ``members``
    are ``(model, preset)`` pairs."""
    probs = predict_ensemble(
        members, faces.images, flip_tta=flip_tta, batch_size=batch_size, device=device, amp=amp
    )
    predictions = probs.argmax(axis=1)
    return classification_report(confusion_matrix(faces.labels, predictions, len(EMOTIONS)))


def paired_comparison(
    labels: np.ndarray, predictions: np.ndarray, baseline_predictions: np.ndarray
) -> dict[str, Any]:
    """How much more accurate ``predictions`` are than ``baseline_predictions`` on the same faces.

    Returns the accuracy difference (a share, positive when the model is better), its 95 %
    confidence interval from the paired normal approximation, the two discordant counts
    (faces only the model gets right, faces only the baseline gets right) and McNemar's exact
    two-sided p-value: the chance of a split at least this uneven of those faces between two
    equally accurate models. Faces both get right or both get wrong say nothing about which
    is better, which is why this is far tighter than comparing two accuracies' own errors.
    """
    labels, predictions, baseline_predictions = map(
        np.asarray, (labels, predictions, baseline_predictions)
    )
    if not labels.shape == predictions.shape == baseline_predictions.shape:
        raise ValueError("labels and both predictions must have the same length")
    n = len(labels)
    if n == 0:
        raise ValueError("no faces to compare on")
    right = predictions == labels
    baseline_right = baseline_predictions == labels
    only_model = int(np.sum(right & ~baseline_right))
    only_baseline = int(np.sum(baseline_right & ~right))
    difference = (only_model - only_baseline) / n
    # Variance of the mean of the per-face differences (+1, 0 or -1).
    variance = ((only_model + only_baseline) / n - difference**2) / n
    margin = 1.959964 * math.sqrt(max(variance, 0.0))
    discordant = only_model + only_baseline
    tail = sum(math.comb(discordant, i) for i in range(min(only_model, only_baseline) + 1))
    p_value = min(1.0, 2 * tail / 2**discordant) if discordant else 1.0
    return {
        "n": n,
        "accuracy": float(right.mean()),
        "baseline_accuracy": float(baseline_right.mean()),
        "difference": difference,
        "ci95": [difference - margin, difference + margin],
        "only_model_right": only_model,
        "only_baseline_right": only_baseline,
        "mcnemar_p": p_value,
    }


def format_comparison(comparison: dict[str, Any]) -> str:
    low, high = (100 * bound for bound in comparison["ci95"])
    return (
        f"against the baseline ({comparison['baseline']}, accuracy "
        f"{comparison['baseline_accuracy']:.4f}): {100 * comparison['difference']:+.2f} "
        f"points, 95 % CI {low:+.2f} to {high:+.2f}; faces only this model gets right "
        f"{comparison['only_model_right']}, only the baseline {comparison['only_baseline_right']}"
        f"; McNemar exact p = {comparison['mcnemar_p']:.3g}"
    )


def plot_confusion(matrix: np.ndarray, path: str | Path, title: str = "") -> None:
    """Row-normalised confusion matrix as a PNG (OpenCV only: no plotting stack needed)."""
    cell, left, top = 70, 110, 60 if title else 30
    n = len(matrix)
    rows = matrix.sum(axis=1, keepdims=True).clip(min=1)
    share = matrix / rows
    image = np.full((top + n * cell + 90, left + n * cell + 10, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    if title:
        cv2.putText(image, title, (10, 25), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    for i in range(n):
        for j in range(n):
            shade = int(255 * (1 - share[i, j]))
            x, y = left + j * cell, top + i * cell
            cv2.rectangle(image, (x, y), (x + cell, y + cell), (255, shade, shade), -1)
            colour = (255, 255, 255) if share[i, j] > 0.5 else (0, 0, 0)
            cv2.putText(
                image, f"{share[i, j]:.2f}", (x + 12, y + 32), font, 0.5, colour, 1, cv2.LINE_AA
            )
            cv2.putText(
                image, str(matrix[i, j]), (x + 12, y + 52), font, 0.4, colour, 1, cv2.LINE_AA
            )
        cv2.putText(
            image, EMOTIONS[i], (5, top + i * cell + 40), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA
        )
        x = left + i * cell + 5
        cv2.putText(
            image, EMOTIONS[i][:8], (x, top + n * cell + 25), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA
        )
    cv2.putText(
        image,
        "rows: true class, columns: predicted",
        (left, top + n * cell + 70),
        font,
        0.5,
        (0, 0, 0),
        1,
        cv2.LINE_AA,
    )
    cv2.imwrite(str(path), image)


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"faces: {report['n']}",
        f"accuracy: {report['accuracy']:.4f}",
        f"macro-F1: {report['macro_f1']:.4f}",
        "",
        f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}",
    ]
    for name, row in report["per_class"].items():
        lines.append(
            f"{name:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9}"
        )
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    lines.append(" " * 10 + "".join(f"{c[:7]:>8}" for c in EMOTIONS))
    for name, row in zip(EMOTIONS, report["confusion"], strict=True):
        lines.append(f"{name:<10}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate a facial-expression model.")
    parser.add_argument(
        "--weights",
        required=True,
        nargs="+",
        metavar="FILE",
        help="model file(s) (exported or a checkpoint); several are averaged as one ensemble",
    )
    parser.add_argument("--data", required=True, help=".npz, fer2013-style .csv, or image folder")
    parser.add_argument(
        "--baseline",
        nargs="+",
        default=[],
        metavar="FILE",
        help="also evaluate this model (several: one ensemble) on the same faces and report "
        "the paired accuracy difference with its 95 %% confidence interval and McNemar's test",
    )
    parser.add_argument(
        "--usage", default=None, help="csv only: keep rows with this Usage (e.g. PrivateTest)"
    )
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.0,
        help="evaluate only the stratified share of --data that ml.train keeps out for early "
        "stopping with this --holdout and --holdout-seed (default: 0, all of --data)",
    )
    parser.add_argument(
        "--holdout-seed", type=int, default=0, help="ml.train's --holdout-seed (default: 0)"
    )
    parser.add_argument(
        "--no-tta",
        dest="flip_tta",
        action="store_false",
        help="disable horizontal-flip test-time augmentation (default: on)",
    )
    parser.add_argument("--batch-size", type=int, default=256, help="default: 256")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: auto)")
    parser.add_argument(
        "--plot",
        default="confusion_matrix.png",
        help="confusion matrix PNG path, '' to skip (default: confusion_matrix.png)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object as the last line"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    try:
        faces = load_faces(args.data, usage=args.usage)
        if args.holdout:
            faces = faces.subset(
                stratified_split(faces.labels, args.holdout, seed=args.holdout_seed)[1]
            )
        loaded = [load_weights(path) for path in args.weights]
        baseline = [load_weights(path) for path in args.baseline]
    except (DatasetError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    precisions = sorted({meta["precision"] for _, _, meta in loaded})
    if device.type != "cpu" and any(meta["precision"] == "int8" for *_, meta in loaded + baseline):
        print(f"int8 model: evaluating on the CPU, not {device}", file=sys.stderr)
        device = torch.device("cpu")

    def predict(models: list[tuple[nn.Module, FaceEvalPreset, dict]]) -> np.ndarray:
        members = [
            (model.to(device).to(memory_format=torch.channels_last), preset)
            for model, preset, _ in models
        ]
        probs = predict_ensemble(
            members, faces.images, flip_tta=args.flip_tta, batch_size=args.batch_size, device=device
        )
        return probs.argmax(axis=1)

    started = time.perf_counter()
    predictions = predict(loaded)
    report = classification_report(confusion_matrix(faces.labels, predictions, len(EMOTIONS)))
    report.update(
        weights=", ".join(args.weights),
        data=str(args.data),
        holdout=args.holdout,
        flip_tta=args.flip_tta,
        seconds=round(time.perf_counter() - started, 2),
        precision=", ".join(precisions),
    )
    if baseline:
        report["comparison"] = {
            "baseline": ", ".join(args.baseline),
            **paired_comparison(faces.labels, predictions, predict(baseline)),
        }
    print(format_report(report))
    if baseline:
        print(format_comparison(report["comparison"]))
    if args.plot:
        plot_confusion(
            np.array(report["confusion"]),
            args.plot,
            title=f"{Path(args.data).name}{' hold-out' if args.holdout else ''}: "
            f"accuracy {report['accuracy']:.3f}",
        )
        print(f"confusion matrix written to {args.plot}")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
