"""The floor: the least work that can answer a video, with our detector at our resolution.

For one video: decode sequentially from frame 0 up to the first frame that holds the
expected person's face (found beforehand, untimed), one face detection on that frame (the
cheap pass `first` mode starts with: faces of at least 15 % of the frame height), and one
encoding of one face. Nothing can answer the video
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
    import av

    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            gray = frame.to_ndarray(format="gray")
            boxes = finder.scan(gray, _coarse_px(gray))
            if boxes:
                if expected is None:
                    return index
                encodings = finder.encode(frame.to_ndarray(format="rgb24"), boxes)
                for match in roster.match(encodings, tolerance):
                    if match is not None and match.name == expected:
                        return index
    return None


def _coarse_px(gray: np.ndarray) -> float:
    from handler.tracks.recognition import COARSE_FACE_SHARE

    return gray.shape[0] * COARSE_FACE_SHARE


def measure(video: Path, frame_index: int, finder) -> FloorResult:
    """Time: open, decode frames 0..frame_index (convert only the last), one locate, one encode."""
    import av

    start = time.perf_counter()
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index == frame_index:
                break
        else:
            raise RuntimeError(f"{video}: ended before frame {frame_index}")
        gray = frame.to_ndarray(format="gray")
        decoded = time.perf_counter()
        boxes = finder.scan(gray, _coarse_px(gray))
        located = time.perf_counter()
        if not boxes:
            raise RuntimeError(f"{video}: no face at frame {frame_index} on the timed pass")
        encoding: np.ndarray = finder.encode(frame.to_ndarray(format="rgb24"), boxes[:1])
        encoded = time.perf_counter()
    assert encoding.shape == (1, 128)
    return FloorResult(
        frame_index,
        encoded - start,
        {"decode": decoded - start, "locate": located - decoded, "encode": encoded - located},
    )
