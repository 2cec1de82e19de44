"""What one invocation can afford: the video's length, memory per frame, time. Pure.

Each limit is checked as early as its fact is known (the length and
the frame size when the container opens, the clock at every sampled frame), and a video over
one ends in an error report that names the limit and the stack setting that raises it,
never in a crash that Lambda would retry. Frames larger than the memory can process, but not
than the decoder can hold, are read smaller instead (Limits.read_size), with a warning.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from handler.video.frames import UnreadableVideo
from handler.video.timeline import clock

BYTES_PER_PIXEL = 160
"""Peak memory per pixel of a frame as it is processed: the decoded frames in flight, their grey
and colour copies, the copies enlarged for small faces (2.5x each way) and dlib's HOG pyramids
of them, one per detection thread. Measured (bench, classroom): 420 MB peak at 1920x1080, 106
MB of it before the first frame, so (420 - 106) MB / 2.07 Mpx = 159 bytes a pixel."""
DECODER_BYTES_PER_PIXEL = 24
"""Memory per pixel of the stream's own frames inside the decoder (its reference frames and one
frame per decoding thread), whatever size they are read at. Measured with PyAV on 2 cores:
11-15 bytes a pixel from 1920x1080 to 7680x4320; its frame threads grow with the vCPUs (up to
6 on Lambda), hence 24."""
BASE_MEMORY_MB = 150
"""What the process holds before the first frame (Python, NumPy, OpenCV, PyAV, dlib's models:
106 MB measured), with room to spare."""
FINISH_SECONDS = 10.0
"""Kept back from the deadline for the lookup and the result's upload."""


class OverLimit(UnreadableVideo):
    """The video is more than this function can handle; the message says which limit and how to raise it."""


@dataclass(frozen=True)
class Limits:
    """The function's means: memory (MB), the clock it must finish by (a time.monotonic value)."""

    memory_mb: int
    finish_by: float

    @classmethod
    def from_lambda(cls, memory_mb: int, remaining_ms: int) -> Limits:
        return cls(memory_mb, time.monotonic() + remaining_ms / 1000 - FINISH_SECONDS)

    @property
    def _spare_bytes(self) -> int:
        return max(0, self.memory_mb - BASE_MEMORY_MB) << 20

    def check_frame(self, width: int, height: int) -> None:
        """Refuse frames the decoder alone cannot hold in this memory (larger ones are read smaller)."""
        decoder = width * height * DECODER_BYTES_PER_PIXEL
        if decoder >= self._spare_bytes:
            raise OverLimit(
                f"its frames are {width}x{height} pixels ({width * height / 1e6:.1f} megapixels): decoding them "
                f"alone needs about {decoder / (1 << 20):,.0f} MB, more than the function's {self.memory_mb} MB of "
                "memory can spare; upload it at a lower resolution, or raise the stack's memorySize"
            )

    def read_size(self, width: int, height: int) -> tuple[int, int]:
        """The size frames of `width` x `height` are read at: their own when the memory holds them,
        else scaled down (while they are converted, never after) to what it holds. Raises
        OverLimit when the decoder alone cannot hold them (check_frame)."""
        self.check_frame(width, height)
        pixels = width * height
        room = (self._spare_bytes - pixels * DECODER_BYTES_PER_PIXEL) / BYTES_PER_PIXEL
        if pixels <= room:
            return width, height
        scale = math.sqrt(room / pixels)
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)

    def check_time(self, seconds_read: float) -> None:
        if time.monotonic() > self.finish_by:
            raise OverLimit(
                f"reading it would outlast the function's timeout: it stopped at {clock(seconds_read)} of the video; "
                "raise the stack's timeout (up to 900 s), or upload a shorter part"
            )


def check_length(duration: float | None, max_minutes: float) -> None:
    """Refuse a video longer than the stack accepts, before any work (a cap on what one upload costs)."""
    if duration is not None and duration > max_minutes * 60:
        raise OverLimit(
            f"it is {duration / 60:,.1f} minutes long and the stack accepts at most {max_minutes:g}; "
            "upload it in shorter parts, or raise the stack's maxVideoMinutes"
        )
