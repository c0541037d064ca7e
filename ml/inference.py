"""The shared model loader and face analysis used by the platform (and by benchmarks).

One :class:`EmotionClassifier` per process and model file, created lazily under a lock by
:func:`get_classifier`. Face detection uses OpenCV's bundled Haar cascade (shipped inside the
opencv wheel) and, to follow faces between video frames, OpenCV's LBP cascade shipped in
``ml/detectors/``, so nothing is ever downloaded; each cascade lives in a thread-local because
``cv2.CascadeClassifier`` is not safe to share between threads.

    from ml.inference import analyse_jpeg
    faces = analyse_jpeg(jpeg_bytes)          # -> list[FaceResult]
    faces[0].label, faces[0].probabilities, faces[0].box

Environment: ``MODEL_FILE`` (default: the committed ``ml/weights/emotion_cnn.pt``),
``ML_TORCH_THREADS`` (intra-op threads, default 1: the server gets its parallelism from
concurrent requests, not from splitting one small face across cores), ``ML_OPENCV_THREADS``
(OpenCV's own threads, default 1 for the same reason), ``ML_BF16=1`` (bfloat16 inference
on CPUs with native bfloat16) and ``ML_TORCHSCRIPT=0`` (run the network eagerly instead of
as a frozen TorchScript graph).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.fx.experimental.optimization import fuse

from ml import EMOTIONS
from ml.data import FACE_SIZE
from ml.utils import bf16_is_native, load_weights

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL_FILE",
    "EmotionClassifier",
    "FaceDetector",
    "FaceResult",
    "FaceTracker",
    "InvalidImageError",
    "analyse_image",
    "analyse_jpeg",
    "crop_face",
    "decode_image",
    "classifier_loaded",
    "get_classifier",
]

DEFAULT_MODEL_FILE = Path(__file__).resolve().parent / "weights" / "emotion_cnn.pt"

# OpenCV's LBP frontal-face cascade (not in the opencv-python wheels; see its README).
TRACK_CASCADE_FILE = Path(__file__).resolve().parent / "detectors" / "lbpcascade_frontalface.xml"

# FER-2013 crops are ~4 % larger than the box OpenCV's frontal-face cascade draws around the
# same face (measured on val.npz faces pasted into frames), so crops grow by that much.
CROP_SCALE = 1.04

MAX_IMAGE_PIXELS = 4096 * 4096


class InvalidImageError(ValueError):
    """The bytes or array given are not a decodable, sensible image."""


@dataclass(frozen=True)
class FaceResult:
    """One face: its box in image pixels ``(x, y, w, h)``, class probabilities and top label."""

    box: tuple[int, int, int, int]
    probabilities: dict[str, float] = field(repr=False)
    label: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        x, y, w, h = self.box
        return {
            "box": {"x": x, "y": y, "w": w, "h": h},
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
        }


def decode_image(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Decode JPEG/PNG/... bytes to a grayscale uint8 array; raise InvalidImageError otherwise."""
    if not data:
        raise InvalidImageError("empty image")
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        image = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
    except cv2.error as exc:
        raise InvalidImageError(
            f"cannot decode image: {exc.msg if hasattr(exc, 'msg') else exc}"
        ) from exc
    if image is None or image.size == 0:
        raise InvalidImageError("not a decodable image (expected JPEG or PNG bytes)")
    return image


