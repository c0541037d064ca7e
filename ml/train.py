"""Train the facial-expression model, resumably.

    python -m ml.train --data ../shared/data/fer2013/train.npz --output-dir runs/emotionnet
    python -m ml.train ... --resume runs/emotionnet/checkpoint.pth     # continue after a stop
    python -m ml.train ... --test-only --resume runs/emotionnet/checkpoint.pth
    python -m ml.train ... --portable-checkpoint ml/weights/in_progress/run.pth  # to commit
    python -m ml.train ... --init-weights ml/weights/emotion_cnn.pt \
        --teacher ml/weights/emotion_cnn.pt        # a second cycle distilled from the first
    python -m ml.train ... --seed 1 --output-dir runs/seed1   # an independent run, same hold-out
    python -m ml.train ... --teacher runs/seed1/best.pt runs/seed2/best.pt   # from an ensemble

A stratified ``--holdout`` share of the training file is kept out for early stopping, so the
report split (``val.npz``) is never looked at while training. Every epoch writes
``checkpoint.pth`` (model, EMA, optimizer, scheduler, epoch, args) and, when the hold-out
accuracy improves, ``best.pt``: the exported model file the platform loads
(see :func:`ml.utils.load_weights`). ``--portable-checkpoint`` also writes a third-size copy
without the optimizer's momentum and the EMA, small enough to commit, so that a schedule
longer than one session (whose ``runs/`` does not survive it) goes on in the next; resuming
from it restarts both from the weights (see :func:`portable_checkpoint`).

Speed on CPU: channels-last tensors, bfloat16 autocast (``--amp``, 2.5x faster on CPUs with
AVX512-BF16/AMX, and on by default only there: emulated bfloat16 is 6x slower than fp32)
and augmentation in a DataLoader worker so it overlaps the maths.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader
from tqdm import tqdm

from ml import EMOTIONS
from ml.data import FaceArrays, FaceDataset, load_faces, stratified_split
from ml.evaluate import evaluate
from ml.models import MODELS, build_model, count_parameters
from ml.presets import FaceAugmentation, FaceBatchTrainPreset, FaceEvalPreset, FaceTrainPreset
from ml.utils import amp_useful, load_weights, pick_device, save_atomic

__all__ = [
    "distillation_loss",
    "ensemble_logits",
    "export_model",
    "get_args_parser",
    "load_data",
    "main",
    "mix_batch",
    "portable_checkpoint",
    "train_one_epoch",
]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_data(args: argparse.Namespace) -> tuple[FaceArrays, FaceArrays | None]:
    """The training faces and the stratified hold-out used for early stopping."""
    faces = load_faces(args.data, usage=args.usage)
    if args.limit:
        faces = faces.subset(np.random.default_rng(args.seed).permutation(len(faces))[: args.limit])
    if args.holdout <= 0:
        return faces, None
    train_idx, holdout_idx = stratified_split(faces.labels, args.holdout, seed=args.holdout_seed)
    return faces.subset(train_idx), faces.subset(holdout_idx)


def lr_lambda_for(args: argparse.Namespace, steps_per_epoch: int):
    """Linear warm-up, then cosine decay to zero, evaluated per optimiser step. The length is
    read from ``args.epochs`` at each step, so :func:`fit_epochs_to_time` can shorten it."""
    warmup = args.warmup_epochs * steps_per_epoch

    def lr_lambda(step: int) -> float:
        total = max(args.epochs * steps_per_epoch, 1)
        if step < warmup:
            return (step + 1) / warmup
        progress = min((step - warmup) / max(total - warmup, 1), 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return lr_lambda


def fit_epochs_to_time(requested: int, epochs_done: int, elapsed: float, time_limit: float) -> int:
    """How many epochs in all fit into ``time_limit`` seconds, at the mean epoch time so far
    (``elapsed`` over ``epochs_done``), never more than ``requested`` nor fewer than done.
    Lets a run be sized to a lease or a session: the cosine schedule then ends at zero when
    the time does, instead of being cut off at a high learning rate."""
    if epochs_done <= 0 or elapsed <= 0:
        return requested
    more = int(max(time_limit - elapsed, 0.0) // (elapsed / epochs_done))
    return max(epochs_done, min(requested, epochs_done + more))


def portable_checkpoint(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """``checkpoint`` without the optimizer's momentum buffers and the EMA of the weights:
    a third of the size (one copy of the weights instead of three). Resuming from it loses
    almost nothing: SGD's momentum (0.9) rebuilds within a few dozen steps and the EMA
    (0.999 per step, about five epochs' memory) restarts from the weights; the schedule, the
    epoch, the history and the random generators carry over as they are."""
    return {**checkpoint, "optimizer": None, "ema": None, "portable": True}


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor,
    criterion: nn.Module,
    alpha: float,
    temperature: float,
) -> torch.Tensor:
    """Hinton et al. (2015): a mix of the hard-label loss and the KL divergence to the
    teacher's softened probabilities; the T^2 factor keeps the soft gradients' scale
    independent of the temperature."""
    hard = criterion(student_logits, targets)
    soft = nn.functional.kl_div(
        nn.functional.log_softmax(student_logits / temperature, dim=1),
        nn.functional.log_softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    return (1.0 - alpha) * hard + alpha * temperature**2 * soft


def ensemble_logits(logits: list[torch.Tensor], temperature: float) -> torch.Tensor:
    """Several teachers as one: logits whose softmax at ``temperature`` is the mean of the
    teachers' softmaxes at that temperature (T * log of the mean probability), so
    :func:`distillation_loss` distils from the ensemble's averaged soft targets. A single
    teacher's logits are returned unchanged."""
    if len(logits) == 1:
        return logits[0]
    log_probs = torch.stack([nn.functional.log_softmax(t / temperature, dim=1) for t in logits])
    return temperature * (torch.logsumexp(log_probs, dim=0) - math.log(len(logits)))


def mix_batch(
    images: torch.Tensor,
    targets: torch.Tensor,
    num_classes: int,
    rng: random.Random,
    mixup_alpha: float = 0.0,
    cutmix_alpha: float = 0.0,
    prob: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp (Zhang et al. 2018) or CutMix (Yun et al. 2019) on one batch: every face is
    blended with another face of the batch (MixUp) or has a box pasted from it (CutMix), and
    its target becomes the two labels in the same proportion. Returns the images and
    class-probability targets (one-hot where the batch is left as it is).

    With probability ``prob`` the batch is mixed; when both alphas are set, each mixed batch
    gets one of the two at random. The proportion comes from Beta(alpha, alpha). ``rng``, a
    plain :class:`random.Random`, draws everything (kind, proportion, box, pairing), so the
    mixing is reproducible and its state goes into a checkpoint on any device."""
    soft = nn.functional.one_hot(targets, num_classes).to(images.dtype)
    kinds = [(kind, a) for kind, a in (("mixup", mixup_alpha), ("cutmix", cutmix_alpha)) if a > 0]
    if not kinds or rng.random() >= prob:
        return images, soft
    kind, alpha = rng.choice(kinds)
    lam = rng.betavariate(alpha, alpha)
    pairing = torch.tensor(rng.sample(range(len(targets)), len(targets)), device=images.device)
    if kind == "mixup":
        mixed = images.mul(lam).add_(images[pairing], alpha=1.0 - lam)
    else:
        height, width = images.shape[-2:]
        side = math.sqrt(1.0 - lam)  # the box covers 1 - lam of the face, before clipping
        cy, cx = rng.randrange(height), rng.randrange(width)
        half_h, half_w = int(height * side) // 2, int(width * side) // 2
        y0, y1 = max(cy - half_h, 0), min(cy + half_h, height)
        x0, x1 = max(cx - half_w, 0), min(cx + half_w, width)
        mixed = images.clone()
        mixed[..., y0:y1, x0:x1] = images[pairing][..., y0:y1, x0:x1]
        lam = 1.0 - (y1 - y0) * (x1 - x0) / (height * width)  # what the clipped box took
    return mixed, soft.mul(lam).add_(soft[pairing], alpha=1.0 - lam)


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    loader: DataLoader,
    device: torch.device,
    epoch: int,
    args: argparse.Namespace,
    ema: AveragedModel | None = None,
    teachers: list[nn.Module] | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    mix_rng: random.Random | None = None,
) -> dict[str, float]:
    """One pass over ``loader``; ``augment``, if given, turns each uint8 batch into the
    network's input on ``device`` (augmentation on the device, not in the workers).
    ``mix_rng`` draws the MixUp/CutMix of ``args`` (see :func:`mix_batch`), if any."""
    model.train()
    amp_dtype = torch.bfloat16 if device.type == "cpu" else torch.float16
    scaler = torch.amp.GradScaler(enabled=args.amp and device.type == "cuda")
    total_loss, correct, seen = 0.0, 0, 0
    if mix_rng is None:
        mix_rng = random.Random(f"{args.seed}/{epoch}")  # noqa: S311  (augmentation)
    started = time.perf_counter()
    bar = tqdm(
        loader,
        desc=f"epoch {epoch}",
        leave=False,
        mininterval=args.progress_interval,
        disable=args.no_progress,
    )
    for step, (images, targets) in enumerate(bar):
        if args.max_steps and step >= args.max_steps:
            break
        images = images.to(device, non_blocking=True)
        if augment is not None:
            images = augment(images)
        images = images.contiguous(memory_format=torch.channels_last)
        targets = targets.to(device, non_blocking=True)
        labels = targets
        if args.mixup_alpha or args.cutmix_alpha:
            # After the augmentation and before the teacher, which then sees the mixed faces
            # too ("consistent teaching", Beyer et al. 2022).
            images, targets = mix_batch(
                images,
                targets,
                len(EMOTIONS),
                mix_rng,
                args.mixup_alpha,
                args.cutmix_alpha,
                args.mix_prob,
            )
            labels = targets.argmax(1)  # the larger share, for the training accuracy
        with torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
            if teachers:
                with torch.inference_mode():
                    teacher_logits = ensemble_logits(
                        [teacher(images).float() for teacher in teachers],
                        args.distill_temperature,
                    )
            logits = model(images)
            if teachers:
                loss = distillation_loss(
                    logits.float(),
                    teacher_logits.clone(),  # out of inference mode, so autograd accepts it
                    targets,
                    criterion,
                    args.distill_alpha,
                    args.distill_temperature,
                )
            else:
                loss = criterion(logits.float(), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        if ema is not None:
            ema.update_parameters(model)
        total_loss += loss.item() * len(targets)
        correct += (logits.argmax(1) == labels).sum().item()
        seen += len(labels)
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    elapsed = time.perf_counter() - started
    return {
        "loss": total_loss / max(seen, 1),
        "train_acc": correct / max(seen, 1),
        "img_per_s": seen / elapsed if elapsed else 0.0,
        "lr": optimizer.param_groups[0]["lr"],
    }


def export_model(
    model: nn.Module, args: argparse.Namespace, preset: FaceEvalPreset, metrics: dict[str, Any]
) -> dict[str, Any]:
    """The weights-only file the platform loads: network, preprocessing and provenance."""
    state = {
        k.removeprefix("module.").removeprefix("_orig_mod."): v.detach().float().cpu()
        for k, v in model.state_dict().items()
        if k != "n_averaged"
    }
    return {
        "model_name": args.model,
        "model_kwargs": {"width": args.width, "dropout": args.dropout},
        "state_dict": state,
        "classes": list(EMOTIONS),
        "preset": preset.params(),
        "metrics": metrics,
        # Plain values only (the file loads with weights_only): lists, e.g. --teacher, joined.
        "train_args": {
            k: ", ".join(map(str, v)) if isinstance(v, list) else v
            for k, v in vars(args).items()
            if isinstance(v, (int, float, str, bool, list))
        },
    }


def augmentation_from_args(args: argparse.Namespace) -> FaceAugmentation:
    """The training augmentation --rotate, --shift and --zoom ask for; the rest (mirror,
    jitter, erasing) keeps :class:`ml.presets.FaceAugmentation`'s defaults."""
    return FaceAugmentation(
        degrees=args.rotate, translate=args.shift, scale=(1.0 - args.zoom, 1.0 + args.zoom)
    )


def _number(text: str, low: float, high: float, expected: str) -> float:
    """A finite number from ``low`` to ``high`` for argparse; anything else (words, nan,
    inf, out of range) is a clear error saying what was ``expected``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"{text!r} is not {expected}")
    return value


def _seconds(text: str) -> float:
    """--time-limit: a finite number of seconds, 0 (no limit) or more."""
    return _number(text, 0.0, math.inf, "a number of seconds (0 or more)")


def _non_negative(text: str) -> float:
    return _number(text, 0.0, math.inf, "a number (0 or more)")


def _probability(text: str) -> float:
    return _number(text, 0.0, 1.0, "a probability between 0 and 1")


def get_args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train the facial-expression CNN.")
    p.add_argument(
        "--data",
        default="../shared/data/fer2013/train.npz",
        help="training faces: .npz, fer2013 .csv or image folder (default: %(default)s)",
    )
    p.add_argument("--usage", default=None, help="csv only: rows with this Usage (e.g. Training)")
    p.add_argument(
        "--holdout",
        type=float,
        default=0.1,
        help="stratified share of --data kept out for early stopping (default: 0.1)",
    )
    p.add_argument("--limit", type=int, default=0, help="use only this many faces (smoke tests)")
    p.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="emotionnet",
        help="architecture (default: emotionnet; emotionnet_deep: as fast, deeper and narrower)",
    )
    p.add_argument("--width", type=int, default=32, help="base channel width (default: 32)")
    p.add_argument("--dropout", type=float, default=0.3, help="default: 0.3")
    p.add_argument("--epochs", type=int, default=70, help="default: 70")
    p.add_argument(
        "--time-limit",
        type=_seconds,
        default=0,
        help="seconds this invocation may train: after each epoch, --epochs is lowered to what "
        "fits at the speed measured so far and the schedule shortened to match (0: no limit)",
    )
    p.add_argument("--batch-size", type=int, default=128, help="default: 128")
    p.add_argument("--lr", type=float, default=0.1, help="peak SGD learning rate (default: 0.1)")
    p.add_argument("--momentum", type=float, default=0.9, help="default: 0.9")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="default: 5e-4")
    p.add_argument("--warmup-epochs", type=int, default=2, help="default: 2")
    p.add_argument("--label-smoothing", type=float, default=0.1, help="default: 0.1")
    p.add_argument(
        "--ema-decay",
        type=float,
        default=0.999,
        help="per-step EMA of the weights, 0 to disable (default: 0.999)",
    )
    p.add_argument(
        "--amp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mixed precision: bfloat16 on CPU, float16 on CUDA (default: on for CUDA and for "
        "CPUs with native bfloat16, off elsewhere)",
    )
    p.add_argument(
        "--init-weights",
        default="",
        help="start from this exported model file (a warm restart) instead of random weights",
    )
    p.add_argument(
        "--teacher",
        nargs="+",
        default=[],
        metavar="FILE",
        help="exported model file(s) to distil from (knowledge distillation, Hinton et al.); "
        "several are one teacher, their softened probabilities averaged",
    )
    p.add_argument(
        "--distill-alpha",
        type=float,
        default=0.5,
        help="weight of the teacher's soft targets in the loss (default: 0.5)",
    )
    p.add_argument(
        "--distill-temperature",
        type=float,
        default=4.0,
        help="softmax temperature for distillation (default: 4)",
    )
    # The geometric augmentation's strength (defaults: FaceAugmentation's, mild, since
    # FER-2013's faces are aligned crops; published FER-2013 recipes shift and zoom by 20 %).
    default_augmentation = FaceAugmentation()
    for option, default, high, expected, metavar, what in (
        ("--rotate", default_augmentation.degrees, 180.0, "degrees from 0 to 180", "DEGREES",
         "rotate each face by up to this many degrees either way"),
        ("--shift", default_augmentation.translate, 0.5, "a share from 0 to 0.5", "SHARE",
         "shift each face by up to this share of its size, each axis"),
        ("--zoom", round(default_augmentation.scale[1] - 1.0, 6), 0.9, "a share from 0 to 0.9",
         "SHARE", "scale each face by 1 +- up to this share"),
    ):  # fmt: skip
        p.add_argument(
            option,
            type=functools.partial(_number, low=0.0, high=high, expected=expected),
            default=default,
            metavar=metavar,
            help=f"{what} (default: %(default)g)",
        )
    p.add_argument(
        "--mixup-alpha",
        type=_non_negative,
        default=0.0,
        help="MixUp: blend pairs of faces and their labels, the share drawn from "
        "Beta(alpha, alpha); 0 = off (default: 0)",
    )
    p.add_argument(
        "--cutmix-alpha",
        type=_non_negative,
        default=0.0,
        help="CutMix: paste a box from another face, labels in proportion to its area; "
        "0 = off; with --mixup-alpha too, each batch gets one of the two (default: 0)",
    )
    p.add_argument(
        "--mix-prob",
        type=_probability,
        default=1.0,
        help="share of the batches that MixUp/CutMix mixes (default: 1)",
    )
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default: auto)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads, 0 = all cores")
    p.add_argument("--workers", type=int, default=1, help="DataLoader workers (default: 1)")
    p.add_argument(
        "--augment",
        choices=["auto", "workers", "device"],
        default="auto",
        help="where augmentation runs: per face in the DataLoader workers, or per batch on the "
        "training device (auto: the device on a GPU, where the workers cannot keep up; the "
        "workers on the CPU)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="initial weights, augmentation, order (default: 0)"
    )
    p.add_argument(
        "--holdout-seed",
        type=int,
        default=0,
        help="which faces --holdout keeps out; apart from --seed so that independently "
        "seeded runs (an ensemble, a teacher and its student) share one hold-out that none "
        "of them trained on (default: 0)",
    )
    p.add_argument("--output-dir", default="runs/emotionnet", help="default: %(default)s")
    p.add_argument(
        "--resume",
        default="",
        help="checkpoint.pth (or a --portable-checkpoint file) to continue from",
    )
    p.add_argument(
        "--portable-checkpoint",
        default="",
        metavar="FILE",
        help="every epoch, also write to FILE a copy of checkpoint.pth without momentum and "
        "EMA (a third of the size) to commit, so that --resume FILE continues the run in "
        "another session",
    )
    p.add_argument(
        "--test-only", action="store_true", help="only evaluate --resume on the hold-out"
    )
    p.add_argument(
        "--max-steps", type=int, default=0, help="stop each epoch after N steps (smoke tests)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--progress-interval",
        type=float,
        default=1.0,
        help="seconds between progress-bar updates (default: 1)",
    )
    return p


def _require_architecture(refusal: str, args: argparse.Namespace, **saved: object) -> None:
    """Refuse weights of another ``--model``/``--width`` with the options that fit them:
    load_state_dict would fail with a list of mismatched tensor names instead."""
    differs = [f"--{name} {value}" for name, value in saved.items() if value != getattr(args, name)]
    if differs:
        raise SystemExit(f"{refusal} {' '.join(differs)}")


def main(args: argparse.Namespace) -> dict[str, Any]:
    print(args, flush=True)
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # one input shape: pick the fastest kernels once
    if args.amp is None:
        args.amp = amp_useful(device)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    train_faces, holdout_faces = load_data(args)
    print(
        f"train faces: {len(train_faces)} {train_faces.class_counts().tolist()}; "
        f"hold-out: {len(holdout_faces) if holdout_faces else 0}",
        flush=True,
    )
    eval_preset = FaceEvalPreset()
    if args.augment == "auto":
        args.augment = "device" if device.type == "cuda" else "workers"
    augment_rng = torch.Generator(device).manual_seed(args.seed)
    mix_rng = random.Random(args.seed)  # noqa: S311  (augmentation, not secrets)
    augmentation = augmentation_from_args(args)
    augment = None
    if args.augment == "device":
        augment = functools.partial(
            FaceBatchTrainPreset(**eval_preset.params(), augmentation=augmentation),
            generator=augment_rng,
        )
        train_set = FaceDataset(train_faces)  # uint8 faces; the device augments each batch
    else:
        train_set = FaceDataset(
            train_faces, FaceTrainPreset(**eval_preset.params(), augmentation=augmentation)
        )
    print(
        f"augmentation: {args.augment} (rotate +-{args.rotate:g} degrees, shift "
        f"+-{args.shift:.0%}, zoom +-{args.zoom:.0%})",
        flush=True,
    )
    generator = torch.Generator().manual_seed(args.seed)
    loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        generator=generator,
        pin_memory=device.type == "cuda",
    )

    model = build_model(args.model, width=args.width, dropout=args.dropout)
    if args.init_weights:
        initial, _, initial_meta = load_weights(args.init_weights)
        if initial_meta["precision"] != "fp32":
            raise ValueError(f"--init-weights {args.init_weights}: an int8 file; give float32")
        _require_architecture(
            f"--init-weights {args.init_weights} is another architecture: start from it with",
            args,
            model=initial_meta.get("model_name", "emotionnet"),
            width=initial_meta.get("model_kwargs", {}).get("width", args.width),
        )
        model.load_state_dict(initial.state_dict())
        print(f"initial weights: {args.init_weights}", flush=True)
    model.to(device).to(memory_format=torch.channels_last)
    teachers = []
    for teacher_file in args.teacher:
        teacher, _, teacher_meta = load_weights(teacher_file, map_location=device)
        if teacher_meta["precision"] != "fp32":
            raise ValueError(f"--teacher {teacher_file}: an int8 file; give float32")
        teachers.append(
            teacher.to(device).to(memory_format=torch.channels_last).requires_grad_(False)
        )
    if teachers:
        print(
            f"distilling from {', '.join(args.teacher)} (alpha {args.distill_alpha}, "
            f"T {args.distill_temperature})",
            flush=True,
        )
    print(f"{args.model}: {count_parameters(model):,} parameters on {device}", flush=True)
    decay, no_decay = [], []
    for param in model.parameters():
        (no_decay if param.ndim <= 1 else decay).append(param)  # no decay on BN and biases
    optimizer = torch.optim.SGD(
        [
            {"params": decay, "weight_decay": args.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=args.lr,
        momentum=args.momentum,
        nesterov=True,
    )
    steps_per_epoch = min(len(loader), args.max_steps) if args.max_steps else len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda_for(args, steps_per_epoch))
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    ema = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema_decay), use_buffers=True)
        if args.ema_decay > 0
        else None
    )

    start_epoch, best_acc, history = 0, 0.0, []
    if args.resume:
        checkpoint = torch.load(args.resume, map_location="cpu", weights_only=False)
        saved_args = checkpoint.get("args")
        _require_architecture(
            f"{args.resume} trains another architecture: resume it with",
            args,
            model=getattr(saved_args, "model", args.model),
            width=getattr(saved_args, "width", args.width),
        )
        model.load_state_dict(checkpoint["model"])
        if checkpoint.get("optimizer"):
            optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["lr_scheduler"])
        # The schedule sets the learning rate at its next step; a portable checkpoint brings
        # no optimizer state, so set the resumed step's rate now rather than warm-up's first.
        for group, lr in zip(optimizer.param_groups, scheduler.get_last_lr(), strict=True):
            group["lr"] = lr
        if ema is not None:
            if checkpoint.get("ema"):
                ema.load_state_dict(checkpoint["ema"])
            else:  # built from the random weights: restart it from the resumed ones instead
                ema.module.load_state_dict(model.state_dict())
        if checkpoint.get("portable"):
            print("portable checkpoint: momentum and EMA restart from the weights", flush=True)
        start_epoch = checkpoint["epoch"] + 1
        saved_epochs = getattr(saved_args, "epochs", args.epochs)
        if saved_epochs != args.epochs:
            # The cosine schedule's position is a step count, so a new length moves the
            # learning rate at once (a run fitted by --time-limit saved its fitted length).
            print(
                f"--epochs {args.epochs} differs from the {saved_epochs} the checkpoint was "
                "running to: the schedule takes the new length and the learning rate moves "
                "to its value at this step at once",
                flush=True,
            )
        # Checkpoints from before --rotate/--shift/--zoom trained with their defaults.
        defaults = get_args_parser()
        changed = [
            f"--{name} {saved} -> {getattr(args, name)}"
            for name in ("rotate", "shift", "zoom")
            if (saved := getattr(saved_args, name, defaults.get_default(name)))
            != getattr(args, name)
        ]
        if changed:
            print(
                f"the augmentation differs from the checkpoint's ({', '.join(changed)}): the "
                "rest of the run trains with the new one",
                flush=True,
            )
        best_acc = checkpoint.get("best_acc", 0.0)
        history = checkpoint.get("history", [])
        if best_acc and not (output_dir / "best.pt").exists():
            # Resumed into another directory (the next session's): the earlier best file
            # stayed behind, so track the best afresh, or this run would never write one.
            print(
                f"no best.pt in {output_dir}: the best epoch is tracked afresh (earlier best "
                f"{best_acc:.4f}, in the history)",
                flush=True,
            )
            best_acc = 0.0
        if "rng" in checkpoint:
            torch.set_rng_state(checkpoint["rng"])
            generator.set_state(checkpoint["loader_rng"])
            if checkpoint.get("augment_rng_device") == device.type:  # CPU and CUDA states differ
                augment_rng.set_state(checkpoint["augment_rng"])
            if "mix_rng" in checkpoint:
                mix_rng.setstate(checkpoint["mix_rng"])
        print(
            f"resumed from {args.resume} at epoch {start_epoch} (best hold-out {best_acc:.4f})",
            flush=True,
        )

    def holdout_report(net: nn.Module) -> dict[str, Any] | None:
        if holdout_faces is None:
            return None
        return evaluate(
            [(net, eval_preset)], holdout_faces, flip_tta=True, device=device, amp=args.amp
        )

    if args.test_only:
        report = holdout_report(ema.module if ema is not None else model)
        print(json.dumps({k: report[k] for k in ("n", "accuracy", "macro_f1")} if report else {}))
        return report or {}

    requested_epochs = args.epochs
    loop_started = time.perf_counter()
    epoch = start_epoch
    while epoch < args.epochs:
        stats = train_one_epoch(
            model,
            criterion,
            optimizer,
            scheduler,
            loader,
            device,
            epoch,
            args,
            ema,
            teachers,
            augment,
            mix_rng,
        )
        candidates = {"model": model} | ({"ema": ema.module} if ema is not None else {})
        scores = {}
        for name, net in candidates.items():
            report = holdout_report(net)
            scores[name] = (
                (report["accuracy"], report["macro_f1"]) if report else (stats["train_acc"], 0.0)
            )
        chosen = max(scores, key=lambda k: scores[k][0])
        acc, f1 = scores[chosen]
        row = {
            "epoch": epoch,
            **{k: round(v, 5) for k, v in stats.items()},
            **{f"holdout_acc_{k}": round(v[0], 4) for k, v in scores.items()},
        }
        history.append(row)
        if args.time_limit:
            # Before the checkpoint, so that its args record the length the run was fitted to.
            fitted = start_epoch + fit_epochs_to_time(
                requested_epochs - start_epoch,
                epoch + 1 - start_epoch,
                time.perf_counter() - loop_started,
                args.time_limit,
            )
            if fitted != args.epochs:
                print(f"--time-limit {args.time_limit:g}s: {fitted} epochs in all", flush=True)
                args.epochs = fitted
        improved = acc > best_acc
        if improved:
            best_acc = acc
            metrics = {
                "holdout_accuracy": acc,
                "holdout_macro_f1": f1,
                "epoch": epoch,
                "weights": chosen,
                "holdout_n": len(holdout_faces) if holdout_faces else 0,
            }
            save_atomic(
                export_model(candidates[chosen], args, eval_preset, metrics), output_dir / "best.pt"
            )
        checkpoint = {
            "model": model.state_dict(),
            "ema": ema.state_dict() if ema is not None else None,
            "optimizer": optimizer.state_dict(),
            "lr_scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "args": args,
            "best_acc": best_acc,
            "history": history,
            "rng": torch.get_rng_state(),
            "loader_rng": generator.get_state(),
            "augment_rng": augment_rng.get_state(),
            "augment_rng_device": device.type,
            "mix_rng": mix_rng.getstate(),
        }
        save_atomic(checkpoint, output_dir / "checkpoint.pth")
        if args.portable_checkpoint:
            save_atomic(portable_checkpoint(checkpoint), args.portable_checkpoint)
        print(
            f"epoch {epoch:3d}  loss {stats['loss']:.4f}  train {stats['train_acc']:.4f}  "
            + "  ".join(f"holdout[{k}] {v[0]:.4f}" for k, v in scores.items())
            + f"  lr {stats['lr']:.4f}  {stats['img_per_s']:.0f} img/s"
            + ("  *best*" if improved else ""),
            flush=True,
        )
        epoch += 1
    (output_dir / "history.json").write_text(json.dumps(history, indent=1))
    return {"best_holdout_accuracy": best_acc, "history": history}


if __name__ == "__main__":
    main(get_args_parser().parse_args())
    sys.exit(0)
