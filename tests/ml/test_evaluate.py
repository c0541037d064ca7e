from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ml import EMOTIONS
from ml.data import load_faces
from ml.evaluate import main as evaluate_main
from ml.evaluate import paired_comparison, predict_probabilities
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


def test_paired_comparison_counts_the_faces_only_one_model_gets_right() -> None:
    labels = np.arange(10) % 7
    model = labels.copy()
    model[[0, 1, 2]] = (labels[[0, 1, 2]] + 1) % 7  # 7 right
    baseline = labels.copy()
    baseline[[3, 4, 5, 6, 0]] = (labels[[3, 4, 5, 6, 0]] + 1) % 7  # 5 right
    result = paired_comparison(labels, model, baseline)
    assert result["accuracy"] == pytest.approx(0.7)
    assert result["baseline_accuracy"] == pytest.approx(0.5)
    # Faces 3-6: only the model; faces 1, 2: only the baseline; face 0: neither.
    assert (result["only_model_right"], result["only_baseline_right"]) == (4, 2)
    assert result["difference"] == pytest.approx(0.2)
    # Per-face differences: four +1, two -1, four 0: variance of their mean (0.6 - 0.2**2) / 10.
    margin = 1.959964 * np.sqrt(0.056)
    assert result["ci95"] == pytest.approx([0.2 - margin, 0.2 + margin])
    # McNemar exact: 2 * P(X <= 2), X ~ Binomial(6, 1/2) = 2 * (1 + 6 + 15) / 64.
    assert result["mcnemar_p"] == pytest.approx(44 / 64)


def test_paired_comparison_of_a_model_with_itself_and_against_scipy() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 500)
    same = paired_comparison(labels, labels, labels)
    assert same["difference"] == 0 and same["ci95"] == [0, 0] and same["mcnemar_p"] == 1.0
    model = np.where(rng.random(500) < 0.75, labels, (labels + 1) % 7)
    baseline = np.where(rng.random(500) < 0.70, labels, (labels + 2) % 7)
    result = paired_comparison(labels, model, baseline)
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(
        result["only_model_right"], result["only_model_right"] + result["only_baseline_right"]
    ).pvalue
    assert result["mcnemar_p"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="same length"):
        paired_comparison(labels, model[:-1], baseline)
    with pytest.raises(ValueError, match="no faces"):
        paired_comparison(labels[:0], model[:0], baseline[:0])


def test_it_compares_with_a_baseline_on_the_same_faces(
    tiny_model: Path, tiny_npz: Path, tmp_path: Path, capsys
) -> None:
    model, preset, _ = load_weights(tiny_model)
    faces = load_faces(tiny_npz)
    predictions = predict_probabilities(model, preset, faces.images).argmax(1)
    # The baseline: a model that always says "happy" (a checkpoint of the tiny model whose
    # classifier ignores the face), so that the two disagree on known faces.
    checkpoint = torch.load(tiny_model, map_location="cpu", weights_only=False)
    state = checkpoint["state_dict"] if "state_dict" in checkpoint else checkpoint["model"]
    state["head.3.weight"].zero_()
    state["head.3.bias"].copy_(torch.arange(7) == EMOTIONS.index("happy"))
    happy = tmp_path / "always_happy.pt"
    torch.save(checkpoint, happy)
    argv = ["--weights", str(tiny_model), "--data", str(tiny_npz), "--plot", ""]
    assert evaluate_main([*argv, "--baseline", str(happy), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    comparison = json.loads(lines[-1])["comparison"]
    expected = paired_comparison(
        faces.labels, predictions, np.full(len(faces), EMOTIONS.index("happy"))
    )
    assert comparison == {"baseline": str(happy), **expected}
    assert comparison["baseline_accuracy"] == pytest.approx(
        np.mean(faces.labels == EMOTIONS.index("happy"))
    )
    assert any(line.startswith("against the baseline (") for line in lines)

    assert evaluate_main([*argv, "--baseline", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt" in capsys.readouterr().err


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
