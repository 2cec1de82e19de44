"""What one span of a video gave (named tracks and counts), as bytes a segment can store, and
the merge of a video's spans into one Recognition. Pure: no AWS, no decoder.

Merging is exact because presence is a set of sampled instants per student: the spans are
disjoint on the video's clock and sample the same instants reading the whole video would
(handler.video.frames.Sampler), so the union of their instants is the whole video's.
"""
from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from handler.tracks.presence import NamedTrack, Presence, presence
from handler.video.timeline import Span

COUNTS = ("frames_decoded", "frames_sampled", "faces_seen", "faces_unrecognised", "faces_encoded",
          "full_scans", "region_scans")
"""The work counts of a span, summed over a video's spans for its log line."""


@dataclass
class SpanResult:
    """One span's named tracks, work counts and timings; `tracks` (every face followed, for
    tests and the bench) stays in memory only."""

    span: Span
    sample_period: float  # seconds between two sampled instants (each stands for that long on screen)
    named: list[NamedTrack] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    last_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    tracks: list[Any] = field(default_factory=list, repr=False)
    warnings: list[str] = field(default_factory=list)  # for the teacher (e.g. frames read smaller)

    def to_bytes(self) -> bytes:
        """Compressed JSON: a 2-minute segment of 30 students is a few KB, plus ~3 KB of face
        crop per student (well within a DynamoDB item's 400 KB)."""
        document = {
            "span": [self.span.start, None if self.span.end == float("inf") else self.span.end],
            "sample_period": self.sample_period,
            "named": [[t.name, list(t.seen_at), t.distance, base64.b64encode(t.crop).decode("ascii") if t.crop else None]
                      for t in self.named],
            "counts": self.counts,
            "last_seconds": self.last_seconds,
            "timings": self.timings,
            "warnings": self.warnings,
        }
        return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"))

    @classmethod
    def from_bytes(cls, data: bytes) -> SpanResult:
        document = json.loads(zlib.decompress(data))
        start, end = document["span"]
        return cls(
            span=Span(start, float("inf") if end is None else end),
            sample_period=float(document["sample_period"]),
            named=[NamedTrack(name, tuple(seen_at), distance, base64.b64decode(crop) if crop else None)
                   for name, seen_at, distance, crop in document["named"]],
            counts={name: int(document["counts"].get(name, 0)) for name in COUNTS},
            last_seconds=float(document["last_seconds"]),
            timings={name: float(value) for name, value in document["timings"].items()},
            warnings=[str(warning) for warning in document.get("warnings", [])],
        )


@dataclass
class Recognition:
    """What one video held, and what it cost to find out."""

    present: list[Presence] = field(default_factory=list)
    frames_decoded: int = 0
    frames_sampled: int = 0
    faces_seen: int = 0  # faces followed (tracks)
    faces_unrecognised: int = 0  # tracks that earned no name
    faces_encoded: int = 0
    full_scans: int = 0
    region_scans: int = 0
    seconds: float = 0.0  # the video's length, from its last decoded frame
    spans: int = 1
    timings: dict[str, float] = field(default_factory=dict)
    tracks: list[Any] = field(default_factory=list, repr=False)  # every face followed
    warnings: list[str] = field(default_factory=list)  # for the teacher, once each

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.present]

    def log_fields(self) -> dict[str, Any]:
        """The counts for the video's log line."""
        fields = {name: value for name, value in asdict(self).items()
                  if name not in ("present", "tracks", "timings", "warnings")}
        return {**fields, "video_seconds": fields.pop("seconds"), "recognition_timings": self.timings}


def merge(parts: Sequence[SpanResult], first_only: bool = False) -> Recognition:
    """A video's spans (in any order) → its Recognition. With `first_only` (the `first` mode)
    only the student named earliest is kept, as reading the video from the start would."""
    ordered = sorted(parts, key=lambda part: part.span.start)
    named = [track for part in ordered for track in part.named]
    present = presence(named, min((part.sample_period for part in ordered), default=1.0))
    if first_only and present:
        present = [min(present, key=lambda p: (p.first_seen_seconds, p.distance))]
    result = Recognition(present=present, spans=len(ordered))
    for name in COUNTS:
        setattr(result, name, sum(part.counts.get(name, 0) for part in ordered))
    result.seconds = round(max((part.last_seconds for part in ordered), default=0.0), 3)
    for part in ordered:
        for stage, seconds in part.timings.items():
            result.timings[stage] = round(result.timings.get(stage, 0.0) + seconds, 4)
        result.tracks.extend(part.tracks)
        result.warnings.extend(warning for warning in part.warnings if warning not in result.warnings)
    return result
