"""Training-augmentation throughput: the per-face torchvision pipeline that DataLoader workers
run, against the batched one that ``ml.train --augment device`` runs on the training device.

    .venv/bin/python benchmarks/augmentation.py [--faces 4096] [--batch-size 128] [--threads 1]

Prints faces/s for: the per-face pipeline on one core (what one worker adds; collation
included, as a DataLoader with no workers), and the batched pipeline on the CPU with
--threads threads and, where there is one, on the GPU (synchronised, after a warm-up).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support import FER_VAL  # noqa: E402
from ml.data import FaceDataset, load_npz  # noqa: E402
from ml.presets import FaceBatchTrainPreset, FaceTrainPreset  # noqa: E402


def per_face_rate(faces, batch_size: int) -> float:
    loader = DataLoader(FaceDataset(faces, FaceTrainPreset()), batch_size=batch_size, num_workers=0)
    started = time.perf_counter()
    seen = sum(len(images) for images, _ in loader)
    return seen / (time.perf_counter() - started)


def batched_rate(images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    preset, generator = FaceBatchTrainPreset(), torch.Generator(device).manual_seed(0)
    images = images.to(device)
    batches = list(images.split(batch_size))

    def one_pass() -> None:
        for batch in batches:
            preset(batch, generator)
        if device.type == "cuda":
            torch.cuda.synchronize()

    one_pass()  # warm-up
    started = time.perf_counter()
    one_pass()
    return len(images) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(FER_VAL), help="faces (.npz; default: val.npz)")
    parser.add_argument("--faces", type=int, default=4096, help="default: 4096")
    parser.add_argument("--batch-size", type=int, default=128, help="default: 128")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default: 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    faces = load_npz(args.data)
    faces = faces.subset(np.arange(min(args.faces, len(faces))))
    images = torch.from_numpy(np.ascontiguousarray(faces.images)).unsqueeze(1)
    print(f"{len(faces)} faces, batches of {args.batch_size}")
    per_face = per_face_rate(faces, args.batch_size)
    print(f"per face, one core (a DataLoader worker): {per_face:8.0f} faces/s")
    cpu = batched_rate(images, args.batch_size, torch.device("cpu"))
    print(f"batched, CPU, {args.threads} thread(s):          {cpu:8.0f} faces/s")
    if torch.cuda.is_available():
        gpu = batched_rate(images, args.batch_size, torch.device("cuda"))
        print(f"batched, {torch.cuda.get_device_name()}: {gpu:8.0f} faces/s")


if __name__ == "__main__":
    main()
