"""Shared arguments for seconds-long training runs in the ml tests."""

from __future__ import annotations

from pathlib import Path


def tiny_train_argv(data: Path, out: Path, *extra: str) -> list[str]:
    """Command-line arguments for a seconds-long training run on a tiny model."""
    return [
        "--data", str(data), "--output-dir", str(out), "--width", "8", "--batch-size", "16",
        "--workers", "0", "--no-progress", *extra,
    ]  # fmt: skip
