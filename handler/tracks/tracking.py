"""Where to look, and which face is which between looks. Pure NumPy and OpenCV: no dlib, no AWS.

A classroom is mostly still. Each sampled frame is compared with a small reference picture;
only the regions that changed are searched again (cheap), the whole frame only at the start,
on a scene change and at intervals (expensive). Faces are followed as tracks: a track keeps
its box while nothing changes around it, is matched to the boxes found where something did,
and ends when it has not been found in several looks at its place.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from handler.faces.detector import Box, overlap
from handler.tracks.identity import Identity

THUMBNAIL_DIVISOR = 8
"""Change is measured on the grey frame shrunk by this factor (area averaging kills sensor noise)."""
CHANGE_LEVEL = 20.0
"""Grey levels a thumbnail pixel must move by to count as a change: more than a one-pixel
shift of most edges (contrast 160 / 8) or camera noise, less than a face coming or going."""
SETTLE_LOOKS = 3
"""A change is looked at in this many consecutive samples before it becomes the new normal:
a face missed by one detection (small faces are found in most frames, not all) gets more
chances, and a face that left is missed often enough for its track to end."""
DISTURBED_SHARE = 0.15
"""A known face is looked for again when this share of the cells of its box changed."""
KNOWN_FACE_REACH = 1.0
"""Changes within this many face sizes of a known face are that person moving, not a new face."""
SCENE_CHANGE_SHARE = 0.3
"""A change over this share of the picture (a camera move, lights) calls for a full scan."""
CUT_SHARE = 0.6
"""A change over this share of the picture at once is a cut (an edit, a switch of camera): no
face on screen before it is taken to be the same person after it, whatever its place."""
SECOND_SCAN_SECONDS = 2.0
"""The second full scan comes this soon after the first: one detection finds most small faces,
not all (the detector's cells fall differently on each frame), and a still face missed at the
start would otherwise wait a whole interval."""
REGION_MARGIN_SHARE = 0.04
"""A changed region is searched with this share of the frame height around it, so the whole
head is inside even when only part of it moved."""
SAME_FACE_IOU = 0.3
MISSES_TO_END = 3
"""A track ends after this many looks at its place that did not find it."""


@dataclass
class Look:
    """What changed in one sampled frame: everything (a full scan), or some thumbnail cells."""

    full: bool
    changed: np.ndarray | None = None  # thumbnail mask; None for a full look
    frame_height: int = 0
    frame_width: int = 0
    cut: bool = False  # the picture changed almost entirely: every track ends

    def _cells(self, box: Box, grow: float) -> tuple[slice, slice]:
        """The thumbnail cells of a face box grown by `grow` face sizes (twice that downwards:
        the shoulders move with the face)."""
        size = max(box[2] - box[0], box[1] - box[3])
        d = THUMBNAIL_DIVISOR
        top = max(0, int((box[0] - grow * size) // d))
        bottom = int((box[2] + 2 * grow * size) // d) + 1
        left = max(0, int((box[3] - grow * size) // d))
        right = int((box[1] + grow * size) // d) + 1
        return slice(top, bottom), slice(left, right)

    def disturbs(self, box: Box) -> bool:
        """Whether the picture changed enough at this face to look for it again."""
        if self.full:
            return True
        assert self.changed is not None
        cells = self.changed[self._cells(box, 0.0)]
        return cells.size > 0 and cells.mean() >= DISTURBED_SHARE

    def regions(self, known: list[Box]) -> list[Box]:
        """Frame regions to search for new faces: the changes that no known face explains."""
        if self.full or self.changed is None:
            return []
        unexplained = self.changed.copy()
        for box in known:
            unexplained[self._cells(box, KNOWN_FACE_REACH)] = False
        if not unexplained.any():
            return []
        margin = max(1, round(REGION_MARGIN_SHARE * self.frame_height / THUMBNAIL_DIVISOR))
        grown = cv2.dilate(unexplained.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8))
        count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(grown, connectivity=8)
        d = THUMBNAIL_DIVISOR
        return [
            (int(y) * d, min(self.frame_width, int(x + w) * d), min(self.frame_height, int(y + h) * d), int(x) * d)
            for x, y, w, h in (stats[label, :4] for label in range(1, count))
        ]


class ChangeWatch:
    """Decides each sample's Look from how the picture changed since it was last looked at."""

    def __init__(self, full_scan_seconds: float) -> None:
        """`full_scan_seconds`: the setting of that name (a full scan at least that often, for
        faces that turned towards the camera without moving)."""
        self.full_scan_seconds = full_scan_seconds
        self._reference: np.ndarray | None = None
        self._age: np.ndarray | None = None  # consecutive looks each cell has been changed
        self._last_full = -np.inf
        self._full_scans = 0

    @staticmethod
    def thumbnail(gray: np.ndarray) -> np.ndarray:
        height, width = gray.shape[:2]
        size = (max(1, width // THUMBNAIL_DIVISOR), max(1, height // THUMBNAIL_DIVISOR))
        return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)

    def look(self, gray: np.ndarray, seconds: float) -> Look:
        """What to search now. A cell that stays changed for SETTLE_LOOKS looks becomes the reference."""
        thumb = self.thumbnail(gray)
        height, width = gray.shape[:2]
        reference = self._reference
        interval = SECOND_SCAN_SECONDS if self._full_scans == 1 else self.full_scan_seconds
        if reference is None or reference.shape != thumb.shape or seconds - self._last_full >= min(interval, self.full_scan_seconds):
            return self._full(thumb, seconds, height, width)
        changed = np.abs(thumb - reference) > CHANGE_LEVEL
        if changed.mean() > SCENE_CHANGE_SHARE:
            return self._full(thumb, seconds, height, width, cut=bool(changed.mean() > CUT_SHARE))
        assert self._age is not None
        self._age = np.where(changed, self._age + 1, 0)
        settled = self._age >= SETTLE_LOOKS
        reference[settled] = thumb[settled]
        self._age[settled] = 0
        return Look(False, changed, height, width)

    def _full(self, thumb: np.ndarray, seconds: float, height: int, width: int, cut: bool = False) -> Look:
        self._reference = thumb
        self._age = np.zeros(thumb.shape, np.int32)
        self._last_full = seconds
        self._full_scans += 1
        return Look(True, None, height, width, cut=cut)


@dataclass
class Track:
    """One face followed through the video."""

    number: int
    box: Box
    identity: Identity = field(default_factory=Identity)
    seen_at: list[float] = field(default_factory=list)  # sample times it was on screen
    misses: int = 0
    ended: bool = False
    crops: dict[str, tuple[float, np.ndarray]] = field(default_factory=dict, repr=False)
    """Per person its encodings were nearest to: the closest distance and that moment's face."""

    def keep_crop(self, name: str, distance: float, crop: Callable[[], np.ndarray]) -> None:
        """Keep `crop()` as the evidence for `name` when this is the track's closest encoding to them."""
        if name not in self.crops or distance < self.crops[name][0]:
            self.crops[name] = (distance, crop())



class Tracker:
    """Keeps the tracks of one video up to date, one sampled frame at a time."""

    def __init__(self) -> None:
        self.tracks: list[Track] = []

    @property
    def live(self) -> list[Track]:
        return [t for t in self.tracks if not t.ended]

    def update(
        self, look: Look, boxes: list[Box], seconds: float,
        refind: Callable[[list[Box]], list[Box | None]] | None = None,
    ) -> list[Track]:
        """Match the boxes found to live tracks; returns the tracks on screen now.

        A track that no box matches but whose place changed is looked for near its place with
        `refind` (cheap, and small faces are not found in every frame) before it counts as a
        miss; a track whose place did not change is still there.
        """
        if look.cut:
            for track in self.live:
                track.ended = True
        live = self.live
        pairs = sorted(
            ((overlap(t.box, b), i, j) for i, t in enumerate(live) for j, b in enumerate(boxes)),
            reverse=True,
        )
        matched_tracks: set[int] = set()
        matched_boxes: set[int] = set()
        for iou, i, j in pairs:
            if iou < SAME_FACE_IOU:
                break
            if i in matched_tracks or j in matched_boxes:
                continue
            matched_tracks.add(i)
            matched_boxes.add(j)
            live[i].box = boxes[j]
            live[i].misses = 0
        unmatched = [t for i, t in enumerate(live) if i not in matched_tracks and look.disturbs(t.box)]
        refound = refind([t.box for t in unmatched]) if refind and unmatched else [None] * len(unmatched)
        for track, box in zip(unmatched, refound):
            if box is not None:
                track.box, track.misses = box, 0
            else:
                track.misses += 1
                if track.misses >= MISSES_TO_END:
                    track.ended = True
        for j, box in enumerate(boxes):
            if j not in matched_boxes:
                self.tracks.append(Track(len(self.tracks), box))
        on_screen = [t for t in self.live if t.misses == 0]
        for track in on_screen:
            track.seen_at.append(seconds)
        return on_screen
