"""The compact CNNs used for 48x48 grayscale faces, by name in :data:`MODELS`.

``EmotionNet`` is a small pre-activation-free ResNet: four stages at 48, 24, 12 and 6 pixels,
each made of two 3x3 convolution blocks with a residual connection, then global average
pooling and a linear classifier. At the default width (32) it has about 1.2 M parameters
(4.7 MB in float32) and needs about 0.14 GMAC per face, which keeps classification within a
few milliseconds on one CPU core while being deep enough (9 conv layers on the main path) to
reach about 70 % on FER-2013. ``DeepEmotionNet`` spends the same time per face on
depth instead (14 convolutions, two residual blocks per stage below full resolution).
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

__all__ = ["MODELS", "DeepEmotionNet", "EmotionNet", "build_model", "count_parameters"]


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class ResidualStage(nn.Module):
    """conv-bn-relu, conv-bn (+ projected input), relu: a ResNet basic block that can widen."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = ConvBNReLU(in_channels, out_channels)
        self.conv2 = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut: nn.Module
        if in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


def _init_weights(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    # Zero-init the last BN of each residual branch: every stage starts as (almost) identity,
    # which makes short CPU schedules converge faster (Goyal et al., 2017).
    for m in model.modules():
        if isinstance(m, ResidualStage):
            nn.init.zeros_(m.conv2[1].weight)


def classifier_head(channels: int, num_classes: int, dropout: float) -> nn.Sequential:
    """Global average pooling, dropout and a linear layer: both architectures end this way.

    A plain ``nn.Sequential`` so that its parameters keep the ``head.3.*`` names that every
    shipped checkpoint and the int8 graph were saved with.
    """
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(channels, num_classes),
    )


class EmotionNet(nn.Module):
    """Residual CNN for ``(N, 1, 48, 48)`` float input normalised to roughly zero mean."""

    def __init__(self, num_classes: int = 7, width: int = 32, dropout: float = 0.3) -> None:
        super().__init__()
        w = width
        self.stem = ConvBNReLU(1, w)
        self.stages = nn.Sequential(
            ResidualStage(w, w),  # 48x48
            nn.MaxPool2d(2),
            ResidualStage(w, 2 * w),  # 24x24
            nn.MaxPool2d(2),
            ResidualStage(2 * w, 4 * w),  # 12x12
            nn.MaxPool2d(2),
            ResidualStage(4 * w, 8 * w),  # 6x6
        )
        self.head = classifier_head(8 * w, num_classes, dropout)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


class DeepEmotionNet(nn.Module):
    """EmotionNet's compute spent on depth: 14 convolutions on the main path instead of 9.

    Two plain convolutions at 48x48 (no residual stage there: full resolution is where
    EmotionNet spends 40 % of its multiply-adds), then two residual blocks in each stage at
    24, 12 and 6 pixels, at 1.25, 2.5 and 5 times ``width`` channels. At width 32 that is
    1.09 M parameters and about the same time per face on one CPU core as EmotionNet at
    width 32, for a network whose mistakes should differ from EmotionNet's.
    """

    def __init__(self, num_classes: int = 7, width: int = 32, dropout: float = 0.3) -> None:
        super().__init__()
        widths = [width * 5 // 4, width * 5 // 2, width * 5]
        layers: list[nn.Module] = [ConvBNReLU(1, width), ConvBNReLU(width, width)]
        channels = width
        for stage_width in widths:
            layers.append(nn.MaxPool2d(2))
            layers += [
                ResidualStage(channels, stage_width),
                ResidualStage(stage_width, stage_width),
            ]
            channels = stage_width
        self.features = nn.Sequential(*layers)
        self.head = classifier_head(channels, num_classes, dropout)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# Every architecture ml.train can train and ml.utils can load, by the name stored in each
# checkpoint (``model_name``); all take num_classes, width and dropout.
MODELS: dict[str, type[nn.Module]] = {"emotionnet": EmotionNet, "emotionnet_deep": DeepEmotionNet}


def build_model(name: str = "emotionnet", **kwargs: object) -> nn.Module:
    """Build a model by name; the name and kwargs are stored in every checkpoint."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(map(repr, MODELS))}")
    return MODELS[name](**kwargs)  # type: ignore[arg-type]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a model's size.")
    parser.add_argument("--model", choices=sorted(MODELS), default="emotionnet")
    parser.add_argument("--width", type=int, default=32, help="base channel width (default: 32)")
    args = parser.parse_args(argv)
    model = build_model(args.model, width=args.width)
    print(f"{args.model}(width={args.width}): {count_parameters(model):,} parameters")


if __name__ == "__main__":
    main()
