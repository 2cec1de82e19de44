"""The floor: the least work that can answer a video, with our detector at our resolution.

For one video: decode sequentially from frame 0 up to the first frame that holds the
expected person's face (found beforehand, untimed), one face detection on that frame at
the detection height we use, and one encoding of one face. Nothing can answer the video
with less work using the same models, so `ours / floor` is the overhead of everything
else (sampling, seeking, extra detections and encodings, matching, bookkeeping).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class FloorResult:
    """The floor of one video: which frame answers it and what that costs."""

    frame_index: int | None
    seconds: float
    timings: dict[str, float]


def first_answering_frame(video: Path, finder, roster, expected: str | None, tolerance: float = 0.6) -> int | None:
    """Index of the first frame in which a found face matches `expected` (untimed search).

    With `expected` None: the first frame in which any face is found.
    """
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return None
            boxes = finder.locate(frame)
            if boxes:
                if expected is None:
                    return index
                encodings = finder.encode(frame, boxes)
                for match in roster.match(encodings, tolerance):
                    if match is not None and match.name == expected:
                        return index
            index += 1
    finally:
        capture.release()


def measure(video: Path, frame_index: int, finder) -> FloorResult:
    """Time: open, decode frames 0..frame_index (convert only the last), one locate, one encode."""
    import cv2

    start = time.perf_counter()
    capture = cv2.VideoCapture(str(video))
    for _ in range(frame_index):
        if not capture.grab():
            raise RuntimeError(f"{video}: ended before frame {frame_index}")
    ok, frame = capture.read()
    if not ok:
        raise RuntimeError(f"{video}: cannot read frame {frame_index}")
    decoded = time.perf_counter()
    boxes = finder.locate(frame)
    located = time.perf_counter()
    if not boxes:
        raise RuntimeError(f"{video}: no face at frame {frame_index} on the timed pass")
    encoding: np.ndarray = finder.encode(frame, boxes[:1])
    encoded = time.perf_counter()
    capture.release()
    assert encoding.shape == (1, 128)
    return FloorResult(
        frame_index,
        encoded - start,
        {"decode": decoded - start, "locate": located - decoded, "encode": encoded - located},
    )
