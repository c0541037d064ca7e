"""Face datasets in three layouts, all returned as 48x48 uint8 grayscale arrays.

1. ``.npz`` as in ``shared/data/fer2013`` (keys ``images``, ``labels``, ``classes``), also
   xz-compressed as ``.npz.xz`` (``python -m ml.data pack`` writes one: FER-2013's training
   faces in 52 MB instead of 63, small enough to travel with the repository to a GPU machine);
2. the original Kaggle ``fer2013.csv`` (columns ``emotion,pixels,Usage``), optionally one ``Usage``;
3. an image folder ``<root>/<class name>/*.png|jpg`` of any size, colour or gray.

Whatever the layout, labels are indices into :data:`ml.EMOTIONS`, so a folder that names only
some classes, or a file that lists them in another order, is remapped. A file that cannot be
read raises :class:`DatasetError` naming the file.

Command line: ``python -m ml.data info PATH`` counts a data set's faces per class;
``python -m ml.data pack PATH OUT.npz.xz`` writes any layout as one compressed ``.npz.xz``.
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ml import EMOTIONS

__all__ = [
    "FACE_SIZE",
    "IMAGE_SUFFIXES",
    "DatasetError",
    "FaceArrays",
    "FaceDataset",
    "load_faces",
    "load_fer_csv",
    "load_image_folder",
    "load_npz",
    "pack_npz_xz",
    "stratified_split",
]

FACE_SIZE = 48
NPZ_XZ_SUFFIX = ".npz.xz"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})


class DatasetError(ValueError):
    """A data file is missing, unreadable or not in the expected layout."""


@dataclass(frozen=True)
class FaceArrays:
    """Faces as ``images`` (N, 48, 48) uint8 and ``labels`` (N,) int64 indices into EMOTIONS."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.images.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise DatasetError(
                f"{self.source}: images must be (N, 48, 48), got {self.images.shape}"
            )
        if self.images.dtype != np.uint8:
            raise DatasetError(f"{self.source}: images must be uint8, got {self.images.dtype}")
        if self.labels.shape != (len(self.images),):
            raise DatasetError(
                f"{self.source}: {len(self.images)} images but labels {self.labels.shape}"
            )
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(EMOTIONS)):
            raise DatasetError(f"{self.source}: labels must lie in 0..{len(EMOTIONS) - 1}")

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> FaceArrays:
        return FaceArrays(self.images[indices], self.labels[indices], self.source)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(EMOTIONS))


def _class_index(name: str, source: str) -> int:
    key = name.strip().lower()
    if key not in EMOTIONS:
        raise DatasetError(
            f"{source}: unknown class {name!r}; expected one of {', '.join(EMOTIONS)}"
        )
    return EMOTIONS.index(key)


def load_npz(path: str | Path) -> FaceArrays:
    """Read the ``shared/data`` layout: ``images`` (N,48,48) uint8, ``labels``, ``classes``.

    A name ending in ``.npz.xz`` is decompressed in memory first (see :func:`pack_npz_xz`).
    """
    path = Path(path)
    try:
        source: Path | io.BytesIO = path
        if path.name.endswith(NPZ_XZ_SUFFIX):
            with lzma.open(path) as compressed:
                source = io.BytesIO(compressed.read())
        with np.load(source, allow_pickle=False) as archive:
            missing = {"images", "labels"} - set(archive.files)
            if missing:
                raise DatasetError(f"{path}: missing keys {sorted(missing)}")
            images = np.asarray(archive["images"])
            labels = np.asarray(archive["labels"]).astype(np.int64)
            classes = (
                [str(c) for c in archive["classes"]] if "classes" in archive.files else EMOTIONS
            )
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, lzma.LZMAError) as exc:  # BadZipFile is an OSError
        raise DatasetError(f"{path}: not a readable .npz file ({exc})") from exc
    if len(classes) != len(EMOTIONS) or list(classes) != list(EMOTIONS):
        mapping = np.array([_class_index(c, str(path)) for c in classes])
        if len(labels) and labels.max() >= len(mapping):
            raise DatasetError(f"{path}: label {labels.max()} has no class name")
        labels = mapping[labels]
    return FaceArrays(images.astype(np.uint8, copy=False), labels, str(path))


def load_fer_csv(path: str | Path, usage: str | None = None) -> FaceArrays:
    """Read Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``); ``usage`` keeps one split."""
    path = Path(path)
    images: list[np.ndarray] = []
    labels: list[int] = []
    try:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"emotion", "pixels"} <= set(reader.fieldnames):
                raise DatasetError(f"{path}: expected a header with 'emotion' and 'pixels' columns")
            for line_no, row in enumerate(reader, start=2):
                if usage is not None and row.get("Usage") != usage:
                    continue
                try:
                    pixels = np.array(row["pixels"].split(), dtype=np.uint8)
                    label = int(row["emotion"])
                except (ValueError, AttributeError, OverflowError) as exc:
                    raise DatasetError(f"{path}:{line_no}: bad row ({exc})") from exc
                if pixels.size != FACE_SIZE * FACE_SIZE or not 0 <= label < len(EMOTIONS):
                    raise DatasetError(
                        f"{path}:{line_no}: expected 2304 pixels and a label 0-6, "
                        f"got {pixels.size} pixels and label {label}"
                    )
                images.append(pixels.reshape(FACE_SIZE, FACE_SIZE))
                labels.append(label)
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    if not images:
        raise DatasetError(f"{path}: no faces" + (f" with Usage={usage!r}" if usage else ""))
    return FaceArrays(np.stack(images), np.array(labels, dtype=np.int64), str(path))


