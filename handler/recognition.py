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
# An unrecognised face is encoded again after this many sampled frames.
RECHECK_UNKNOWN = 4


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


@dataclass(frozen=True)
class Track:
    """A face of the previous sampled frame: where, who (None: nobody enrolled), when encoded."""

    box: Box
    match: Match | None
    encoded_at: int  # number of the sampled frame in which it was last encoded


def follow(box: Box, tracks: list[Track], sample: int) -> Track | None:
    """The track this box continues, if its identity can be reused without encoding again.

    A face overlapping one of the previous sampled frame is the same face. An unrecognised
    face is encoded again every RECHECK_UNKNOWN samples, as it may turn towards the camera.
    """
    best = max(tracks, key=lambda track: overlap(box, track.box), default=None)
    if best is None or overlap(box, best.box) < SAME_FACE_IOU:
        return None
    if best.match is None and sample - best.encoded_at >= RECHECK_UNKNOWN:
        return None
    return best


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

    A face that overlaps a face of the previous sampled frame is taken to be the same face and
    is not encoded again (see `follow`): encoding (~0.15 s a face) is the dearest step.
    In `first` mode the video is read only up to the first recognised face.
    Raises handler.video.UnreadableVideo for a file that is not a complete video.
    """
    finder = finder or face_finder(options.detection_height)
    result = Recognition()
    attendance = _Attendance()
    stats = DecodeStats()
    tracks: list[Track] = []
    started = time.perf_counter()
    finding = 0.0
    for sample, frame in enumerate(sample_frames(path, options.frames_per_second, stats)):
        tick = time.perf_counter()
        boxes = finder.locate(frame.image)
        result.faces_seen += len(boxes)
        followed = [follow(box, tracks, sample) for box in boxes]
        fresh = [i for i, track in enumerate(followed) if track is None]
        encoded = roster.match(finder.encode(frame.image, [boxes[i] for i in fresh]), options.tolerance) if fresh else []
        result.faces_encoded += len(fresh)
        by_index = dict(zip(fresh, encoded))
        tracks = [
            Track(box, by_index[i], sample) if track is None else Track(box, track.match, track.encoded_at)
            for i, (box, track) in enumerate(zip(boxes, followed))
        ]
        for track in tracks:
            if track.match is None:
                result.faces_unrecognised += 1
            else:
                attendance.add(track.match, frame.seconds)
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
