from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ml import EMOTIONS

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fer_val_path() -> Path:
    path = SHARED_DATA / "fer2013" / "val.npz"
    if not path.is_file():
        pytest.skip(f"real FER-2013 faces not found at {path} (set SHARED_DATA_DIR)")
    return path


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
