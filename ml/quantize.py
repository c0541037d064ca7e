"""Static post-training int8 quantization of an exported model.

    python -m ml.quantize --weights ml/weights/emotion_cnn.pt \\
        --data ../shared/data/fer2013/train.npz --output ml/weights/emotion_cnn_int8.pt \\
        [--calibration-faces 1024] [--seed 0]

Activations are calibrated on a seeded random sample of training faces (any layout
:func:`ml.data.load_faces` reads; never the validation split, whose figures the model card
reports), passed through the model's own preprocessing ``preset``. BatchNorm is folded into
the convolutions, weights are int8 per output channel and activations uint8 per tensor
(PyTorch's "x86" recipe): about 4x smaller than the float32 file and, on an AVX2 CPU, about
twice as fast per face (ml/weights/MODEL_CARD.md, "int8 variant").

The file written holds the same architecture, classes, preset and provenance as the float32
file, ``"precision": "int8"``, how it was calibrated (``quantization``) and the quantized
``state_dict``. :func:`ml.utils.load_weights` loads either precision without any calibration
data: it builds the float32 network, runs :func:`prepare_fx` and :func:`convert_fx` on it
with no data (which fixes the graph and module layout), then loads the stored int8 weights
and scales (:func:`int8_model_from_state_dict`).

API choice: this uses torch.ao's FX graph mode (``prepare_fx``/``convert_fx``), which
PyTorch 2.14 marks deprecated in favour of torchao's PT2E path. That path needs
``torch.export`` plus the inductor compiler at load time and the separate ``torchao``
package, which is not a dependency of this project; the FX path works in the pinned
torch 2.14.1 and runs eagerly. Its deprecation warnings are silenced only where it is called
(:func:`_quiet_torch_ao`).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from ml.data import FACE_SIZE, DatasetError, load_faces
from ml.presets import FaceEvalPreset
from ml.utils import load_weights, save_atomic

__all__ = [
    "QCONFIG",
    "int8_model_from_state_dict",
    "export_int8",
    "main",
    "quantize_model",
    "quantized_engine",
    "sample_calibration_faces",
    "save_int8",
]

# PyTorch's recipe for x86 CPUs: per-channel symmetric int8 weights, uint8 activations with
# a histogram observer and a reduced (7-bit) range, which keeps fbgemm's AVX2 kernels from
# overflowing their 16-bit intermediate sums.
QCONFIG = "x86"


@contextlib.contextmanager
def _quiet_torch_ao() -> Iterator[None]:
    """Silence torch.ao's deprecation notices (see the module docstring), and only those."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "torch.ao.quantization is deprecated", Warning)
        warnings.filterwarnings("ignore", "Please use quant_min and quant_max", UserWarning)
        warnings.filterwarnings("ignore", "torch.quantize_per_tensor, ", UserWarning)
        # A loaded file's observers never see data; its scales come from the state_dict.
        warnings.filterwarnings("ignore", "must run observer before calling", UserWarning)
        yield


def quantized_engine() -> str:
    """The quantized kernel library for this CPU, made the process's engine.

    "x86" (fbgemm, with oneDNN for some shapes) needs AVX2 or AVX512 to be fast; "fbgemm" is
    the same kernels in builds without "x86"; elsewhere (ARM, x86 without AVX2) QNNPACK.
    Packed weights are made for the engine set when they are loaded, so set it first.
    """
    supported = torch.backends.quantized.supported_engines
    capability = torch.backends.cpu.get_cpu_capability()
    candidates = ("x86", "fbgemm", "qnnpack") if capability.startswith("AVX") else ("qnnpack",)
    for engine in candidates:
        if engine in supported:
            if torch.backends.quantized.engine != engine:
                torch.backends.quantized.engine = engine
            return engine
    raise RuntimeError(
        f"this PyTorch build has no quantized engine for this CPU ({capability}); "
        f"it offers {supported}: use the float32 model file"
    )


def _prepare(model: nn.Module, qconfig: str) -> torch.fx.GraphModule:
    example = torch.zeros(1, 1, FACE_SIZE, FACE_SIZE)
    with _quiet_torch_ao():
        return prepare_fx(
            copy.deepcopy(model).eval(), get_default_qconfig_mapping(qconfig), (example,)
        )


def _convert(prepared: torch.fx.GraphModule) -> torch.fx.GraphModule:
    with _quiet_torch_ao():
        return convert_fx(prepared).eval()


