"""Preprocessing presets: how a 48x48 uint8 face becomes the network's input.

Both presets are rebuilt from the parameters stored in a checkpoint (``preset`` key), so
training, evaluation and the platform's loader always agree on normalisation.
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2

__all__ = ["FaceEvalPreset", "FaceTrainPreset", "DEFAULT_MEAN", "DEFAULT_STD"]

# Pixel statistics of FER-2013's Training split (0..1 scale).
DEFAULT_MEAN = 0.5136
DEFAULT_STD = 0.3067


class FaceEvalPreset:
    """uint8 (..., 1, 48, 48) -> float32, normalised. Works on one face or a batch."""

    def __init__(self, *, mean: float = DEFAULT_MEAN, std: float = DEFAULT_STD) -> None:
        self.mean = mean
        self.std = std

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return (image.float() / 255.0 - self.mean) / self.std

    def params(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}


class FaceTrainPreset:
    """Geometric and photometric augmentation with torchvision transforms v2, then normalise.

    Faces in FER-2013 are roughly aligned crops, so the geometry stays mild (a few degrees,
    a few pixels, 0.85-1.15 scale); a mirror is always a valid face; brightness/contrast cover
    museum lighting; random erasing stands in for occlusion (hands, glasses, hair).
    """

    def __init__(
        self,
        *,
        mean: float = DEFAULT_MEAN,
        std: float = DEFAULT_STD,
        degrees: float = 12.0,
        translate: float = 0.08,
        scale: tuple[float, float] = (0.85, 1.15),
        erase_p: float = 0.5,
    ) -> None:
        self.normalise = FaceEvalPreset(mean=mean, std=std)
        self.geometric = v2.Compose(
            [
                v2.RandomHorizontalFlip(),
                v2.RandomAffine(degrees=degrees, translate=(translate, translate), scale=scale),
                v2.ColorJitter(brightness=0.3, contrast=0.3),
            ]
        )
        self.erase = v2.RandomErasing(p=erase_p, scale=(0.02, 0.15), value=0.0)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.erase(self.normalise(self.geometric(image)))