def read_face_image(path: str | Path, size: int = FACE_SIZE) -> np.ndarray:
    """Read one image file as a ``size`` x ``size`` uint8 grayscale face."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None:
        raise DatasetError(f"{path}: not a readable image")
    interpolation = cv2.INTER_AREA if min(image.shape) > size else cv2.INTER_LINEAR
    return cv2.resize(image, (size, size), interpolation=interpolation)


def load_image_folder(root: str | Path) -> FaceArrays:
    """Read ``<root>/<class name>/*`` images; class folder names must be FER-2013 classes."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a directory")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        label = _class_index(class_dir.name, str(class_dir))
        for file in sorted(class_dir.iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                images.append(read_face_image(file))
                labels.append(label)
    if not images:
        raise DatasetError(f"{root}: no images in <class name>/ folders")
    return FaceArrays(np.stack(images), np.array(labels, dtype=np.int64), str(root))


def load_faces(path: str | Path, usage: str | None = None) -> FaceArrays:
    """Load any supported layout, chosen by what ``path`` is."""
    path = Path(path)
    if path.is_dir():
        return load_image_folder(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    if path.suffix == ".npz" or path.name.endswith(NPZ_XZ_SUFFIX):
        return load_npz(path)
    if path.suffix == ".csv":
        return load_fer_csv(path, usage=usage)
    raise DatasetError(
        f"{path}: unsupported layout (expected a .npz, a .npz.xz, a .csv or a folder)"
    )


def pack_npz_xz(faces: FaceArrays, output: str | Path) -> Path:
    """Write ``faces`` as an xz-compressed ``.npz`` that :func:`load_npz` reads back.

    The same faces in the same order (so ``stratified_split`` keeps out the same hold-out),
    labels in :data:`ml.EMOTIONS` order. The arrays are stored uncompressed inside and the
    whole archive is compressed with xz at its strongest preset: on FER-2013's training split
    that is 52 MB, where the zip deflate of ``np.savez_compressed`` gives 63 MB. It takes about
    a minute of one core; reading it back about a second.
    """
    output = Path(output)
    if not output.name.endswith(NPZ_XZ_SUFFIX):
        raise ValueError(f"{output}: the name must end in {NPZ_XZ_SUFFIX}")
    archive = io.BytesIO()
    np.savez(archive, images=faces.images, labels=faces.labels, classes=np.array(EMOTIONS))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    # Written beside the target and renamed, so an interrupted pack leaves no half file
    # that looks finished.
    with lzma.open(partial, "wb", preset=9 | lzma.PRESET_EXTREME) as compressed:
        compressed.write(archive.getbuffer())
    partial.replace(output)
    return output


def stratified_split(
    labels: np.ndarray, holdout_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (train, holdout), keeping each class's share in both."""
    if not 0.0 <= holdout_fraction < 1.0:
        raise ValueError("holdout_fraction must be in [0, 1)")
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    holdout: list[np.ndarray] = []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_holdout = round(len(idx) * holdout_fraction)
        holdout.append(idx[:n_holdout])
        train.append(idx[n_holdout:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(holdout))


class FaceDataset(Dataset):
    """A torch dataset over :class:`FaceArrays`; ``transform`` gets a (1, 48, 48) uint8 tensor."""

    def __init__(
        self,
        faces: FaceArrays,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.images = torch.from_numpy(np.ascontiguousarray(faces.images)).unsqueeze(1)
        self.labels = torch.from_numpy(faces.labels)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])


def get_args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Inspect or pack face data sets.")
    commands = p.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="count the faces per class")
    info.add_argument("data", help=".npz, .npz.xz, fer2013 .csv or image folder")
    pack = commands.add_parser("pack", help="write the faces as one xz-compressed .npz.xz")
    pack.add_argument("data", help=".npz, .npz.xz, fer2013 .csv or image folder")
    pack.add_argument("output", help="the file to write, ending in .npz.xz")
    for command in (info, pack):
        command.add_argument("--usage", default=None, help="csv only: rows with this Usage")
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    try:
        faces = load_faces(args.data, usage=args.usage)
        if args.command == "pack":
            output = pack_npz_xz(faces, args.output)
    except (DatasetError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    per_class = zip(EMOTIONS, faces.class_counts(), strict=True)
    counts = ", ".join(f"{name} {n}" for name, n in per_class)
    print(f"{faces.source}: {len(faces)} faces ({counts})")
    if args.command == "pack":
        print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
