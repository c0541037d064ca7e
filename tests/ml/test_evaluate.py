from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.data import load_faces
from ml.evaluate import main as evaluate_main
from ml.evaluate import predict_probabilities
from ml.utils import classification_report, confusion_matrix, load_weights

from .tiny import tiny_train_argv

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_computes_metrics_from_a_confusion_matrix() -> None:
    targets = np.array([0, 0, 1, 1, 3, 3, 3, 6])
    predicted = np.array([0, 1, 1, 1, 3, 3, 6, 6])
    matrix = confusion_matrix(targets, predicted)
    report = classification_report(matrix)
    assert report["n"] == 8
    assert report["accuracy"] == pytest.approx(6 / 8)
    assert report["per_class"]["angry"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert report["per_class"]["disgust"]["precision"] == pytest.approx(2 / 3)
    # Macro-F1 averages only the classes present in the data (angry, disgust, happy, neutral).
    f1 = [2 / 3, 0.8, 0.8, 2 / 3]
    assert report["macro_f1"] == pytest.approx(sum(f1) / 4)


def test_it_prints_a_report_and_ends_with_one_json_line(
    tiny_model: Path, tiny_npz: Path, tmp_path: Path
) -> None:
    plot = tmp_path / "cm.png"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml.evaluate",
            "--weights",
            str(tiny_model),
            "--data",
            str(tiny_npz),
            "--json",
            "--plot",
            str(plot),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert any(line.startswith("accuracy:") for line in lines)
    assert any("confusion matrix" in line for line in lines)
    result = json.loads(lines[-1])
    assert result["n"] == 70
    assert {"accuracy", "macro_f1", "confusion", "per_class"} <= set(result)
    assert np.array(result["confusion"]).sum() == 70
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] > 400


def test_it_evaluates_a_csv_usage_and_an_image_folder(
    tiny_model: Path, tmp_path: Path, capsys
) -> None:
    csv_path = tmp_path / "fer.csv"
    pixels = " ".join(["90"] * 2304)
    csv_path.write_text(f"emotion,pixels,Usage\n3,{pixels},PrivateTest\n4,{pixels},Training\n")
    assert (
        evaluate_main(
            [
                "--weights",
                str(tiny_model),
                "--data",
                str(csv_path),
                "--usage",
                "PrivateTest",
                "--json",
                "--plot",
                "",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n"] == 1
    (tmp_path / "folder" / "happy").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "folder" / "happy" / "x.png"), np.full((64, 64, 3), 128, np.uint8))
    assert (
        evaluate_main(
            [
                "--weights",
                str(tiny_model),
                "--data",
                str(tmp_path / "folder"),
                "--json",
                "--plot",
                "",
                "--no-tta",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["flip_tta"] is False


def test_several_weights_are_evaluated_as_one_ensemble(
    tiny_model: Path, tiny_npz: Path, tmp_path: Path, capsys
) -> None:
    """Their probabilities averaged: the report is the average's, not either model's."""
    from ml.train import get_args_parser as train_args
    from ml.train import main as train_main

    other = tmp_path / "other"
    train_main(
        train_args().parse_args(tiny_train_argv(tiny_npz, other, "--epochs", "1", "--seed", "1"))
    )
    faces = load_faces(tiny_npz)
    each = [
        predict_probabilities(model, preset, faces.images)
        for model, preset, _ in (load_weights(tiny_model), load_weights(other / "best.pt"))
    ]
    expected = confusion_matrix(faces.labels, np.mean(each, axis=0).argmax(1), 7)
    singles = [confusion_matrix(faces.labels, p.argmax(1), 7).tolist() for p in each]
    assert expected.tolist() not in singles, "the two tiny models should disagree here"
    argv = ["--weights", str(tiny_model), str(other / "best.pt"), "--data", str(tiny_npz)]
    assert evaluate_main([*argv, "--json", "--plot", ""]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["confusion"] == expected.tolist()
    assert result["weights"] == f"{tiny_model}, {other / 'best.pt'}"


def test_it_evaluates_the_hold_out_that_training_kept_out(
    tiny_model: Path, tiny_npz: Path, tmp_path: Path, capsys
) -> None:
    """--holdout/--holdout-seed pick exactly the faces ml.train held out with the same
    values, whatever its --seed."""
    from ml.train import get_args_parser as train_args
    from ml.train import load_data

    model, preset, _ = load_weights(tiny_model)
    for seed in (0, 3):
        split = ["--holdout", "0.2", "--holdout-seed", str(seed)]
        train_argv = tiny_train_argv(tiny_npz, tmp_path, *split, "--seed", "7")
        _, held_out = load_data(train_args().parse_args(train_argv))
        expected = confusion_matrix(
            held_out.labels, predict_probabilities(model, preset, held_out.images).argmax(1), 7
        )
        argv = ["--weights", str(tiny_model), "--data", str(tiny_npz), "--plot", ""]
        assert evaluate_main([*argv, *split, "--json"]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert result["n"] == len(held_out) == 14
        assert result["confusion"] == expected.tolist()


def test_it_reports_bad_inputs_clearly(tiny_model: Path, tmp_path: Path, capsys) -> None:
    assert evaluate_main(["--weights", str(tiny_model), "--data", str(tmp_path / "nope.npz")]) == 2
    assert "nope.npz" in capsys.readouterr().err
    not_a_model = tmp_path / "model.pt"
    not_a_model.write_bytes(b"garbage")
    (tmp_path / "faces.npz").write_bytes(b"")
    np.savez(tmp_path / "faces.npz", images=np.zeros((1, 48, 48), np.uint8), labels=np.array([0]))
    assert (
        evaluate_main(["--weights", str(not_a_model), "--data", str(tmp_path / "faces.npz")]) == 2
    )
    assert "not a model file" in capsys.readouterr().err
    good = ["--weights", str(tiny_model), "--data", str(tmp_path / "faces.npz")]
    assert evaluate_main([*good, "--holdout", "1.5"]) == 2
    assert "holdout_fraction must be in [0, 1)" in capsys.readouterr().err
