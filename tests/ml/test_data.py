from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ml import EMOTIONS
from ml.data import (
    DatasetError,
    FaceDataset,
    load_faces,
    load_fer_csv,
    load_image_folder,
    load_npz,
    pack_npz_xz,
    stratified_split,
)
from ml.data import main as data_main
from ml.presets import FaceEvalPreset, FaceTrainPreset


def test_it_reads_the_npz_layout(tiny_npz: Path) -> None:
    faces = load_npz(tiny_npz)
    assert faces.images.shape == (70, 48, 48) and faces.images.dtype == np.uint8
    assert faces.labels.tolist()[:7] == list(range(7))
    assert faces.class_counts().tolist() == [10] * 7


def test_it_remaps_npz_classes_given_in_another_order(tmp_path: Path) -> None:
    path = tmp_path / "other_order.npz"
    images = np.zeros((2, 48, 48), np.uint8)
    np.savez(path, images=images, labels=np.array([0, 1]), classes=np.array(["happy", "sad"]))
    assert load_npz(path).labels.tolist() == [EMOTIONS.index("happy"), EMOTIONS.index("sad")]


def test_it_names_the_file_when_an_npz_is_broken(tmp_path: Path) -> None:
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a zip archive")
    with pytest.raises(DatasetError, match="broken.npz"):
        load_npz(bad)
    wrong_shape = tmp_path / "wrong.npz"
    np.savez(wrong_shape, images=np.zeros((2, 10, 10), np.uint8), labels=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"wrong.npz.*\(N, 48, 48\)"):
        load_npz(wrong_shape)