def quantize_model(
    model: nn.Module,
    preset: FaceEvalPreset,
    calibration_images: np.ndarray | torch.Tensor,
    *,
    qconfig: str = QCONFIG,
    batch_size: int = 256,
) -> nn.Module:
    """An int8 copy of the float32 ``model`` (left unchanged), calibrated on uint8 faces.

    ``calibration_images`` are raw (N, 48, 48) or (N, 1, 48, 48) uint8 faces; ``preset``
    normalises them exactly as inference will.
    """
    faces = torch.as_tensor(np.asarray(calibration_images, dtype=np.uint8))
    if faces.ndim == 3:
        faces = faces.unsqueeze(1)
    if faces.ndim != 4 or faces.shape[1:] != (1, FACE_SIZE, FACE_SIZE):
        raise ValueError(f"calibration faces must be (N, 48, 48) uint8, got {tuple(faces.shape)}")
    if len(faces) == 0:
        raise ValueError("no calibration faces: int8 scales need real faces to observe")
    quantized_engine()
    prepared = _prepare(model, qconfig)
    with torch.no_grad():  # the observers record activation ranges as the faces pass
        for start in range(0, len(faces), batch_size):
            prepared(preset(faces[start : start + batch_size]))
    return _convert(prepared)


def int8_model_from_state_dict(
    model: nn.Module, state_dict: Mapping[str, Any], *, qconfig: str = QCONFIG
) -> nn.Module:
    """Rebuild a saved int8 model: ``model`` is the (untrained) float32 architecture.

    prepare_fx + convert_fx with no calibration give the quantized graph with placeholder
    scales; ``load_state_dict`` (strict) then sets the saved int8 weights, scales and zero
    points, and packs the weights for this CPU's engine.
    """
    quantized_engine()
    quantized = _convert(_prepare(model, qconfig))
    with _quiet_torch_ao():
        quantized.load_state_dict(state_dict)  # as loaded: its _metadata holds module versions
    return quantized


def export_int8(
    quantized: nn.Module, meta: Mapping[str, Any], **quantization: Any
) -> dict[str, Any]:
    """The weights-only int8 file: the float32 file's ``meta``, the int8 ``state_dict``,
    ``"precision": "int8"`` and how it was calibrated (``quantization``)."""
    kept = {k: v for k, v in meta.items() if k not in {"precision", "quantization"}}
    return {
        **kept,
        "precision": "int8",
        "quantization": {"qconfig": QCONFIG, **quantization},
        "state_dict": quantized.state_dict(),
    }


def save_int8(
    quantized: nn.Module, meta: Mapping[str, Any], path: str | Path, **quantization: Any
) -> None:
    """Write :func:`export_int8` atomically; ``quantization`` keys are kept as provenance."""
    save_atomic(export_int8(quantized, meta, **quantization), path)


def sample_calibration_faces(images: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """``count`` faces drawn without replacement by a seeded generator (all if fewer)."""
    if count < 1:
        raise ValueError("--calibration-faces must be at least 1")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), size=min(count, len(images)), replace=False)
    return images[np.sort(chosen)]


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Static post-training int8 quantization of an exported model file."
    )
    parser.add_argument("--weights", required=True, help="float32 model file to quantize")
    parser.add_argument(
        "--data",
        required=True,
        help="calibration faces: .npz, fer2013-style .csv or image folder (training data)",
    )
    parser.add_argument("--usage", default=None, help="csv only: keep rows with this Usage")
    parser.add_argument("--output", required=True, help="int8 model file to write")
    parser.add_argument(
        "--calibration-faces", type=int, default=1024, help="faces sampled (default: 1024)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    try:
        if args.calibration_faces < 1:
            raise ValueError("--calibration-faces must be at least 1")
        model, preset, meta = load_weights(args.weights)
        if meta.get("precision", "fp32") != "fp32":
            raise ValueError(f"{args.weights}: already {meta['precision']}; give a float32 file")
        faces = load_faces(args.data, usage=args.usage)
    except (DatasetError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    calibration = sample_calibration_faces(faces.images, args.calibration_faces, args.seed)
    started = time.perf_counter()
    quantized = quantize_model(model, preset, calibration)
    print(
        f"calibrated on {len(calibration)} faces of {args.data} "
        f"(seed {args.seed}) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    save_int8(
        quantized,
        meta,
        args.output,
        calibration_data=str(args.data),
        calibration_faces=len(calibration),
        seed=args.seed,
        source=str(args.weights),
    )
    # The file must stand on its own: reload it and compare with the model in memory.
    reloaded, _, _ = load_weights(args.output)
    check = preset(torch.from_numpy(np.ascontiguousarray(calibration[:64])).unsqueeze(1))
    with torch.inference_mode():
        expected, got, reference = quantized(check), reloaded(check), model(check)
    if not torch.equal(expected, got):
        print(f"error: {args.output} does not reproduce the quantized model", file=sys.stderr)
        return 1
    agreement = (expected.argmax(1) == reference.argmax(1)).float().mean().item()
    size = Path(args.output).stat().st_size
    print(
        f"wrote {args.output} ({size / 1e6:.2f} MB, float32 file "
        f"{Path(args.weights).stat().st_size / 1e6:.2f} MB); reloaded outputs identical; "
        f"top-1 agreement with float32 on {len(check)} calibration faces: {agreement:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
