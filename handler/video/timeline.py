"""A video's timeline: time ranges (spans) and how a long video is cut into segments. Pure."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """The frames whose time t (seconds) satisfies start <= t < end; `end` may be infinite
    (to the end of the stream, whatever its header claims)."""

    start: float = 0.0
    end: float = math.inf

    def holds(self, seconds: float) -> bool:
        return self.start <= seconds < self.end

    @property
    def label(self) -> str:
        """`5:00-6:00` or `5:00-end`, as a teacher reads a time range."""
        return f"{clock(self.start)}-{'end' if math.isinf(self.end) else clock(self.end)}"


WHOLE = Span()


def clock(seconds: float) -> str:
    """A time in the video as a teacher reads it: `75.0` → `1:15`, `3725` → `1:02:05` (whole
    seconds, rounded down; reports, segment labels and the evidence page all use it)."""
    whole = max(0, math.floor(seconds + 1e-6))
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def segments(duration: float | None, segment_seconds: float) -> list[Span]:
    """The spans a video is processed in: one when it is no longer than a segment (or its
    length is unknown), else consecutive `segment_seconds` spans, the last one open-ended so
    that frames past the declared length are still read. A last piece shorter than a fifth
    of a segment joins the one before it."""
    if duration is None or duration <= segment_seconds:
        return [WHOLE]
    count = max(1, math.floor(duration / segment_seconds))
    if duration - count * segment_seconds >= segment_seconds / 5:
        count += 1
    starts = [i * segment_seconds for i in range(count)]
    return [Span(start, starts[i + 1] if i + 1 < count else math.inf) for i, start in enumerate(starts)]
