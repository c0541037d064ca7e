"""benchmarks/detection.py, run for real but small on the live load test's real-face frames,
so the detection figures in docs/scaling.md come from a working script."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import detection


def test_it_replays_camera_streams_through_each_detector(fer_val_path: Path, tmp_path) -> None:
    out = tmp_path / "detection.json"
    args = detection.get_args_parser().parse_args(
        ["--faces", str(fer_val_path), "--streams", "2", "--frames", "10", "--background", "3"]
        + ["--json", str(out)]
    )
    results = detection.main(args)
    assert json.loads(out.read_text()) == results

    searched = results["whole_frame"]
    assert set(searched) == {"shipped", "equalised first (round 2)"}
    for r in searched.values():
        assert r["frames"] == 20 and r["background_frames"] == 3
        assert 0 <= r["found"] <= 20 and r["ms_per_frame"] > 0
    # What round 3 changed it for: the same frames searched as they come find more faces.
    assert searched["shipped"]["found"] >= searched["equalised first (round 2)"]["found"]

    assert set(results["tracker"]) == {
        "shipped (LBP tracking)",
        "Haar tracking",
        "round 2 (Haar, equalised)",
    }
    for r in results["tracker"].values():
        assert r["frames"] == 20
        assert 0 < r["answers_with_face"] <= 20
        assert 0 < r["searches_per_frame"] <= 1
        assert r["around_last_faces_ms_per_frame"] > 0
