"""benchmarks/training.py, run for real but small (eager only: compiling takes most of a
minute), so the training-speed figures in the README come from a working script."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import training
from ml.models import MODELS


@pytest.mark.parametrize("model", sorted(MODELS))
def test_it_times_ml_trains_own_loop_on_real_faces(model: str, fer_val_path: Path, capsys) -> None:
    results = training.main(
        ["--data", str(fer_val_path), "--steps", "2", "--repeats", "1", "--width", "8"]
        + ["--modes", "eager", "--precisions", "fp32", "--model", model]
    )
    assert set(results) == {"fp32 eager"}
    assert results["fp32 eager"]["faces_per_s"] > 0 and results["fp32 eager"]["warm_up_s"] > 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{model} width 8,") and "fp32    eager:" in printed
