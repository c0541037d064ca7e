from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ml.data import load_npz
from ml.inference import EmotionClassifier
from ml.models import MODELS, DeepEmotionNet, ResidualStage, build_model, count_parameters
from ml.quantize import quantize_model
from ml.train import get_args_parser, main
from ml.utils import load_weights

from .tiny import tiny_train_argv


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_classifies_48_pixel_faces_and_ships_in_a_few_megabytes(name: str) -> None:
    model = build_model(name, width=32).eval()
    with torch.inference_mode():
        assert model(torch.zeros(3, 1, 48, 48)).shape == (3, 7)
    # Under 1.5 M parameters: under 6 MB in float32, the size the repository ships.
    assert 0.5e6 < count_parameters(model) < 1.5e6


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_residual_branch_starts_at_zero(name: str) -> None:
    """The zero-initialised last BatchNorm makes each residual stage start as its shortcut."""
    stages = [m for m in build_model(name, width=8).modules() if isinstance(m, ResidualStage)]
    assert stages and all(not stage.conv2[1].weight.any() for stage in stages)
    same_width = next(s for s in stages if isinstance(s.shortcut, torch.nn.Identity)).eval()
    x = torch.randn(2, same_width.conv1[0].in_channels, 6, 6)
    with torch.inference_mode():
        assert torch.equal(same_width(x), torch.relu(x))


def test_the_deep_variant_spends_its_depth_below_full_resolution() -> None:
    model = DeepEmotionNet(width=32)
    convs = [m for m in model.features.modules() if isinstance(m, torch.nn.Conv2d)]
    main_path = [c for c in convs if c.kernel_size == (3, 3)]
    assert len(main_path) == 14  # 2 at 48 px, then 2 residual blocks x 2 convs in 3 stages
    assert [c.out_channels for c in main_path[:3]] == [32, 32, 40]
    assert main_path[-1].out_channels == 160


def test_an_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'emotionnet', 'emotionnet_deep'"):
        build_model("resnet50")
    with pytest.raises(SystemExit):
        get_args_parser().parse_args(["--data", "x.npz", "--model", "resnet50"])


def test_the_deep_variant_trains_loads_serves_and_quantizes(tiny_npz: Path, tmp_path: Path) -> None:
    """Everything downstream reads the architecture from the file, not from a default."""
    out = tmp_path / "deep"
    argv = tiny_train_argv(tiny_npz, out, "--epochs", "1", "--model", "emotionnet_deep")
    main(get_args_parser().parse_args(argv))
    model, preset, meta = load_weights(out / "best.pt")
    assert isinstance(model, DeepEmotionNet) and meta["model_name"] == "emotionnet_deep"
    faces = load_npz(tiny_npz).images
    classifier = EmotionClassifier(out / "best.pt")
    probs = classifier.classify(faces[:4])
    assert probs.shape == (4, 7) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    with torch.inference_mode():
        expected = torch.softmax(model(preset(torch.from_numpy(faces[:4]).unsqueeze(1))), 1)
    assert np.allclose(probs, expected.numpy(), atol=1e-4)
    quantized = quantize_model(model, preset, faces[:32])
    assert torch.ao.nn.quantized.Conv2d in {type(m) for m in quantized.modules()}
