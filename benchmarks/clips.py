"""Clip analysis speed as a multiple of real time, on this machine.

    .venv/bin/python benchmarks/clips.py [--seconds 60] [--fps 30] [--sample-fps 2 5 10]

Writes a 640x480 MP4 (mp4v) of ``--seconds`` seconds at ``--fps`` frames per second made of
real FER-2013 validation faces (one or two faces per second, as a visitor filming themselves
would show), then times ``emotions.clips.video_analyse`` (decode, sample, detect, classify
in batches: the work a Celery worker does, without the database writes) at each sampling
rate. A multiple of 10x means a minute of video is analysed in 6 seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museum_site.settings")

import cv2  # noqa: E402
import django  # noqa: E402

django.setup()

from benchmarks.support import FER_VAL  # noqa: E402
from emotions.clips import video_analyse  # noqa: E402
from ml.inference import get_classifier  # noqa: E402
from tests.faces import faces_of, frame_with_faces  # noqa: E402


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--faces", type=Path, default=FER_VAL, help="val.npz (default: %(default)s)"
    )
    parser.add_argument(
        "--seconds", type=int, default=60, help="clip length (default: %(default)s)"
    )
    parser.add_argument(
        "--fps", type=int, default=30, help="clip frame rate (default: %(default)s)"
    )
    parser.add_argument(
        "--sample-fps",
        type=int,
        nargs="+",
        default=[2, 5, 10],
        help="frames analysed per second of video (default: %(default)s; 2 is the site's default)",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per rate, best kept (default: %(default)s)"
    )
    return parser


def write_clip(path: Path, faces_file: Path, seconds: int, fps: int) -> None:
    happy = faces_of(faces_file, "happy", seconds)
    surprise = faces_of(faces_file, "surprise", seconds)
    neutral = faces_of(faces_file, "neutral", seconds)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v video here")
    try:
        for s in range(seconds):
            faces = [happy[s]] if s % 3 else [surprise[s], neutral[s]]
            frame = frame_with_faces(faces)
            for _ in range(fps):
                writer.write(frame)
    finally:
        writer.release()


def main(args: argparse.Namespace) -> None:
    print(args)
    print(f"torch threads: {os.environ.get('ML_TORCH_THREADS', '1')}, CPUs: {os.cpu_count()}")
    get_classifier()  # load the model outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "benchmark.mp4"
        start = time.perf_counter()
        write_clip(clip, args.faces, args.seconds, args.fps)
        print(
            f"wrote {args.seconds} s of 640x480 at {args.fps} fps "
            f"in {time.perf_counter() - start:.1f} s"
        )
        for rate in args.sample_fps:
            best, analysis = float("inf"), None
            for _ in range(args.repeat):
                start = time.perf_counter()
                analysis = video_analyse(
                    clip,
                    started_at=datetime.now(UTC),
                    sample_fps=rate,
                    max_seconds=args.seconds + 1,
                )
                best = min(best, time.perf_counter() - start)
            print(
                f"sample {rate:>2} fps: {args.seconds} s of video in {best:5.2f} s = "
                f"{args.seconds / best:5.1f}x real time "
                f"({analysis.frames_analysed} frames, {analysis.face_count} faces, "
                f"{1000 * best / analysis.frames_analysed:.0f} ms per analysed frame, "
                "decoding included)"
            )


if __name__ == "__main__":
    main(get_args_parser().parse_args())
