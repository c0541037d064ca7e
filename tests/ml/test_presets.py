"""The batched, on-device augmentation (FaceBatchTrainPreset) against the per-face one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from ml.data import load_npz
from ml.presets import FaceAugmentation, FaceBatchTrainPreset, FaceEvalPreset, FaceTrainPreset

VAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fer2013" / "val.npz"
NOTHING = FaceAugmentation(
    flip_p=0.0, degrees=0.0, translate=0.0, scale=(1.0, 1.0), jitter=0.0, erase_p=0.0
)


def _faces(n: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.randint(
        0, 256, (n, 1, 48, 48), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed)
    )


def test_with_every_augmentation_off_it_only_normalises() -> None:
    faces = _faces()
    out = FaceBatchTrainPreset(augmentation=NOTHING)(faces)
    assert out.shape == faces.shape and out.dtype == torch.float32
    assert torch.allclose(out, FaceEvalPreset()(faces), atol=1e-4)


def test_the_per_face_preset_takes_the_same_parameters() -> None:
    faces = _faces(8)
    plain = FaceTrainPreset(augmentation=NOTHING)
    assert all(torch.allclose(plain(face), FaceEvalPreset()(face), atol=1e-6) for face in faces)
    erasing = FaceTrainPreset(augmentation=replace(NOTHING, erase_p=1.0))
    assert all(bool((erasing(face) == 0).any()) for face in torch.full_like(faces, 255))


def test_a_seeded_generator_repeats_and_another_seed_differs() -> None:
    faces, preset = _faces(), FaceBatchTrainPreset()

    def run(seed: int) -> torch.Tensor:
        return preset(faces, torch.Generator().manual_seed(seed))

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))


def test_it_mirrors_about_half_the_faces() -> None:
    faces = _faces(200)
    out = FaceBatchTrainPreset(augmentation=replace(NOTHING, flip_p=0.5))(
        faces, torch.Generator().manual_seed(0)
    )
    plain, mirrored = FaceEvalPreset()(faces), FaceEvalPreset()(faces.flip(-1))
    is_plain = (out - plain).abs().amax(dim=(1, 2, 3)) < 1e-4
    is_mirrored = (out - mirrored).abs().amax(dim=(1, 2, 3)) < 1e-4
    assert bool((is_plain | is_mirrored).all())
    assert 70 < int(is_mirrored.sum()) < 130


def test_it_shifts_faces_by_at_most_the_translate_share() -> None:
    """A bright square's centre moves by up to 8 % of 48 pixels (3.84), and does move."""
    faces = torch.zeros(100, 1, 48, 48, dtype=torch.uint8)
    faces[:, :, 20:28, 20:28] = 255
    out = FaceBatchTrainPreset(augmentation=replace(NOTHING, translate=0.08))(
        faces, torch.Generator().manual_seed(0)
    )
    weight = out[:, 0] - out[:, 0].amin()
    ys, xs = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    centre_y = (weight * ys).sum((1, 2)) / weight.sum((1, 2))
    centre_x = (weight * xs).sum((1, 2)) / weight.sum((1, 2))
    moved = torch.maximum((centre_y - 23.5).abs(), (centre_x - 23.5).abs())
    assert float(moved.max()) <= 3.84 + 0.05
    assert float(moved.max()) > 2.0


def test_it_rotates_by_at_most_the_given_degrees() -> None:
    """A horizontal bar through the centre turns by up to 12 degrees (image axes)."""
    faces = torch.zeros(100, 1, 48, 48, dtype=torch.uint8)
    faces[:, :, 23:25, 4:44] = 255
    out = FaceBatchTrainPreset(augmentation=replace(NOTHING, degrees=12.0))(
        faces, torch.Generator().manual_seed(0)
    )
    weight = (out[:, 0] - out[:, 0].amin()).clamp(min=0)
    ys, xs = torch.meshgrid(torch.arange(48.0) - 23.5, torch.arange(48.0) - 23.5, indexing="ij")
    # Orientation of the bar from its second moments.
    cov_xy, cov_xx, cov_yy = (
        (weight * a * b).sum((1, 2)) for a, b in ((xs, ys), (xs, xs), (ys, ys))
    )
    angles = torch.rad2deg(0.5 * torch.atan2(2 * cov_xy, cov_xx - cov_yy)).abs()
    assert float(angles.max()) <= 12.5
    assert float(angles.max()) > 8.0


def test_it_erases_one_rectangle_of_two_to_fifteen_percent() -> None:
    faces = torch.full((200, 1, 48, 48), 255, dtype=torch.uint8)  # normalised: never 0
    out = FaceBatchTrainPreset(augmentation=replace(NOTHING, erase_p=1.0))(
        faces, torch.Generator().manual_seed(0)
    )
    erased = out[:, 0] == 0
    for mask in erased:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        height, width = len(rows), len(cols)
        assert int(mask.sum()) == height * width  # one filled rectangle
        assert rows[-1] - rows[0] + 1 == height and cols[-1] - cols[0] + 1 == width
        assert 0.015 * 48 * 48 <= height * width <= 0.16 * 48 * 48
    half = FaceBatchTrainPreset(augmentation=replace(NOTHING, erase_p=0.5))(
        faces, torch.Generator().manual_seed(0)
    )
    assert 70 < int((half[:, 0] == 0).any(2).any(1).sum()) < 130


@pytest.mark.skipif(not VAL.is_file(), reason=f"needs the FER-2013 faces at {VAL}")
def test_on_real_faces_it_matches_the_per_face_pipeline_statistics() -> None:
    """Same distributions as FaceTrainPreset: the per-pixel mean and spread of 2,000
    augmented real faces agree (bilinear vs nearest resampling and the jitter order aside)."""
    images = torch.from_numpy(np.ascontiguousarray(load_npz(VAL).images[:2000])).unsqueeze(1)
    torch.manual_seed(0)
    per_face = torch.stack([FaceTrainPreset()(image) for image in images])
    batched = FaceBatchTrainPreset()(images, torch.Generator().manual_seed(0))
    for statistic in (torch.mean, torch.std):
        a, b = statistic(per_face, 0), statistic(batched, 0)
        assert float((a - b).abs().mean()) < 0.04, statistic.__name__
    assert abs(float(per_face.mean() - batched.mean())) < 0.03
    assert abs(float(per_face.std() - batched.std())) < 0.03
