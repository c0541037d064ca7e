"""Inference speed of the shipped model on this machine, one thread unless told otherwise.

    .venv/bin/python benchmarks/inference.py [--weights FILE] [--frames 200] [--threads 1]
        [--int8-weights FILE] [--precisions fp32,bf16,int8] [--accuracy] [--eager]

Prints, for float32, bfloat16 autocast (both from --weights) and the int8 file of
``ml.quantize`` (--int8-weights, default ml/weights/emotion_cnn_int8.pt when present):
per-face classification time; per-frame time (JPEG decode + detect + classify) at 640x480
and 320x240 with p50/p95; batched classification throughput in faces/s; and, with
--accuracy, the val.npz accuracy of each (no TTA) and its top-1 agreement with fp32.
The network runs as the loader runs it, a frozen TorchScript graph; --eager measures it
without (ML_TORCHSCRIPT=0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support import FER_VAL, percentile  # noqa: E402
from ml import EMOTIONS  # noqa: E402
from ml.data import load_npz  # noqa: E402
from ml.inference import DEFAULT_MODEL_FILE, EmotionClassifier, analyse_jpeg  # noqa: E402

DEFAULT_INT8_FILE = DEFAULT_MODEL_FILE.with_name("emotion_cnn_int8.pt")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def make_frame(faces: np.ndarray, size: tuple[int, int]) -> bytes:
    width, height = size
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(90, 170, (height, width), dtype=np.uint8), (0, 0), 8)
    face_px = height // 3
    for i, face in enumerate(faces):
        x = width // 8 + i * (face_px + width // 16)
        frame[height // 3 : height // 3 + face_px, x : x + face_px] = cv2.resize(
            face, (face_px, face_px)
        )
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpeg.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", default=str(DEFAULT_MODEL_FILE))
    parser.add_argument(
        "--int8-weights",
        default=str(DEFAULT_INT8_FILE) if DEFAULT_INT8_FILE.is_file() else "",
        help="int8 model file for the [int8] rows (default: the shipped one, if present)",
    )
    parser.add_argument(
        "--precisions",
        default="fp32,bf16,int8",
        help="rows to measure, comma-separated (default: fp32,bf16,int8)",
    )
    parser.add_argument("--data", default=str(FER_VAL))
    parser.add_argument("--frames", type=int, default=200, help="frames per size (default: 200)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default: 1)"
    )
    parser.add_argument(
        "--accuracy", action="store_true", help="also compare the rows' accuracy on --data"
    )
    parser.add_argument(
        "--eager",
        action="store_true",
        help="run the network eagerly, not as TorchScript (what ML_TORCHSCRIPT=0 does)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    faces = load_npz(args.data)
    happy = faces.images[faces.labels == EMOTIONS.index("happy")]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), weights {args.weights}, "
        f"{'eager' if args.eager else 'TorchScript (where it traces)'}"
    )
    wanted = {name.strip() for name in args.precisions.split(",")}
    rows = [("fp32", args.weights, False), ("bf16", args.weights, True)]
    if args.int8_weights:
        rows.append(("int8", args.int8_weights, False))
    elif "int8" in wanted:
        print("[int8] skipped: no int8 file (python -m ml.quantize writes one)")
    reference = reference_name = None
    for name, weights, bf16 in rows:
        if name not in wanted:
            continue
        clf = EmotionClassifier(weights, bf16=bf16, script=not args.eager)
        if name != ("bf16" if clf.bf16 else clf.precision):
            print(f"[{name}] skipped: {weights} is {clf.precision}")
            continue
        if clf.precision == "int8":
            print(f"[{name}] weights {weights}, quantized engine {torch.backends.quantized.engine}")
        one = happy[:1]
        clf.classify(one)
        per_face = timed(lambda clf=clf, one=one: clf.classify(one), 300)
        batch = happy[:64]
        clf.classify(batch)
        batched = timed(lambda clf=clf, batch=batch: clf.classify(batch), 20)
        print(
            f"[{name}] classify one face: p50 {statistics.median(per_face):.2f} ms, "
            f"p95 {percentile(per_face, 95):.2f} ms; batched (64): "
            f"{64 / (statistics.median(batched) / 1000):.0f} faces/s"
        )
        for size in ((640, 480), (320, 240)):
            jpeg = make_frame(happy[:2], size)
            found = len(analyse_jpeg(jpeg, classifier=clf))
            frame_ms = timed(
                lambda jpeg=jpeg, clf=clf: analyse_jpeg(jpeg, classifier=clf), args.frames
            )
            print(
                f"[{name}] frame {size[0]}x{size[1]} ({found} faces): decode+detect+classify "
                f"p50 {statistics.median(frame_ms):.2f} ms, p95 {percentile(frame_ms, 95):.2f} ms"
            )
        if args.accuracy:
            probs = np.concatenate(
                [clf.classify(faces.images[i : i + 256]) for i in range(0, len(faces), 256)]
            )
            predicted = probs.argmax(1)
            if reference is None:
                reference, reference_name = predicted, name
            print(
                f"[{name}] accuracy on {Path(args.data).name} (no TTA): "
                f"{(predicted == faces.labels).mean():.4f}; top-1 agreement with "
                f"[{reference_name}]: {(predicted == reference).mean():.4f}"
            )


if __name__ == "__main__":
    main()
