"""Small videos made inside the tests, from the shared photos (nothing is committed)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Write BGR frames as an MPEG-4 .mp4 that OpenCV (and the handler) can read back."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def still_video(path: Path, photo: Path, seconds: float = 2.0, fps: float = 10.0, size: tuple[int, int] = (1280, 720)) -> Path:
    """The photo letterboxed into a frame, drifting a few pixels per frame like a handheld camera."""
    image = cv2.imread(str(photo))
    assert image is not None, photo
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0]) * 0.95
    resized = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(int(seconds * fps)):
        frame = np.full((height, width, 3), 40, np.uint8)
        y = (height - resized.shape[0]) // 2
        x = (width - resized.shape[1]) // 2 + (i % 5) * 2
        frame[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
        frames.append(frame)
    return write_video(path, frames, fps)


def faceless_video(path: Path, seconds: float = 2.0, fps: float = 10.0) -> Path:
    """A moving gradient: plenty to decode, nothing to find."""
    ramp = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (360, 1))
    frames = [cv2.merge([np.roll(ramp, 8 * i, axis=1), ramp, np.flipud(ramp)])
              for i in range(int(seconds * fps))]
    return write_video(path, frames, fps)


def clip_in_container(path: Path, clip: Path, seconds: float = 5.0, fps: int = 25) -> Path:
    """A classroom clip re-encoded (H.264, 640x360) into the container `path`'s suffix names,
    looped to `seconds`."""
    import av

    from classroom.scene import encode_h264

    with av.open(str(clip)) as container:
        frames = [cv2.resize(f.to_ndarray(format="bgr24"), (640, 360)) for f in container.decode(video=0)]
    return encode_h264(path, (frames[i % len(frames)] for i in range(round(seconds * fps))), fps)


def claim_frames(path: Path, frames: int) -> Path:
    """Make an AVI's headers (avih dwTotalFrames, strh dwLength) claim `frames` frames."""
    import struct

    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.index(b"avih") + 8 + 16, frames)
    struct.pack_into("<I", data, data.index(b"strh") + 8 + 32, frames)
    path.write_bytes(bytes(data))
    return path


def lecture_video(path: Path, datasets: Path, parts: list[tuple[str, float]], fps: int = 10,
                  size: tuple[int, int] = (640, 360), gop_seconds: float = 2.0) -> Path:
    """A lecture made of classroom clips one after another (`(clip name, seconds)` each, the
    clip looped), H.264 at `size`: who is on screen when is known from `parts`."""
    import av

    from classroom.scene import encode_h264

    def frames() -> Iterator[np.ndarray]:
        for name, seconds in parts:
            with av.open(str(datasets / "classroom" / "videos" / name)) as container:
                clip = [cv2.resize(f.to_ndarray(format="bgr24"), size) for f in container.decode(video=0)]
            for i in range(round(seconds * fps)):
                yield clip[i % len(clip)]

    return encode_h264(path, frames(), fps, gop_seconds=gop_seconds)


def seated_class(path: Path, datasets: Path, people: list[str], seconds: float = 6.0, fps: int = 5,
                 face_px: int = 80) -> Path:
    """1080p: `people` (keys of classroom.people.STUDENTS) in two front rows, faces about
    `face_px` tall, all there from the start; who is present is known from the list."""
    from classroom.scene import Scene, Seat, write_video

    per_row = (len(people) + 1) // 2
    seats = tuple(
        Seat(person, round(0.1 + (i % per_row) * 0.8 / max(1, per_row - 1), 3), (0.45, 0.75)[i // per_row],
             face_px + 2 * (i % 3))
        for i, person in enumerate(people)
    )
    return write_video(path, Scene(seats, seconds=seconds, fps=fps, gop_seconds=2.0), datasets)
