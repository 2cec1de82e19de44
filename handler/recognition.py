"""A video file + a roster → who appears in it, in order of first appearance. No AWS here."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Literal

from handler.faces import Box, FaceFinder, face_finder
from handler.roster import Match, Roster
from handler.video import DecodeStats, check_complete, sample_frames

Mode = Literal["all", "first"]
# Two boxes in consecutive sampled frames this much overlapping are taken to be one face.
SAME_FACE_IOU = 0.5


@dataclass(frozen=True)
class RecognitionOptions:
    """How to look at a video; mirrors the handler's settings."""

    mode: Mode = "all"
    frames_per_second: float = 2.0
    tolerance: float = 0.6
    detection_height: int = 480


@dataclass(frozen=True)
class Sighting:
    """A recognised person: when first seen, and the closest match distance over the video."""

    name: str
    first_seen_seconds: float
    distance: float


@dataclass
class Recognition:
    """What one video held, and what it cost to find out."""

    sightings: list[Sighting] = field(default_factory=list)
    frames_decoded: int = 0
    frames_sampled: int = 0
    faces_seen: int = 0
    faces_unrecognised: int = 0
    faces_encoded: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sightings]


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    area = lambda box: (box[2] - box[0]) * (box[1] - box[3])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def tracked_match(box: Box, previous: list[tuple[Box, Match]]) -> Match | None:
    """The match of the recognised face that stood in the same place one sampled frame ago."""
    best = max(previous, key=lambda item: overlap(box, item[0]), default=None)
    if best is not None and overlap(box, best[0]) >= SAME_FACE_IOU:
        return best[1]
    return None


class _Attendance:
    """First sighting and best distance per person, in order of first appearance."""

    def __init__(self) -> None:
        self._first: dict[str, float] = {}
        self._best: dict[str, float] = {}

    def add(self, match: Match, seconds: float) -> None:
        self._first.setdefault(match.name, seconds)
        self._best[match.name] = min(match.distance, self._best.get(match.name, match.distance))

    def __len__(self) -> int:
        return len(self._first)

    def sightings(self) -> list[Sighting]:
        return [Sighting(name, round(seconds, 3), round(self._best[name], 4)) for name, seconds in self._first.items()]


def recognise_video(
    path: str | os.PathLike[str],
    roster: Roster,
    options: RecognitionOptions = RecognitionOptions(),
    finder: FaceFinder | None = None,
) -> Recognition:
    """Sample frames, find faces, match them to the roster by the closest encoding.

    A face that overlaps a recognised face of the previous sampled frame is taken to be the
    same person and is not encoded again: encoding (~0.1 s a face) is the dearest step.
    In `first` mode the video is read only up to the first recognised face.
    Raises handler.video.UnreadableVideo for a file that is not a complete video.
    """
    finder = finder or face_finder(options.detection_height)
    result = Recognition()
    attendance = _Attendance()
    stats = DecodeStats()
    previous: list[tuple[Box, Match]] = []
    started = time.perf_counter()
    finding = 0.0
    for frame in sample_frames(path, options.frames_per_second, stats):
        tick = time.perf_counter()
        boxes = finder.locate(frame.image)
        result.faces_seen += len(boxes)
        matches: list[Match | None] = [tracked_match(box, previous) for box in boxes]
        fresh = [i for i, match in enumerate(matches) if match is None]
        if fresh:
            encoded = roster.match(finder.encode(frame.image, [boxes[i] for i in fresh]), options.tolerance)
            result.faces_encoded += len(fresh)
            for i, match in zip(fresh, encoded):
                matches[i] = match
        previous = [(box, match) for box, match in zip(boxes, matches) if match is not None]
        result.faces_unrecognised += len(boxes) - len(previous)
        for _box, match in previous:
            attendance.add(match, frame.seconds)
        finding += time.perf_counter() - tick
        if options.mode == "first" and len(attendance):
            break
    else:
        check_complete(stats)
    result.sightings = attendance.sightings()
    result.frames_decoded = stats.frames_decoded
    result.frames_sampled = stats.frames_sampled
    total = time.perf_counter() - started
    result.timings = {"decode": round(total - finding, 4), "detect_encode": round(finding, 4)}
    return result
