from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml import EMOTIONS

from .tiny import tiny_train_argv


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    """A small, learnable .npz in the shared/data layout: bright faces are 'happy'."""
    rng = np.random.default_rng(0)
    labels = np.arange(70) % len(EMOTIONS)
    images = rng.integers(0, 60, size=(70, 48, 48), dtype=np.uint8) + (labels * 30)[
        :, None, None
    ].astype(np.uint8)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=images, labels=labels.astype(np.int64), classes=np.array(EMOTIONS))
    return path


@pytest.fixture
def tiny_model(tiny_npz: Path, tmp_path: Path) -> Path:
    """An exported model file from one tiny epoch on ``tiny_npz``."""
    from ml.train import get_args_parser, main

    out = tmp_path / "model"
    main(get_args_parser().parse_args(tiny_train_argv(tiny_npz, out, "--epochs", "1")))
    return out / "best.pt"
