"""Face detection on the live load test's camera streams, replayed without a server.

    .venv/bin/python benchmarks/detection.py [--streams 12] [--frames 100] [--json FILE]

The frames are those of ``benchmarks/live_load.py`` (a real FER-2013 face, 90-130 px, swaying
on a blurred background, its expression changing every two seconds; 320x240 JPEGs). Prints,
on one core:

1. **Whole-frame search** (``FaceDetector.detect`` at the camera page's smallest face, 20 %
   of the frame): time per frame, frames in which a face was found, extra boxes (each frame
   holds exactly one face), and boxes found on ``--background`` frames without a face. Once
   as shipped, once with each frame histogram-equalised first (what the detector did before
   docs/scaling.md's round 3).
2. **Tracker replay**: each stream through the camera socket's ``FaceTracker(defer_full=True)``
   (a deferred whole-frame search adopted before the next frame, as the consumer does when
   the search finishes within a frame interval): time per frame of the search around the
   last faces (in the answer's path) and of the whole-frame searches (after it), searches per
   frame, and answers that show the face. For the shipped detector (LBP cascade to follow
   the face), the Haar cascade following it, and round 2's equalised Haar cascade.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.live_load import face_streams  # noqa: E402
from benchmarks.support import FER_VAL, results_write  # noqa: E402
from ml.inference import FaceDetector, FaceTracker  # noqa: E402

MIN_FACE_FRACTION = 0.2  # settings.LIVE_MIN_FACE_PERCENT
HAAR_FILE = str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")


class _Equalising:
    """A cascade that equalises the histogram of what it searches first (before round 3)."""

    def __init__(self, cascade: cv2.CascadeClassifier) -> None:
        self.cascade = cascade

    def empty(self) -> bool:
        return self.cascade.empty()

    def detectMultiScale(self, image: np.ndarray, **kwargs: Any) -> Any:  # noqa: N802
        return self.cascade.detectMultiScale(cv2.equalizeHist(image), **kwargs)


class EqualisingDetector(FaceDetector):
    """:class:`FaceDetector` as it was before round 3: every search equalised first."""

    def _cascade(self, path: str | None = None) -> Any:
        return _Equalising(super()._cascade(path))


def detectors() -> dict[str, FaceDetector]:
    haar_tracking = {"track_cascade_file": HAAR_FILE, "track_scale_factor": 1.1}
    return {
        "shipped (LBP tracking)": FaceDetector(),
        "Haar tracking": FaceDetector(**haar_tracking, track_min_neighbors=4),
        "round 2 (Haar, equalised)": EqualisingDetector(**haar_tracking, track_min_neighbors=4),
    }


def whole_frame(
    detector: FaceDetector, frames: list[np.ndarray], backgrounds: list[np.ndarray]
) -> dict[str, Any]:
    found = extra = 0
    started = time.perf_counter()
    for gray in frames:
        boxes = detector.detect(gray, max_faces=5, min_size_fraction=MIN_FACE_FRACTION)
        found += bool(boxes)
        extra += max(0, len(boxes) - 1)
    ms = (time.perf_counter() - started) / len(frames) * 1000
    false = sum(
        len(detector.detect(g, max_faces=5, min_size_fraction=MIN_FACE_FRACTION))
        for g in backgrounds
    )
    return {
        "ms_per_frame": round(ms, 2),
        "frames": len(frames),
        "found": found,
        "extra_boxes": extra,
        "background_frames": len(backgrounds),
        "background_boxes": false,
    }


def tracker_replay(detector: FaceDetector, streams: list[list[np.ndarray]]) -> dict[str, Any]:
    frames = with_face = searches = 0
    locate_s = search_s = 0.0
    for stream in streams:
        tracker = FaceTracker(
            full_every=10, idle_every=3, min_size_fraction=MIN_FACE_FRACTION, defer_full=True
        )
        for gray in stream:
            started = time.perf_counter()
            boxes = tracker.locate(detector, gray, max_faces=5)
            locate_s += time.perf_counter() - started
            frames += 1
            with_face += bool(boxes)
            if tracker.search_due:
                started = time.perf_counter()
                tracker.search_deferred(detector)
                search_s += time.perf_counter() - started
                searches += 1
    return {
        "frames": frames,
        "answers_with_face": with_face,
        "searches_per_frame": round(searches / frames, 3),
        "around_last_faces_ms_per_frame": round(locate_s / frames * 1000, 2),
        "whole_frame_ms_per_frame": round(search_s / frames * 1000, 2),
    }


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=Path, default=FER_VAL)
    parser.add_argument("--streams", type=int, default=12, help="camera streams (default: 12)")
    parser.add_argument("--frames", type=int, default=100, help="frames each (default: 100)")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument(
        "--background", type=int, default=100, help="frames without a face (default: 100)"
    )
    parser.add_argument("--json", type=Path, help="write the results to this file")
    return parser


def main(args: argparse.Namespace) -> dict[str, Any]:
    if not args.faces.is_file():
        raise SystemExit(f"faces not found: {args.faces} (shared/data beside the checkout)")
    cv2.setNumThreads(1)
    streams = [
        [cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE) for jpeg in stream]
        for stream in face_streams(args.faces, args.streams, args.frames, args.fps)
    ]
    frames = [gray for stream in streams for gray in stream]
    height, width = frames[0].shape
    backgrounds = [  # the streams' kind of background, without the face
        cv2.GaussianBlur(
            np.random.default_rng(i).integers(60, 200, (height, width), dtype=np.uint8), (0, 0), 6
        )
        for i in range(args.background)
    ]
    results: dict[str, Any] = {"whole_frame": {}, "tracker": {}}
    print(f"{len(frames)} frames ({len(streams)} streams), {width}x{height}, one core")
    print("whole-frame search:")
    searches = {"shipped": FaceDetector(), "equalised first (round 2)": EqualisingDetector()}
    for name, detector in searches.items():
        r = results["whole_frame"][name] = whole_frame(detector, frames, backgrounds)
        print(
            f"  {name:28} {r['ms_per_frame']:6.2f} ms/frame, face found in {r['found']}/"
            f"{r['frames']}, extra boxes {r['extra_boxes']}, boxes on "
            f"{r['background_frames']} empty frames {r['background_boxes']}"
        )
    print("tracker replay (per frame, on average):")
    for name, detector in detectors().items():
        r = results["tracker"][name] = tracker_replay(detector, streams)
        print(
            f"  {name:28} around the last faces {r['around_last_faces_ms_per_frame']:5.2f} ms, "
            f"whole-frame searches {r['whole_frame_ms_per_frame']:5.2f} ms "
            f"({r['searches_per_frame']:.3f} a frame), answers with the face "
            f"{r['answers_with_face']}/{r['frames']}"
        )
    results_write(args.json, results)
    return results


if __name__ == "__main__":
    main(get_args_parser().parse_args())
