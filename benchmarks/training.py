"""Training throughput: ``ml.train``'s own training loop (batched augmentation, forward,
backward, SGD step, EMA update) on real faces, in the precisions and compilation modes
that could make it faster.

    .venv/bin/python benchmarks/training.py [--steps 40] [--threads 0] [--modes eager,compile]

Prints faces/s per configuration, after warm-up steps (which include ``torch.compile``'s
compilation, reported separately), and the best of ``--repeats`` timed passes. Nothing is
written; the hold-out evaluation each epoch adds about 5 % to a real epoch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support import FER_VAL  # noqa: E402
from ml.data import FaceArrays, FaceDataset, load_npz  # noqa: E402
from ml.models import MODELS, build_model  # noqa: E402
from ml.presets import FaceBatchTrainPreset  # noqa: E402
from ml.train import get_args_parser, train_one_epoch  # noqa: E402
from ml.utils import bf16_is_native  # noqa: E402

# ml.train's own default, so that the benchmark times the batch a real run trains with.
BATCH_SIZE: int = get_args_parser().get_default("batch_size")


def faces_per_second(
    faces: FaceArrays,
    *,
    amp: bool,
    compile_model: bool,
    steps: int,
    repeats: int,
    width: int,
    model_name: str = "emotionnet",
) -> tuple[float, float]:
    """(faces/s, seconds of warm-up) for ``steps`` training steps of ``BATCH_SIZE`` on the CPU."""
    args = get_args_parser().parse_args(
        ["--no-progress", "--max-steps", str(steps), "--width", str(width), "--model", model_name]
    )
    args.amp = amp
    torch.manual_seed(0)
    model = build_model(args.model, width=width, dropout=args.dropout)
    model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    net = torch.compile(model) if compile_model else model
    augment = FaceBatchTrainPreset()
    generator = torch.Generator().manual_seed(0)
    loader = DataLoader(FaceDataset(faces), batch_size=args.batch_size, shuffle=True)
    device = torch.device("cpu")

    def run(max_steps: int) -> dict[str, float]:
        args.max_steps = max_steps
        return train_one_epoch(
            net,
            criterion,
            optimizer,
            scheduler,
            loader,
            device,
            0,
            args,
            augment=lambda images: augment(images, generator),
        )

    started = time.perf_counter()
    run(3)  # warm-up: the allocator, oneDNN's kernel choice, the compiler
    warm_up = time.perf_counter() - started
    return max(run(steps)["img_per_s"] for _ in range(repeats)), warm_up


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(FER_VAL), help="faces (.npz; default: val.npz)")
    parser.add_argument("--steps", type=int, default=40, help="steps per timed pass (40)")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes, best kept (2)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads, 0 = all (0)")
    parser.add_argument("--model", choices=sorted(MODELS), default="emotionnet")
    parser.add_argument("--width", type=int, default=32, help="the model's width (32)")
    parser.add_argument(
        "--modes", default="eager,compile", help="eager and/or compile (default: both)"
    )
    parser.add_argument(
        "--precisions",
        default="fp32,bf16" if bf16_is_native() else "fp32",
        help="fp32 and/or bf16 autocast (default: both where bfloat16 is native)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    faces = load_npz(args.data)
    faces = faces.subset(np.arange(min(len(faces), (args.steps + 3) * BATCH_SIZE)))
    print(
        f"{args.model} width {args.width}, batch {BATCH_SIZE}, "
        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}"
    )
    results = {}
    for precision in args.precisions.split(","):
        for mode in args.modes.split(","):
            rate, warm_up = faces_per_second(
                faces,
                amp=precision == "bf16",
                compile_model=mode == "compile",
                steps=args.steps,
                repeats=args.repeats,
                width=args.width,
                model_name=args.model,
            )
            results[f"{precision} {mode}"] = {"faces_per_s": rate, "warm_up_s": warm_up}
            print(
                f"{precision:>5} {mode:>8}: {rate:7.0f} faces/s  (warm-up {warm_up:5.1f} s)",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main()
