from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

from ml.train import get_args_parser, main
from ml.utils import load_weights

from .tiny import tiny_train_argv

REPO_ROOT = Path(__file__).resolve().parents[2]


def _args(data: Path, out: Path, *extra: str):
    return get_args_parser().parse_args(tiny_train_argv(data, out, "--holdout", "0.2", *extra))


def test_it_trains_one_tiny_epoch_and_writes_checkpoint_and_model(
    tiny_npz: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = main(_args(tiny_npz, out, "--epochs", "1"))
    assert len(result["history"]) == 1
    checkpoint = torch.load(out / "checkpoint.pth", weights_only=False)
    assert checkpoint["epoch"] == 0
    assert {"model", "ema", "optimizer", "lr_scheduler", "args"} <= set(checkpoint)
    model, preset, meta = load_weights(out / "best.pt")
    assert model(torch.zeros(2, 1, 48, 48)).shape == (2, 7)
    assert meta["classes"] == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert preset.params() == {"mean": preset.mean, "std": preset.std}


def test_it_resumes_from_the_last_checkpoint(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    main(_args(tiny_npz, out, "--epochs", "1"))
    result = main(_args(tiny_npz, out, "--epochs", "2", "--resume", str(out / "checkpoint.pth")))
    assert [row["epoch"] for row in result["history"]] == [0, 1]
    assert torch.load(out / "checkpoint.pth", weights_only=False)["epoch"] == 1
    report = main(
        _args(
            tiny_npz, out, "--epochs", "2", "--resume", str(out / "checkpoint.pth"), "--test-only"
        )
    )
    assert report["n"] == 14 and 0.0 <= report["accuracy"] <= 1.0


def test_it_runs_from_the_command_line(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    completed = subprocess.run(
        [sys.executable, "-m", "ml.train", *tiny_train_argv(tiny_npz, out, "--epochs", "1")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "epoch   0" in completed.stdout
    assert (out / "best.pt").is_file()
    assert json.loads((out / "history.json").read_text())[0]["epoch"] == 0
