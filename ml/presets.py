"""Preprocessing presets: how a 48x48 uint8 face becomes the network's input.

Both presets are rebuilt from the parameters stored in a checkpoint (``preset`` key), so
training, evaluation and the platform's loader always agree on normalisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch
from torch.nn import functional as F
from torchvision.transforms import v2

__all__ = [
    "DEFAULT_MEAN",
    "DEFAULT_STD",
    "FaceAugmentation",
    "FaceBatchTrainPreset",
    "FaceEvalPreset",
    "FaceTrainPreset",
]

# Pixel statistics of FER-2013's Training split (0..1 scale).
DEFAULT_MEAN = 0.5136
DEFAULT_STD = 0.3067


class FaceEvalPreset:
    """uint8 (..., 1, 48, 48) -> float32, normalised. Works on one face or a batch."""

    def __init__(self, *, mean: float = DEFAULT_MEAN, std: float = DEFAULT_STD) -> None:
        self.mean = mean
        self.std = std

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.normalise_float(image.float() / 255.0)

    def normalise_float(self, image: torch.Tensor) -> torch.Tensor:
        """Pixels already on the 0..1 scale (what the batched augmentation produces)."""
        return (image - self.mean) / self.std

    def params(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}


@dataclass(frozen=True)
class FaceAugmentation:
    """The training augmentation's parameters, shared by the per-face and batched presets."""

    flip_p: float = 0.5  # mirror
    degrees: float = 12.0  # rotation, uniform in +-degrees
    translate: float = 0.08  # shift, share of the size, each axis
    scale: tuple[float, float] = (0.85, 1.15)
    jitter: float = 0.3  # brightness and contrast factors in 1 +- jitter
    erase_p: float = 0.5  # random erasing: how often,
    erase_scale: tuple[float, float] = (0.02, 0.15)  # which share of the face,
    erase_ratio: tuple[float, float] = (0.3, 3.3)  # which aspect ratio


class _AugmentingPreset:
    """What both training presets hold: the normalisation and the augmentation parameters."""

    def __init__(
        self,
        *,
        mean: float = DEFAULT_MEAN,
        std: float = DEFAULT_STD,
        augmentation: FaceAugmentation = FaceAugmentation(),
    ) -> None:
        self.normalise = FaceEvalPreset(mean=mean, std=std)
        self.augmentation = augmentation


class FaceTrainPreset(_AugmentingPreset):
    """Geometric and photometric augmentation with torchvision transforms v2, then normalise.

    Faces in FER-2013 are roughly aligned crops, so the geometry stays mild (a few degrees,
    a few pixels, 0.85-1.15 scale); a mirror is always a valid face; brightness/contrast cover
    museum lighting; random erasing stands in for occlusion (hands, glasses, hair).
    """

    @cached_property
    def geometric(self) -> v2.Compose:
        aug = self.augmentation
        return v2.Compose(
            [
                v2.RandomHorizontalFlip(p=aug.flip_p),
                v2.RandomAffine(
                    degrees=aug.degrees, translate=(aug.translate, aug.translate), scale=aug.scale
                ),
                v2.ColorJitter(brightness=aug.jitter, contrast=aug.jitter),
            ]
        )

    @cached_property
    def erase(self) -> v2.RandomErasing:
        aug = self.augmentation
        return v2.RandomErasing(
            p=aug.erase_p, scale=aug.erase_scale, ratio=aug.erase_ratio, value=0.0
        )

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.erase(self.normalise(self.geometric(image)))


class FaceBatchTrainPreset(_AugmentingPreset):
    """:class:`FaceTrainPreset`'s augmentation for a whole uint8 batch ``(N, 1, H, W)`` at
    once, with tensor operations on the batch's own device.

    Why: on a GPU the per-face torchvision pipeline in DataLoader workers is the bottleneck
    (about 1,000 faces/s per CPU core on a 16-core GPU machine, 15,000 faces/s in all, far
    below what the GPU trains), so ``ml.train`` augments on the device there. Same
    distributions as :class:`FaceTrainPreset` (a mirror half the time; rotation, shift and
    scale drawn uniformly; brightness then contrast jitter; random erasing of 2-15 % of the
    face with aspect 0.3-3.3), with two deliberate differences: bilinear instead of nearest
    resampling, and the two jitters always in that order (torchvision shuffles them).
    Random numbers come from ``generator`` (on the batch's device), so a seeded run repeats.
    """

    def __call__(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        n, _, height, width = images.shape
        aug = self.augmentation
        x = images.float() / 255.0

        def uniform(low: float, high: float) -> torch.Tensor:  # one draw per face
            return low + (high - low) * torch.rand(n, device=images.device, generator=generator)

        flip = uniform(0, 1) < aug.flip_p
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)

        # Forward map out = s R(a) in + t; grid_sample wants its inverse, in [-1, 1] units
        # (a shift of `translate` of the width is 2 * translate there).
        angle = torch.deg2rad(uniform(-aug.degrees, aug.degrees))
        zoom = uniform(*aug.scale)
        shift = torch.stack([uniform(-aug.translate, aug.translate) * 2 for _ in range(2)], 1)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        inverse = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)
        offset = -(inverse @ shift.unsqueeze(-1))
        grid = F.affine_grid(torch.cat([inverse, offset], 2), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

        brightness = uniform(1 - aug.jitter, 1 + aug.jitter)
        x = (x * brightness[:, None, None, None]).clamp(0, 1)
        contrast = uniform(1 - aug.jitter, 1 + aug.jitter)[:, None, None, None]
        grey = x.mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - grey) * contrast + grey).clamp(0, 1)

        x = self.normalise.normalise_float(x)

        # Random erasing: one rectangle per chosen face, set to 0 (the mean after normalising).
        area = uniform(*aug.erase_scale) * height * width
        log_ratio = uniform(*(math.log(r) for r in aug.erase_ratio))
        ratio = torch.exp(log_ratio)
        box_h = torch.sqrt(area * ratio).round().clamp(1, height)
        box_w = torch.sqrt(area / ratio).round().clamp(1, width)
        top = (uniform(0, 1) * (height - box_h + 1)).floor()
        left = (uniform(0, 1) * (width - box_w + 1)).floor()
        rows = torch.arange(height, device=x.device)[None, :, None]
        cols = torch.arange(width, device=x.device)[None, None, :]
        inside = (
            (rows >= top[:, None, None])
            & (rows < (top + box_h)[:, None, None])
            & (cols >= left[:, None, None])
            & (cols < (left + box_w)[:, None, None])
        )
        erase = (uniform(0, 1) < aug.erase_p)[:, None, None]
        return x.masked_fill((inside & erase).unsqueeze(1), 0.0)