def _write_csv(path: Path, rows: list[tuple[int, str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        writer.writerows(rows)


def test_it_reads_the_fer2013_csv_layout_and_selects_a_usage(tmp_path: Path) -> None:
    pixels = " ".join(["7"] * 2304)
    path = tmp_path / "fer2013.csv"
    _write_csv(
        path, [(3, pixels, "Training"), (5, pixels, "PublicTest"), (6, pixels, "PrivateTest")]
    )
    assert len(load_fer_csv(path)) == 3
    private = load_faces(path, usage="PrivateTest")
    assert private.labels.tolist() == [6]
    assert private.images[0, 0, 0] == 7


def test_it_names_file_and_line_for_a_bad_csv_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    _write_csv(path, [(3, " ".join(["1"] * 2304), "Training"), (2, "1 2 3", "Training")])
    with pytest.raises(DatasetError, match=r"bad.csv:3"):
        load_fer_csv(path)
    with pytest.raises(DatasetError, match="no faces"):
        load_fer_csv(path, usage="PrivateTest")


def test_it_reads_an_image_folder_of_any_size_and_colour(tmp_path: Path) -> None:
    (tmp_path / "Happy").mkdir()
    (tmp_path / "sad").mkdir()
    cv2.imwrite(str(tmp_path / "Happy" / "a.png"), np.full((120, 100, 3), 200, np.uint8))
    cv2.imwrite(str(tmp_path / "Happy" / "b.jpg"), np.full((30, 30), 50, np.uint8))
    cv2.imwrite(str(tmp_path / "sad" / "c.png"), np.full((48, 48), 10, np.uint8))
    (tmp_path / "sad" / "notes.txt").write_text("ignored: not an image suffix")
    faces = load_image_folder(tmp_path)
    assert faces.images.shape == (3, 48, 48)
    assert faces.labels.tolist() == [EMOTIONS.index("happy")] * 2 + [EMOTIONS.index("sad")]
    assert load_faces(tmp_path).labels.tolist() == faces.labels.tolist()


def test_it_names_the_file_for_a_corrupt_image_or_unknown_class(tmp_path: Path) -> None:
    (tmp_path / "happy").mkdir()
    (tmp_path / "happy" / "corrupt.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError, match="corrupt.png"):
        load_image_folder(tmp_path)
    other = tmp_path / "other"
    (other / "bored").mkdir(parents=True)
    with pytest.raises(DatasetError, match="unknown class 'bored'"):
        load_image_folder(other)


def test_it_refuses_unknown_layouts(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_faces(tmp_path / "missing.npz")
    (tmp_path / "faces.parquet").write_bytes(b"x")
    with pytest.raises(DatasetError, match="unsupported layout"):
        load_faces(tmp_path / "faces.parquet")


def test_it_splits_each_class_in_proportion() -> None:
    labels = np.repeat(np.arange(7), [100, 10, 100, 200, 100, 80, 120])
    train, holdout = stratified_split(labels, 0.1, seed=1)
    assert len(np.intersect1d(train, holdout)) == 0
    assert len(train) + len(holdout) == len(labels)
    assert np.bincount(labels[holdout]).tolist() == [10, 1, 10, 20, 10, 8, 12]
    again, _ = stratified_split(labels, 0.1, seed=1)
    assert np.array_equal(train, again)


def test_it_augments_and_normalises_faces(tiny_npz: Path) -> None:
    faces = load_npz(tiny_npz)
    train_set = FaceDataset(faces, FaceTrainPreset())
    image, label = train_set[3]
    assert image.shape == (1, 48, 48) and image.dtype == torch.float32
    assert label == 3
    eval_image, _ = FaceDataset(faces, FaceEvalPreset())[3]
    expected = (faces.images[3] / 255.0 - FaceEvalPreset().mean) / FaceEvalPreset().std
    assert np.allclose(eval_image[0].numpy(), expected, atol=1e-5)


def test_a_packed_npz_xz_reads_back_as_the_same_faces_in_the_same_order(
    tiny_npz: Path, tmp_path: Path
) -> None:
    packed = pack_npz_xz(load_npz(tiny_npz), tmp_path / "lease" / "tiny.npz.xz")
    assert packed.read_bytes()[:6] == b"\xfd7zXZ\x00"  # an xz stream, not a plain .npz
    original, restored = load_npz(tiny_npz), load_faces(packed)
    np.testing.assert_array_equal(restored.images, original.images)
    np.testing.assert_array_equal(restored.labels, original.labels)
    assert not list(packed.parent.glob("*.partial"))
    # the same order, so ml.train keeps out the same hold-out
    assert [a.tolist() for a in stratified_split(restored.labels, 0.2)] == [
        a.tolist() for a in stratified_split(original.labels, 0.2)
    ]


def test_pack_refuses_a_name_that_load_faces_would_not_read(tiny_npz: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must end in \.npz\.xz"):
        pack_npz_xz(load_npz(tiny_npz), tmp_path / "tiny.xz")
    assert not list(tmp_path.glob("tiny.xz*"))


def test_it_names_the_file_when_an_npz_xz_is_broken(tiny_npz: Path, tmp_path: Path) -> None:
    not_xz = tmp_path / "plain.npz.xz"
    not_xz.write_bytes(tiny_npz.read_bytes())
    with pytest.raises(DatasetError, match=r"plain\.npz\.xz: not a readable \.npz"):
        load_faces(not_xz)
    truncated = tmp_path / "truncated.npz.xz"
    whole = pack_npz_xz(load_npz(tiny_npz), tmp_path / "whole.npz.xz").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DatasetError, match=r"truncated\.npz\.xz: not a readable \.npz"):
        load_faces(truncated)


def test_the_command_line_counts_and_packs(
    tiny_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert data_main(["info", str(tiny_npz)]) == 0
    assert "70 faces (angry 10, disgust 10, fear 10, happy 10" in capsys.readouterr().out
    output = tmp_path / "packed.npz.xz"
    assert data_main(["pack", str(tiny_npz), str(output)]) == 0
    assert f"wrote {output}" in capsys.readouterr().out
    assert len(load_faces(output)) == 70
    assert data_main(["info", str(tmp_path / "missing.npz")]) == 2
    assert "missing.npz: no such file" in capsys.readouterr().err
    assert data_main(["pack", str(tiny_npz), str(tmp_path / "out.npz")]) == 2
    assert "must end in .npz.xz" in capsys.readouterr().err