def to_gray(image: np.ndarray) -> np.ndarray:
    """Accept gray (H, W), BGR (H, W, 3) or BGRA (H, W, 4) uint8 arrays."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InvalidImageError("image must be a uint8 numpy array")
    if image.ndim == 2:
        gray = image
    elif image.ndim == 3 and image.shape[2] == 3:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    else:
        raise InvalidImageError(f"unsupported image shape {image.shape}")
    if gray.shape[0] < 8 or gray.shape[1] < 8:
        raise InvalidImageError(f"image too small ({gray.shape[1]}x{gray.shape[0]})")
    if gray.size > MAX_IMAGE_PIXELS:
        raise InvalidImageError(f"image too large ({gray.shape[1]}x{gray.shape[0]})")
    return gray


def crop_face(
    gray: np.ndarray, box: tuple[int, int, int, int], scale: float = CROP_SCALE
) -> np.ndarray:
    """Square 48x48 crop around ``box``, enlarged by ``scale``; borders are replicated."""
    x, y, w, h = box
    side = max(w, h) * scale
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    x1, y1 = x0 + round(side), y0 + round(side)
    pad = max(0, -x0, -y0, x1 - gray.shape[1], y1 - gray.shape[0])
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    crop = gray[y0:y1, x0:x1]
    interpolation = cv2.INTER_AREA if crop.shape[0] > FACE_SIZE else cv2.INTER_LINEAR
    return cv2.resize(crop, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)


class FaceDetector:
    """All frontal faces in a grayscale image, largest first, with OpenCV's cascades.

    Whole-image searches (:meth:`detect`) use the Haar cascade bundled with OpenCV. Detection
    runs on a copy scaled down to ``detect_width`` pixels (boxes are mapped back, and faces are
    cropped from the full-resolution image): the cascade's cost grows with the pixel count,
    while a visitor's face in front of an exhibit camera is large enough at 320 px.

    Following a face between video frames (:meth:`redetect`) uses ``track_cascade_file``,
    by default OpenCV's LBP cascade shipped in ``ml/detectors/``: in the small window around
    the last face it costs a third of the Haar cascade and re-finds nearly as many faces
    (docs/scaling.md, round 3).
    """

    def __init__(
        self,
        cascade_file: str | Path | None = None,
        *,
        scale_factor: float = 1.1,
        min_neighbors: int = 4,
        min_size_fraction: float = 0.12,
        detect_width: int = 320,
        track_cascade_file: str | Path | None = None,
        track_scale_factor: float = 1.05,
        track_min_neighbors: int = 2,
    ) -> None:
        self.cascade_file = str(
            cascade_file or Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        )
        self.track_cascade_file = str(track_cascade_file or TRACK_CASCADE_FILE)
        for path in (self.cascade_file, self.track_cascade_file):
            if not Path(path).is_file():
                raise FileNotFoundError(f"face detector model not found: {path}")
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size_fraction = min_size_fraction
        self.detect_width = detect_width
        self.track_scale_factor = track_scale_factor
        self.track_min_neighbors = track_min_neighbors
        self._local = threading.local()

    def _cascade(self, path: str | None = None) -> cv2.CascadeClassifier:
        """This thread's copy of the cascade in ``path`` (default: the whole-image one)."""
        path = path or self.cascade_file
        cascades = self._local.__dict__.setdefault("cascades", {})
        cascade = cascades.get(path)
        if cascade is None:
            cascade = cv2.CascadeClassifier(path)
            if cascade.empty():
                raise RuntimeError(f"cannot load face detector {path}")
            cascades[path] = cascade
        return cascade

    def detect(
        self, gray: np.ndarray, max_faces: int = 10, *, min_size_fraction: float | None = None
    ) -> list[tuple[int, int, int, int]]:
        """Search the whole image: every face of at least ``min_size_fraction`` (default: the
        detector's) of its shorter side."""
        scale = min(1.0, self.detect_width / gray.shape[1])
        small = (
            gray
            if scale == 1.0
            else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        fraction = min_size_fraction or self.min_size_fraction
        side = max(20, int(min(small.shape[:2]) * fraction))
        # No histogram equalisation first: the cascade normalises each window by its own
        # contrast already, and equalising the whole frame stretches the noise of flat
        # backgrounds into face-like texture: 2.4x slower, with more false faces and fewer
        # real ones, in dim and washed-out frames too (docs/scaling.md, round 3).
        boxes = self._cascade().detectMultiScale(
            small,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
        )
        return _largest_distinct([tuple(round(v / scale) for v in b) for b in boxes], max_faces)

    def redetect(
        self, gray: np.ndarray, near: list[tuple[int, int, int, int]], *, margin: float = 0.5
    ) -> list[tuple[int, int, int, int]]:
        """Search only around faces found in the previous frame, at about their size.

        A face moves little between two camera frames (0.2 s at 5 fps), so each previous box,
        grown by ``margin`` of its side on every side, is searched for faces of 0.75-1.33 times
        its size, with the tracking cascade. That is a few scales over a small window instead
        of every scale over the whole frame: ~2 ms instead of ~17 ms on a 320x240 frame
        (docs/scaling.md), and it still re-finds most faces (tests/ml/test_inference.py).
        """
        found: list[tuple[int, int, int, int]] = []
        height, width = gray.shape[:2]
        for x, y, w, h in near:
            side = max(w, h)
            grow = int(side * margin)
            x0, y0 = max(0, x - grow), max(0, y - grow)
            x1, y1 = min(width, x + w + grow), min(height, y + h + grow)
            lo, hi = int(side * 0.75), int(side * 1.33) + 1
            if x1 - x0 < lo or y1 - y0 < lo or lo < 20:
                continue  # The face left the frame, or is too small for the cascade.
            boxes = self._cascade(self.track_cascade_file).detectMultiScale(
                gray[y0:y1, x0:x1],  # Not equalised: see detect().
                scaleFactor=self.track_scale_factor,
                minNeighbors=self.track_min_neighbors,
                minSize=(lo, lo),
                maxSize=(hi, hi),
            )
            found.extend((int(bx) + x0, int(by) + y0, int(bw), int(bh)) for bx, by, bw, bh in boxes)
        return _largest_distinct(found, len(near))


def _largest_distinct(
    boxes: list[tuple[int, int, int, int]], max_faces: int
) -> list[tuple[int, int, int, int]]:
    """Largest first; the cascade sometimes also fires on part of a face (an eye, a mouth),
    or twice on one face across two searched windows: drop a box whose centre lies inside a
    larger face already kept."""
    kept: list[tuple[int, int, int, int]] = []
    for box in sorted(boxes, key=lambda b: b[2] * b[3], reverse=True):
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        if not any(k[0] <= cx <= k[0] + k[2] and k[1] <= cy <= k[1] + k[3] for k in kept):
            kept.append(box)
    return kept[:max_faces]


class FaceTracker:
    """Detect-then-track for one video stream (a camera socket, a clip): cheap per frame.

    Each frame is first searched only around the faces of the previous frame
    (:meth:`FaceDetector.redetect`). The whole frame is searched when that finds nothing and
    every ``full_every`` frames, so that a visitor who steps into the picture is found within
    ``full_every`` frames. While the picture holds no face (a camera left pointing at a wall),
    only every ``idle_every``-th frame is searched: a full search is the dearest step, and a
    face that appears is still found within ``idle_every`` frames. ``min_size_fraction``
    overrides the detector's smallest face (a share of the frame's shorter side) for full
    searches: in front of a camera page a face is large.

    With ``defer_full`` (the live camera), :meth:`locate` never runs a full search itself: it
    answers with what the search around the previous faces found and keeps the frame for the
    caller to search after it has answered: :meth:`search_deferred`, or, to search on another
    thread while later frames go on, :meth:`take_search` + :meth:`search` there +
    :meth:`adopt` back. A full search costs several times a tracked frame (docs/scaling.md),
    so this keeps it out of every answer's latency; the faces it finds are followed from the
    next frame after it was adopted (0.2 s later at 5 fps).

    Not thread-safe: one tracker per stream, used by one thread at a time (the camera
    consumer analyses one frame at a time); only :meth:`search` may run beside that.
    """

    def __init__(
        self,
        *,
        full_every: int = 10,
        idle_every: int = 1,
        min_size_fraction: float | None = None,
        defer_full: bool = False,
    ) -> None:
        if full_every < 1 or idle_every < 1:
            raise ValueError("full_every and idle_every must be at least 1")
        self.full_every = full_every
        self.idle_every = idle_every
        self.min_size_fraction = min_size_fraction
        self.defer_full = defer_full
        self.boxes: list[tuple[int, int, int, int]] = []
        self.since_full = 0
        self.idle_frames = 0
        self.full_searches = 0
        self.frames = 0
        self._deferred: tuple[np.ndarray, int] | None = None

    @property
    def search_due(self) -> bool:
        """Whether :meth:`locate` put off a full search (``defer_full`` only)."""
        return self._deferred is not None

    def locate(
        self, detector: FaceDetector, gray: np.ndarray, *, max_faces: int
    ) -> list[tuple[int, int, int, int]]:
        self.frames += 1
        periodic = self.since_full >= self.full_every - 1
        boxes: list[tuple[int, int, int, int]] = []
        # Deferring, the periodic search does not answer this frame: the cheap search does.
        if self.boxes and (self.defer_full or not periodic):
            boxes = detector.redetect(gray, self.boxes[:max_faces])
            self.since_full += 1
        if boxes and not periodic:
            self.boxes = boxes
            return boxes
        if not self.boxes and self.idle_frames % self.idle_every:
            self.idle_frames += 1
            return []  # Nothing here a moment ago: skip this full search.
        if self.defer_full:
            self.boxes = boxes
            self._deferred = (gray, max_faces)  # The latest frame wins.
            return boxes
        self.boxes = self._search(detector, gray, max_faces)
        return self.boxes

    def search_deferred(self, detector: FaceDetector) -> list[tuple[int, int, int, int]]:
        """Run the full search :meth:`locate` put off, on the frame it was put off for.

        Its faces join those followed already and are searched for in the next frame. Returns
        the faces now followed (no-op when no search is due).
        """
        deferred = self.take_search()
        if deferred is None:
            return self.boxes
        gray, max_faces = deferred
        return self.adopt(self.search(detector, gray, max_faces=max_faces), max_faces=max_faces)

    def take_search(self) -> tuple[np.ndarray, int] | None:
        """The frame (and ``max_faces``) :meth:`locate` put off a full search for, handed over
        once; None when none is due."""
        deferred, self._deferred = self._deferred, None
        return deferred

    def search(
        self, detector: FaceDetector, gray: np.ndarray, *, max_faces: int
    ) -> list[tuple[int, int, int, int]]:
        """A full search of ``gray`` at this tracker's smallest face size. Changes nothing, so
        it may run on another thread while :meth:`locate` goes on with later frames."""
        return detector.detect(gray, max_faces=max_faces, min_size_fraction=self.min_size_fraction)

    def adopt(
        self, found: list[tuple[int, int, int, int]], *, max_faces: int
    ) -> list[tuple[int, int, int, int]]:
        """Take in what a full search found: its faces join those followed already (a face
        the search missed is kept). Returns the faces now followed."""
        self._searched(found)
        self._deferred = None  # Frames put off meanwhile: this search has just looked.
        self.boxes = _largest_distinct(found + self.boxes, max_faces)
        return self.boxes

    def _search(
        self, detector: FaceDetector, gray: np.ndarray, max_faces: int
    ) -> list[tuple[int, int, int, int]]:
        found = self.search(detector, gray, max_faces=max_faces)
        self._searched(found)
        return found

    def _searched(self, found: list[tuple[int, int, int, int]]) -> None:
        self.since_full = 0
        self.full_searches += 1
        self.idle_frames = 0 if found else 1


class EmotionClassifier:
    """A loaded model plus its preprocessing; ``classify`` is safe to call from many threads."""

    def __init__(
        self,
        model_file: str | Path,
        *,
        threads: int | None = None,
        bf16: bool = False,
        script: bool = True,
    ) -> None:
        self.model_file = Path(model_file)
        if not self.model_file.is_file():
            raise FileNotFoundError(f"model file not found: {self.model_file} (set MODEL_FILE)")
        model, self.preset, self.meta = load_weights(self.model_file)
        self.precision = self.meta["precision"]
        if self.precision == "int8":
            # An ml.quantize file: its BatchNorms are folded already, its int8 kernels keep
            # activations channels-last themselves, and bfloat16 does not apply to it.
            self.model = model
            if bf16:
                logger.warning("ML_BF16 ignored: %s is an int8 model", self.model_file)
            bf16 = False
        else:
            # Folding each BatchNorm into its convolution removes a pass over every activation
            # map; with channels-last memory this is ~10 % faster on one core at identical
            # outputs.
            self.model = fuse(model).to(memory_format=torch.channels_last)
        self.threads = threads
        # bfloat16 autocast is ~1.6x faster on CPUs with AVX512-BF16/AMX; off by default
        # because its accuracy is measured separately (benchmarks/inference.py).
        self.bf16 = bf16
        # TorchScript runs the network's ~40 layer calls without the Python interpreter:
        # 0.8-2.6 ms less per int8 face on one core (docs/scaling.md, change 13), and less
        # time holding the interpreter lock that a server's event loop and other frames need.
        self.scripted = script and not bf16
        if self.scripted:
            self.model = _scripted(self.model, self.precision)
        self.detector = FaceDetector()

    @torch.inference_mode()
    def classify(
        self, faces: np.ndarray | list[np.ndarray], *, flip_tta: bool = False
    ) -> np.ndarray:
        """Probabilities (N, 7) for 48x48 uint8 face crops, classified in one batch."""
        batch = np.asarray(faces, dtype=np.uint8)
        if batch.ndim == 2:
            batch = batch[None]
        if batch.ndim != 3 or batch.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise InvalidImageError(f"faces must be (N, 48, 48) uint8, got {batch.shape}")
        if len(batch) == 0:
            return np.zeros((0, len(EMOTIONS)), dtype=np.float32)
        x = self.preset(torch.from_numpy(np.ascontiguousarray(batch)).unsqueeze(1))
        if self.precision == "fp32":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(x).float()
            if flip_tta:
                logits = (logits + self.model(x.flip(-1)).float()) / 2
        return torch.softmax(logits, dim=1).numpy()

    def analyse(
        self, image: np.ndarray, *, max_faces: int = 10, tracker: FaceTracker | None = None
    ) -> list[FaceResult]:
        gray = to_gray(image)
        if tracker is not None:
            boxes = tracker.locate(self.detector, gray, max_faces=max_faces)
        else:
            boxes = self.detector.detect(gray, max_faces=max_faces)
        if not boxes:
            return []
        probs = self.classify(np.stack([crop_face(gray, b) for b in boxes]))
        return [_result(box, p) for box, p in zip(boxes, probs, strict=True)]


def _scripted(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    """``model`` traced and frozen with TorchScript, checked against the original on a batch
    of three faces; the original where tracing fails or disagrees (it is only a speed-up)."""
    example = torch.linspace(-1, 1, 3 * FACE_SIZE * FACE_SIZE).reshape(3, 1, FACE_SIZE, FACE_SIZE)
    if precision == "fp32":
        example = example.contiguous(memory_format=torch.channels_last)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            # Deprecated in favour of torch.compile/export, which need a compiler at run time
            # or do not take the quantized operators; TorchScript still runs both here.
            warnings.simplefilter("ignore", FutureWarning)
            # The int8 graph's scales are constants: tracing them as such is what we want.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            expected = model(example)
            scripted = torch.jit.freeze(torch.jit.trace(model, example[:1]).eval())
            scripted(example)  # the profiling executor optimises after its first run
            agrees = torch.allclose(scripted(example), expected, atol=1e-5)
    except Exception as exc:  # noqa: BLE001 - any failure means: run the model as it is
        logger.warning("TorchScript unavailable for this model (%s); running it eagerly", exc)
        return model
    if not agrees:
        logger.warning("TorchScript changed this model's outputs; running it eagerly")
        return model
    return scripted


def _result(box: tuple[int, int, int, int], probs: np.ndarray) -> FaceResult:
    top = int(probs.argmax())
    return FaceResult(
        box=box,
        probabilities={name: float(p) for name, p in zip(EMOTIONS, probs, strict=True)},
        label=EMOTIONS[top],
        confidence=float(probs[top]),
    )


_classifiers: dict[Path, EmotionClassifier] = {}
_classifiers_lock = threading.Lock()


def _env_flag(name: str, *, default: bool) -> bool:
    """An on/off environment switch: 1/true/yes or 0/false/no, anything else the default."""
    value = os.environ.get(name, "")
    if value in {"1", "true", "yes"}:
        return True
    if value in {"0", "false", "no"}:
        return False
    return default


def get_classifier(model_file: str | Path | None = None) -> EmotionClassifier:
    """The process-wide classifier for ``model_file`` (default: $MODEL_FILE or the shipped one)."""
    path = _model_path(model_file)
    classifier = _classifiers.get(path)
    if classifier is None:
        with _classifiers_lock:
            classifier = _classifiers.get(path)
            if classifier is None:
                threads = int(os.environ.get("ML_TORCH_THREADS", "1"))
                if threads > 0:
                    torch.set_num_threads(threads)
                # OpenCV parallelises the cascade over image scales with its own pool (one
                # thread per core). A server already runs one frame per core, so the extra
                # threads only fight over the same cores (docs/scaling.md measures it).
                cv_threads = int(os.environ.get("ML_OPENCV_THREADS", "1"))
                if cv_threads > 0:
                    cv2.setNumThreads(cv_threads)
                bf16 = _env_flag("ML_BF16", default=False)
                if bf16 and not bf16_is_native():
                    # Emulated bfloat16 is ~6x slower than fp32: never what ML_BF16 asks for.
                    logger.warning("ML_BF16 ignored: this CPU has no native bfloat16")
                    bf16 = False
                script = _env_flag("ML_TORCHSCRIPT", default=True)
                classifier = _classifiers[path] = EmotionClassifier(
                    path, threads=threads, bf16=bf16, script=script
                )
    return classifier


def classifier_loaded(model_file: str | Path | None = None) -> bool:
    """Whether :func:`get_classifier` has loaded ``model_file`` in this process already."""
    return _model_path(model_file) in _classifiers


def _model_path(model_file: str | Path | None) -> Path:
    """The key of :data:`_classifiers`: ``model_file``, else $MODEL_FILE, else the shipped one."""
    return _resolved(str(model_file or os.environ.get("MODEL_FILE") or DEFAULT_MODEL_FILE))


@functools.lru_cache(maxsize=64)
def _resolved(path: str) -> Path:
    # The server looks its model up for every camera frame: resolving the path each time
    # cost 1.6 % of a loaded server's CPU in system calls (docs/scaling.md, round 3).
    return Path(path).resolve()


def analyse_image(
    image: np.ndarray,
    *,
    max_faces: int = 10,
    classifier: EmotionClassifier | None = None,
    tracker: FaceTracker | None = None,
) -> list[FaceResult]:
    """Find every face in a gray/BGR uint8 image and classify each (largest face first).

    Give a :class:`FaceTracker` when the images are consecutive frames of one video.
    """
    return (classifier or get_classifier()).analyse(image, max_faces=max_faces, tracker=tracker)


def analyse_jpeg(
    data: bytes | bytearray | memoryview,
    *,
    max_faces: int = 10,
    classifier: EmotionClassifier | None = None,
    tracker: FaceTracker | None = None,
) -> list[FaceResult]:
    """Decode JPEG (or PNG) bytes, then :func:`analyse_image`. Bad bytes raise InvalidImageError."""
    return analyse_image(
        decode_image(data), max_faces=max_faces, classifier=classifier, tracker=tracker
    )
