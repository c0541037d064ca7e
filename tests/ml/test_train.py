from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ml import train
from ml.evaluate import evaluate
from ml.inference import DEFAULT_MODEL_FILE
from ml.models import build_model
from ml.presets import FaceAugmentation, FaceEvalPreset
from ml.train import distillation_loss, ensemble_logits, get_args_parser, main, mix_batch
from ml.utils import amp_useful, bf16_is_native, load_weights

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


@pytest.mark.parametrize(
    ("other", "told"),
    [
        (("--model", "emotionnet_deep"), "--model emotionnet"),
        (("--width", "16"), "--width 8"),
    ],
)
def test_resuming_or_starting_from_another_architecture_is_a_clear_error(
    other: tuple[str, ...], told: str, tiny_npz: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    main(_args(tiny_npz, out, "--epochs", "1"))
    checkpoint = out / "checkpoint.pth"
    with pytest.raises(SystemExit, match=f"resume it with {told}$"):
        main(_args(tiny_npz, out, "--epochs", "2", "--resume", str(checkpoint), *other))
    assert torch.load(checkpoint, weights_only=False)["epoch"] == 0  # left as it was
    with pytest.raises(SystemExit, match=f"start from it with {told}$"):
        main(_args(tiny_npz, tmp_path / "new", "--init-weights", str(out / "best.pt"), *other))
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_a_portable_checkpoint_carries_a_run_into_another_session(
    tiny_npz: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """--portable-checkpoint: a third-size copy to commit (no momentum, no EMA); a fresh
    output directory (the next session, whose runs/ is gone) resumes from it at the same
    epoch and the same point of the schedule as from the full checkpoint."""
    out, portable = tmp_path / "run", tmp_path / "committed" / "run.pth"
    main(_args(tiny_npz, out, "--epochs", "2", "--portable-checkpoint", str(portable)))
    full, slim = (torch.load(f, weights_only=False) for f in (out / "checkpoint.pth", portable))
    assert slim["epoch"] == full["epoch"] == 1 and slim["portable"]
    assert slim["optimizer"] is None and slim["ema"] is None
    assert slim["history"] == full["history"] and slim["lr_scheduler"] == full["lr_scheduler"]
    assert portable.stat().st_size < 0.5 * (out / "checkpoint.pth").stat().st_size

    first_step_lr: dict[str, float] = {}
    original_step = torch.optim.SGD.step

    def spy_step(optimizer, *args, **kwargs):
        first_step_lr.setdefault(current, optimizer.param_groups[0]["lr"])
        return original_step(optimizer, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", spy_step)
    results = {}
    for current, source in (("full", out / "checkpoint.pth"), ("portable", portable)):
        results[current] = main(
            _args(tiny_npz, tmp_path / current, "--epochs", "3", "--resume", str(source))
        )
    printed = capsys.readouterr().out
    assert "momentum and EMA restart from the weights" in printed
    assert "the best epoch is tracked afresh" in printed  # so the new directory gets a best.pt
    assert [row["epoch"] for row in results["portable"]["history"]] == [0, 1, 2]
    assert first_step_lr["portable"] == pytest.approx(first_step_lr["full"])
    assert first_step_lr["full"] > 0.001  # mid-schedule, not warm-up's first step
    model, _, _ = load_weights(tmp_path / "portable" / "best.pt")
    assert model(torch.zeros(1, 1, 48, 48)).shape == (1, 7)
    # --test-only on it scores the carried weights (its EMA is them), not the random ones.
    args = _args(tiny_npz, out, "--resume", str(portable), "--test-only")
    carried = main(args)
    net = build_model("emotionnet", width=8).eval()
    net.load_state_dict(slim["model"])
    _, holdout = train.load_data(args)
    expected = evaluate([(net, FaceEvalPreset())], holdout, amp=args.amp)
    assert carried["confusion"] == expected["confusion"]


def test_the_hold_out_depends_on_holdout_seed_not_on_seed(tiny_npz: Path, tmp_path: Path) -> None:
    """Runs seeded differently (an ensemble's members) keep out the same faces."""

    def held_out(*extra: str) -> list[int]:
        _, faces = train.load_data(_args(tiny_npz, tmp_path, *extra))
        return faces.images.reshape(len(faces), -1).sum(1).tolist()

    assert held_out("--seed", "0") == held_out("--seed", "5")
    assert held_out("--seed", "0") != held_out("--holdout-seed", "5")


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


def test_it_augments_on_the_device_when_asked(tiny_npz: Path, tmp_path: Path, capsys) -> None:
    """--augment device: uint8 batches from the loader, augmented per batch (the GPU path,
    here on the CPU); the run trains, resumes with its augmentation generator, and on the
    CPU --augment auto keeps the per-face workers."""
    out = tmp_path / "run"
    main(_args(tiny_npz, out, "--epochs", "1", "--augment", "device"))
    checkpoint = torch.load(out / "checkpoint.pth", weights_only=False)
    assert checkpoint["augment_rng_device"] == "cpu"
    assert "augmentation: device" in capsys.readouterr().out
    result = main(
        _args(
            tiny_npz,
            out,
            "--epochs",
            "2",
            "--augment",
            "device",
            "--resume",
            str(out / "checkpoint.pth"),
        )
    )
    assert [row["epoch"] for row in result["history"]] == [0, 1]
    model, _, _ = load_weights(out / "best.pt")
    assert model(torch.zeros(1, 1, 48, 48)).shape == (1, 7)
    main(_args(tiny_npz, tmp_path / "auto", "--epochs", "1"))
    assert "augmentation: workers" in capsys.readouterr().out


def test_the_augmentation_options_default_to_the_presets_mild_geometry() -> None:
    assert train.augmentation_from_args(get_args_parser().parse_args([])) == FaceAugmentation()
    stronger = get_args_parser().parse_args(["--rotate", "10", "--shift", "0.2", "--zoom", "0.2"])
    assert train.augmentation_from_args(stronger) == FaceAugmentation(
        degrees=10.0, translate=0.2, scale=(0.8, 1.2)
    )


@pytest.mark.parametrize("augment", ["workers", "device"])
def test_stronger_augmentation_reaches_the_preset_that_trains(
    tiny_npz: Path, tmp_path: Path, augment: str, monkeypatch, capsys
) -> None:
    """--rotate/--shift/--zoom reach whichever preset augments (per face or per batch), the
    log says them and the exported model records them."""
    used: list[FaceAugmentation] = []
    preset_class = "FaceBatchTrainPreset" if augment == "device" else "FaceTrainPreset"
    original = getattr(train, preset_class)

    class Spy(original):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            used.append(self.augmentation)

    monkeypatch.setattr(train, preset_class, Spy)
    out = tmp_path / "run"
    options = ("--rotate", "10", "--shift", "0.2", "--zoom", "0.2", "--augment", augment)
    main(_args(tiny_npz, out, "--epochs", "1", *options))
    assert used == [FaceAugmentation(degrees=10.0, translate=0.2, scale=(0.8, 1.2))]
    assert "rotate +-10 degrees, shift +-20%, zoom +-20%" in capsys.readouterr().out
    _, _, meta = load_weights(out / "best.pt")
    assert (meta["train_args"]["shift"], meta["train_args"]["zoom"]) == (0.2, 0.2)
    # Resuming with other values (here the defaults) says so rather than switching silently.
    resume = ("--resume", str(out / "checkpoint.pth"), "--augment", augment)
    main(_args(tiny_npz, out, "--epochs", "2", *resume))
    assert "(--rotate 10.0 -> 12.0, --shift 0.2 -> 0.08, --zoom 0.2 -> 0.15)" in (
        capsys.readouterr().out
    )
    main(_args(tiny_npz, out, "--epochs", "3", *resume))  # the same again: nothing to say
    assert "the augmentation differs" not in capsys.readouterr().out


# --- MixUp and CutMix -------------------------------------------------------------------------


def _two_faces() -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of two distinguishable faces (all zeros, all ones) of classes 1 and 4."""
    return torch.stack([torch.zeros(1, 48, 48), torch.ones(1, 48, 48)]), torch.tensor([1, 4])


def test_mixup_blends_faces_and_labels_in_the_same_proportion() -> None:
    images, targets = _two_faces()
    for seed in range(20):
        mixed, soft = mix_batch(images, targets, 7, random.Random(seed), mixup_alpha=0.4)
        assert torch.allclose(soft.sum(1), torch.ones(2))
        for face, probs in zip(mixed, soft, strict=True):
            # Each face is one uniform blend, and its share of the ones-face (class 4) is
            # the target's probability of class 4; nothing else gets any.
            assert torch.allclose(face, face.flatten()[0].expand_as(face))
            assert face.flatten()[0].item() == pytest.approx(probs[4].item(), abs=1e-6)
            assert probs[1].item() + probs[4].item() == pytest.approx(1.0)


def test_cutmix_pastes_a_box_and_weighs_labels_by_its_area() -> None:
    images, targets = _two_faces()
    boxes = 0
    for seed in range(20):
        mixed, soft = mix_batch(images, targets, 7, random.Random(seed), cutmix_alpha=1.0)
        for face, probs, own in zip(mixed, soft, targets, strict=True):
            # The share of the face the box took from the other one (0 when a face was
            # paired with itself): the ones on the zeros-face, the zeros on the ones-face.
            pasted = face.mean().item() if own == 1 else 1.0 - face.mean().item()
            assert probs[own].item() == pytest.approx(1.0 - pasted, abs=1e-6)
            assert probs.sum().item() == pytest.approx(1.0)
            boxes += pasted > 0
    assert boxes > 10  # mostly a real box (paired with the other face), not an empty one


def test_mixing_is_reproducible_and_can_skip_batches() -> None:
    images, targets = torch.randn(8, 1, 48, 48), torch.arange(8) % 7
    first = mix_batch(images, targets, 7, random.Random(3), mixup_alpha=0.4, cutmix_alpha=1.0)
    again = mix_batch(images, targets, 7, random.Random(3), mixup_alpha=0.4, cutmix_alpha=1.0)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    kept, one_hot = mix_batch(images, targets, 7, random.Random(3), mixup_alpha=0.4, prob=0.0)
    assert kept is images
    assert torch.equal(one_hot, nn.functional.one_hot(targets, 7).float())


@pytest.mark.parametrize(
    ("option", "bad", "message"),
    [
        ("--mixup-alpha", "-1", "'-1' is not a number (0 or more)"),
        ("--cutmix-alpha", "nan", "'nan' is not a number (0 or more)"),
        ("--cutmix-alpha", "inf", "'inf' is not a number (0 or more)"),
        ("--mixup-alpha", "lots", "'lots' is not a number (0 or more)"),
        ("--mix-prob", "1.5", "'1.5' is not a probability between 0 and 1"),
        ("--mix-prob", "half", "'half' is not a probability between 0 and 1"),
        ("--rotate", "200", "'200' is not degrees from 0 to 180"),
        ("--shift", "0.6", "'0.6' is not a share from 0 to 0.5"),
        ("--shift", "-0.1", "'-0.1' is not a share from 0 to 0.5"),
        ("--zoom", "1", "'1' is not a share from 0 to 0.9"),
        ("--zoom", "nan", "'nan' is not a share from 0 to 0.9"),
    ],
)
def test_bad_mixing_and_augmentation_options_are_clear_errors(
    option: str, bad: str, message: str, capsys
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        get_args_parser().parse_args([option, bad])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("augment", ["workers", "device"])
def test_it_trains_with_mixup_and_cutmix_and_resumes_their_generator(
    tiny_npz: Path, tmp_path: Path, augment: str
) -> None:
    out = tmp_path / "run"
    mixing = ("--mixup-alpha", "0.4", "--cutmix-alpha", "1.0", "--augment", augment)
    main(_args(tiny_npz, out, "--epochs", "1", *mixing))
    checkpoint = torch.load(out / "checkpoint.pth", weights_only=False)
    state = checkpoint["mix_rng"]
    assert state != random.Random(0).getstate()  # it drew, and its state was saved
    result = main(
        _args(tiny_npz, out, "--epochs", "2", *mixing, "--resume", str(out / "checkpoint.pth"))
    )
    assert [row["epoch"] for row in result["history"]] == [0, 1]
    assert 0.0 <= result["history"][-1]["train_acc"] <= 1.0
    model, _, _ = load_weights(out / "best.pt")
    assert model(torch.zeros(1, 1, 48, 48)).shape == (1, 7)


# --- Sized to a time limit (a GPU lease, a session) --------------------------------------------


def test_fit_epochs_to_time_fits_the_remaining_time_at_the_measured_speed() -> None:
    # 5 s an epoch so far, 95 s left of 100: 19 more epochs.
    assert train.fit_epochs_to_time(50, epochs_done=1, elapsed=5.0, time_limit=100.0) == 1 + 19
    assert train.fit_epochs_to_time(50, epochs_done=2, elapsed=20.0, time_limit=100.0) == 2 + 8
    assert train.fit_epochs_to_time(5, epochs_done=1, elapsed=1.0, time_limit=100.0) == 5
    # Over time already: stop where it is, never below what is done.
    assert train.fit_epochs_to_time(50, epochs_done=3, elapsed=120.0, time_limit=100.0) == 3


def test_the_schedule_follows_a_shortened_run() -> None:
    """The cosine ends at zero at the fitted length, not at the one first asked for."""
    args = get_args_parser().parse_args(["--epochs", "8", "--warmup-epochs", "0"])
    lr_lambda = train.lr_lambda_for(args, steps_per_epoch=10)
    assert lr_lambda(40) == pytest.approx(0.5)
    args.epochs = 4
    assert lr_lambda(40) == pytest.approx(0.0)
    assert lr_lambda(20) == pytest.approx(0.5)


@pytest.mark.parametrize("bad", ["-5", "soon", "inf", "nan"])
def test_a_bad_time_limit_is_a_clear_error(bad: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        get_args_parser().parse_args(["--time-limit", bad])
    assert exit_info.value.code == 2
    assert (
        f"--time-limit: {bad!r} is not a number of seconds (0 or more)" in capsys.readouterr().err
    )


def test_a_time_limit_shortens_the_run(tiny_npz: Path, tmp_path: Path, capsys) -> None:
    """A limit that one epoch already spends: the run stops after it instead of going on to
    --epochs, and the checkpoint records the fitted length; resuming it with the original
    --epochs (the easy mistake) says that the schedule changes length."""
    out = tmp_path / "run"
    result = main(_args(tiny_npz, out, "--epochs", "5", "--time-limit", "1e-6"))
    assert [row["epoch"] for row in result["history"]] == [0]
    assert torch.load(out / "checkpoint.pth", weights_only=False)["args"].epochs == 1
    assert "--time-limit 1e-06s: 1 epochs in all" in capsys.readouterr().out
    main(_args(tiny_npz, out, "--epochs", "2", "--resume", str(out / "checkpoint.pth")))
    assert "--epochs 2 differs from the 1 the checkpoint was running to" in capsys.readouterr().out


# --- Warm restarts and distillation ----------------------------------------------------------

SHIPPED = str(DEFAULT_MODEL_FILE)
# The shipped model's shape (its file's model_kwargs), for runs that start from it.
SHIPPED_WIDTH = ("--width", "32", "--dropout", "0.3")


def test_distillation_loss_mixes_hard_labels_and_the_teacher() -> None:
    """alpha weighs the teacher's soft targets: 0 is plain training, and a student that
    already agrees with its teacher has nothing left to learn from it."""
    torch.manual_seed(0)
    student, teacher = torch.randn(8, 7), torch.randn(8, 7)
    targets = torch.randint(0, 7, (8,))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    assert torch.allclose(
        distillation_loss(student, teacher, targets, criterion, 0.0, 4.0),
        criterion(student, targets),
    )
    agreed = distillation_loss(student, student.clone(), targets, criterion, 1.0, 4.0)
    assert agreed.item() == pytest.approx(0.0, abs=1e-6)
    assert distillation_loss(student, teacher, targets, criterion, 1.0, 4.0).item() > 0.01


def test_ensemble_logits_average_the_teachers_softened_probabilities() -> None:
    """Several teachers distil as one whose soft targets, at the distillation temperature,
    are the mean of theirs; one teacher is passed through untouched."""
    torch.manual_seed(0)
    logits = [torch.randn(5, 7) * 3 for _ in range(3)]
    for temperature in (1.0, 4.0):
        mixed = ensemble_logits(logits, temperature)
        expected = torch.stack([(t / temperature).softmax(1) for t in logits]).mean(0)
        assert torch.allclose((mixed / temperature).softmax(1), expected, atol=1e-6)
    assert ensemble_logits(logits[:1], 4.0) is logits[0]


def test_it_starts_from_the_init_weights(tiny_npz: Path, tmp_path: Path, monkeypatch) -> None:
    """--init-weights replaces the random start; checked before any training step."""
    built: list[nn.Module] = []
    real_build = train.build_model

    def recording_build(*args, **kwargs) -> nn.Module:
        built.append(real_build(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(train, "build_model", recording_build)
    main(
        _args(
            tiny_npz, tmp_path / "run", "--epochs", "0", "--init-weights", SHIPPED, *SHIPPED_WIDTH
        )
    )
    shipped, _, _ = load_weights(SHIPPED)
    (model,) = built
    expected = shipped.state_dict()
    assert model.state_dict().keys() == expected.keys()
    for name, value in model.state_dict().items():
        assert torch.equal(value, expected[name]), name


def test_it_trains_from_init_weights_distilled_from_a_teacher(
    tiny_npz: Path, tmp_path: Path, monkeypatch
) -> None:
    """A second training cycle: the shipped model as the start and as the teacher."""
    calls: list[float] = []
    real_loss = train.distillation_loss

    def counting_loss(*args, **kwargs):
        loss = real_loss(*args, **kwargs)
        calls.append(loss.item())
        return loss

    monkeypatch.setattr(train, "distillation_loss", counting_loss)
    out = tmp_path / "run"
    distil = ["--teacher", SHIPPED, "--distill-alpha", "0.7", "--distill-temperature", "2"]
    result = main(
        _args(
            tiny_npz, out, "--epochs", "1", "--max-steps", "1", "--ema-decay", "0",
            "--init-weights", SHIPPED, *distil, *SHIPPED_WIDTH,
        )
    )  # fmt: skip
    assert len(result["history"]) == 1
    assert len(calls) == 1 and calls[0] > 0
    model, _, meta = load_weights(out / "best.pt")
    assert model(torch.zeros(2, 1, 48, 48)).shape == (2, 7)
    assert meta["train_args"]["teacher"] == SHIPPED
    assert meta["train_args"]["distill_alpha"] == 0.7


def test_it_distils_from_several_teachers_as_one(
    tiny_npz: Path, tmp_path: Path, monkeypatch
) -> None:
    """--teacher A B: every step asks both for their logits and distils from their average;
    the teachers need not share the student's shape (here the shipped width-32 model and a
    width-8 one)."""
    small_teacher = tmp_path / "small" / "best.pt"
    main(_args(tiny_npz, small_teacher.parent, "--epochs", "1", "--max-steps", "1"))
    seen: list[int] = []
    real_ensemble = train.ensemble_logits

    def counting_ensemble(logits, temperature):
        seen.append(len(logits))
        return real_ensemble(logits, temperature)

    monkeypatch.setattr(train, "ensemble_logits", counting_ensemble)
    out = tmp_path / "run"
    main(
        _args(
            tiny_npz, out, "--epochs", "1", "--max-steps", "2", "--ema-decay", "0",
            "--teacher", SHIPPED, str(small_teacher),
        )
    )  # fmt: skip
    assert seen == [2, 2]
    _, _, meta = load_weights(out / "best.pt")
    assert meta["train_args"]["teacher"] == f"{SHIPPED}, {small_teacher}"


def test_it_refuses_an_int8_teacher(tiny_npz: Path, tmp_path: Path) -> None:
    int8 = str(DEFAULT_MODEL_FILE.with_name("emotion_cnn_int8.pt"))
    with pytest.raises(ValueError, match="int8 file; give float32"):
        main(_args(tiny_npz, tmp_path / "run", "--epochs", "1", "--teacher", SHIPPED, int8))


# --- Mixed precision only where it pays -------------------------------------------------------


def test_amp_is_useful_on_cuda_and_on_cpus_with_native_bfloat16() -> None:
    assert amp_useful(torch.device("cpu")) is bf16_is_native()
    assert amp_useful(torch.device("cuda")) is True


def test_it_picks_amp_automatically_unless_told(
    tiny_npz: Path, tmp_path: Path, monkeypatch
) -> None:
    """Emulated bfloat16 trains several times slower than fp32, so --amp defaults to what
    amp_useful says about the device."""
    args = _args(tiny_npz, tmp_path / "auto", "--epochs", "0", "--device", "cpu")
    assert args.amp is None
    main(args)
    assert args.amp is amp_useful(torch.device("cpu"))

    asked: list[torch.device] = []
    monkeypatch.setattr(train, "amp_useful", lambda device: asked.append(device) or True)
    args = _args(tiny_npz, tmp_path / "patched", "--epochs", "0", "--device", "cpu")
    main(args)
    assert args.amp is True and asked == [torch.device("cpu")]

    args = _args(tiny_npz, tmp_path / "off", "--epochs", "0", "--device", "cpu", "--no-amp")
    main(args)
    assert args.amp is False and len(asked) == 1
