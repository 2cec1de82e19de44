"""A video file → the frames worth looking at, decoded with OpenCV (no ffmpeg process)."""
from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Containers that report no frame rate still need a clock; 30 fps is the common case.
FALLBACK_FPS = 30.0


class UnreadableVideo(ValueError):
    """The file is not a video OpenCV can decode (empty, another format, truncated)."""


@dataclass(frozen=True)
class Frame:
    """One sampled frame: its position in the video and its pixels (BGR)."""

    index: int
    seconds: float
    image: np.ndarray


@dataclass
class DecodeStats:
    """How much of the video was decoded; filled in while frames are read."""

    frames_decoded: int = 0
    frames_sampled: int = 0
    frames_declared: int = 0
    fps: float = FALLBACK_FPS


def usable_fps(reported: float) -> float:
    """The container's frame rate, or a fallback when it is missing or absurd."""
    return reported if math.isfinite(reported) and 0 < reported <= 1000 else FALLBACK_FPS


def is_sample(index: int, fps: float, frames_per_second: float) -> bool:
    """Whether frame `index` is the one closest to the next sampling instant.

    Instants are k / frames_per_second seconds; frame i shows i / fps. A frame is sampled when
    it is the first whose time reaches an instant, so the rate holds for any fps (even when the
    sampling rate is above the frame rate, every frame is then sampled once).
    """
    step = fps / frames_per_second  # frames between instants, maybe fractional
    if index == 0 or step <= 1:
        return True
    return math.floor(index / step + 1e-9) > math.floor((index - 1) / step + 1e-9)


def sample_frames(path: str | os.PathLike[str], frames_per_second: float, stats: DecodeStats | None = None) -> Iterator[Frame]:
    """Yield the sampled frames; frames in between are grabbed (decoded) but never converted.

    Seeking is not used: with long groups of pictures it decodes more, not less.
    Raises UnreadableVideo when not a single frame can be decoded.
    """
    stats = stats if stats is not None else DecodeStats()
    file = Path(path)
    if file.stat().st_size == 0:
        raise UnreadableVideo("the object is empty (0 bytes)")
    capture = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise UnreadableVideo("OpenCV could not open it as a video (not a video, or truncated)")
        stats.fps = usable_fps(capture.get(cv2.CAP_PROP_FPS))
        stats.frames_declared = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        index = 0
        while capture.grab():
            stats.frames_decoded += 1
            if is_sample(index, stats.fps, frames_per_second):
                ok, image = capture.retrieve()
                if ok and image is not None:
                    stats.frames_sampled += 1
                    yield Frame(index=index, seconds=index / stats.fps, image=image)
            index += 1
        if stats.frames_decoded == 0:
            raise UnreadableVideo("no frame could be decoded (not a video, or truncated)")
    finally:
        capture.release()


def check_complete(stats: DecodeStats) -> None:
    """Raise UnreadableVideo when the stream ended well before the length its header declares."""
    declared = stats.frames_declared
    if declared > 0 and stats.frames_decoded < declared * 0.9 - 1:
        raise UnreadableVideo(
            f"the video is truncated: only {stats.frames_decoded} of {declared} frames could be decoded"
        )
