"""A video file → the frames worth looking at, by their timestamps, decoded with PyAV.

PyAV (FFmpeg's libraries in its wheel, no ffmpeg process) is used instead of OpenCV because
it gives each frame's own timestamp (a stream's header rate is only a hint), lets the
decoder skip frames nothing else refers to (`skip_frame="NONREF"`: about half the decoding
work of a typical H.264 file with B-frames, none of the sampled instants lost; only when the
stream has frames to spare, SKIP_RATE_FACTOR) and hands
out the luma plane as a grey image without a colour conversion. Colour is converted only
for the frames in which a face is encoded.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import av
import numpy as np

from handler.video.timeline import WHOLE, Span, clock

VideoSource = Union[str, os.PathLike, io.RawIOBase]
"""A video file's path, or a seekable binary file with a `size` (handler.video.s3_video.S3VideoFile)."""

# A file whose stream stops this far before the length its container declares is truncated.
TRUNCATION_TOLERANCE_SECONDS = 1.0


class UnreadableVideo(ValueError):
    """The file is not a video that can be decoded (empty, another format, truncated)."""


@dataclass
class Frame:
    """One sampled frame: its number among the samples, its time, and its pixels."""

    sample: int
    seconds: float
    gray: np.ndarray
    _frame: av.VideoFrame | None = field(default=None, repr=False)
    _rgb: np.ndarray | None = field(default=None, repr=False)

    def rgb(self) -> np.ndarray:
        """The frame in RGB (what dlib's encoder reads), converted once, on first use, at the
        size of `gray`."""
        if self._rgb is None:
            if self._frame is None:
                raise ValueError("this frame has no colour")
            height, width = self.gray.shape[:2]
            self._rgb = _converted(self._frame, "rgb24", width, height)
        return self._rgb


READ_INTERPOLATION = "AREA"
"""How a frame is scaled down while it is converted: averaging, which keeps small faces' detail."""


def _converted(frame: av.VideoFrame, pixel_format: str, width: int, height: int) -> np.ndarray:
    """The frame as an array of `pixel_format`, scaled in the same pass when its size differs."""
    if (width, height) == (frame.width, frame.height):
        return frame.to_ndarray(format=pixel_format)
    return frame.to_ndarray(format=pixel_format, width=width, height=height, interpolation=READ_INTERPOLATION)


@dataclass
class DecodeStats:
    """How much of the video was decoded; filled in while frames are read."""

    frames_decoded: int = 0
    frames_sampled: int = 0
    declared_seconds: float | None = None  # the container's claim, a hint only
    last_seconds: float = 0.0  # timestamp of the last decoded frame
    indexed: bool = False  # the container indexes every packet, and the file holds them all
    width: int = 0  # the stream's frames
    height: int = 0
    read_width: int = 0  # the size they were read at (smaller when the memory cannot hold them)
    read_height: int = 0


class Sampler:
    """Which decoded frames to keep: the first frame at or after each instant k / rate.

    Works on timestamps, so variable frame rates, odd header rates and dropped frames
    all sample at the requested rate.
    """

    def __init__(self, frames_per_second: float, start: float = 0.0) -> None:
        self.period = 1.0 / frames_per_second
        # The instants are k / rate on the video's own clock, wherever reading starts, so a
        # segment samples exactly the frames that reading the whole video samples.
        self.next_instant = math.ceil(start / self.period - 1e-6) * self.period

    def wants(self, seconds: float) -> bool:
        if seconds + 1e-6 < self.next_instant:
            return False
        self.next_instant = (math.floor(seconds / self.period + 1e-6) + 1) * self.period
        return True


def _seconds(frame: av.VideoFrame, stream: av.video.stream.VideoStream, index: int) -> float:
    """A frame's time from its own timestamp; from its position when the stream gives none."""
    if frame.time is not None:
        return max(0.0, float(frame.time) - float(stream.start_time * stream.time_base if stream.start_time else 0))
    rate = stream.average_rate or stream.guessed_rate or 30
    return index / float(rate)


@dataclass(frozen=True)
class VideoFacts:
    """What the container says before any decoding: length (from its index where it has a
    stored one, else its header, a hint only), frame size, whether it is indexed."""

    duration: float | None
    width: int
    height: int


def probe(source: VideoSource) -> VideoFacts:
    """The video's length and frame size, from the container alone (one or two requests on S3).

    Raises UnreadableVideo as sample_frames does for a file that is not a complete video."""
    size = _size(source)
    with _open(source, size) as container:
        stream = _video_stream(container)
        _check_index(stream, size)
        _check_riff(_head(source), size)
        duration = None
        entries = stream.index_entries
        if len(entries) and _index_is_stored(container):  # the packets themselves, not a claim
            last = max(entry.timestamp for entry in entries[-64:])
            duration = float((last - (stream.start_time or 0)) * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        return VideoFacts(duration, stream.codec_context.width, stream.codec_context.height)


def sample_frames(
    source: VideoSource, frames_per_second: float, stats: DecodeStats | None = None,
    read_size: Callable[[int, int], tuple[int, int]] | None = None, span: Span = WHOLE,
) -> Iterator[Frame]:
    """Yield the sampled frames of `span` in order of time; the others are decoded only as far
    as needed. A span that starts later seeks to the keyframe before it (on S3, only the bytes
    from there are fetched) and drops the frames before its start.

    `read_size(width, height)` gives the size to read frames at (scaled down while they are
    converted) and may refuse the video from its stream's size, before decoding.
    Raises UnreadableVideo when the file cannot be opened or the span holds no decodable frame.
    """
    stats = stats if stats is not None else DecodeStats()
    size = _size(source)
    with _open(source, size) as container:
        stream = _video_stream(container)
        stats.indexed = _check_index(stream, size) and _index_is_stored(container)
        width, height = stream.codec_context.width, stream.codec_context.height
        wanted = read_size(width, height) if read_size is not None and width else None
        _check_riff(_head(source), size)
        if _frames_to_spare(stream, frames_per_second):
            stream.codec_context.skip_frame = "NONREF"
        stream.thread_type = "AUTO"
        if container.duration:
            stats.declared_seconds = container.duration / av.time_base
        if span.start > 0:
            offset = stream.start_time or 0
            container.seek(offset + int(span.start / stream.time_base), stream=stream, backward=True)
        sampler = Sampler(frames_per_second, span.start)
        in_span = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                seconds = _seconds(frame, stream, index)
                stats.frames_decoded += 1
                if seconds < span.start:  # the pre-roll from the keyframe before the span
                    continue
                if seconds >= span.end:
                    break
                in_span += 1
                stats.last_seconds = max(stats.last_seconds, seconds)
                if sampler.wants(seconds):
                    stats.width, stats.height = frame.width, frame.height
                    if wanted is None or (frame.width, frame.height) != (width, height):  # a size change mid-stream
                        width, height = frame.width, frame.height
                        wanted = read_size(width, height) if read_size is not None else (width, height)
                    gray = _converted(frame, "gray", *wanted)
                    stats.read_width, stats.read_height = wanted
                    yield Frame(stats.frames_sampled, seconds, gray, frame)
                    stats.frames_sampled += 1
        except av.error.FFmpegError as error:
            if stats.frames_decoded == 0:
                raise UnreadableVideo("no frame could be decoded (not a video, or truncated)") from None
            raise UnreadableVideo(
                f"the video is damaged or truncated after {clock(stats.last_seconds)} ({error.strerror})"
            ) from None
    if stats.frames_decoded == 0:
        raise UnreadableVideo("no frame could be decoded (not a video, or truncated)")
    if in_span == 0:
        raise UnreadableVideo(f"the video has no frame in {span.label}: it is shorter than it says, or truncated")


SKIP_RATE_FACTOR = 4.0
"""Frames nothing refers to are skipped only when the stream has at least this many frames per
sampled instant: an encoder puts at most three such frames in a row, so no instant goes without
a frame. A 2 frames/s camera sampled at 2 frames/s needs every frame it has."""


def _frames_to_spare(stream: av.video.stream.VideoStream, frames_per_second: float) -> bool:
    """Whether the stream's frame rate (a hint from the header) leaves frames to skip."""
    rate = stream.average_rate or stream.guessed_rate
    return bool(rate) and float(rate) >= SKIP_RATE_FACTOR * frames_per_second


def _size(source: VideoSource) -> int:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).stat().st_size
    return int(source.size)  # type: ignore[union-attr]


def _head(source: VideoSource, count: int = 12) -> bytes:
    """The file's first bytes (its magic and, for RIFF, its stated length)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read(count)
    position = source.tell()
    source.seek(0)
    head = source.read(count)
    source.seek(position)
    return head


def _open(source: VideoSource, size: int) -> av.container.InputContainer:
    if size == 0:
        raise UnreadableVideo("the object is empty (0 bytes)")
    try:
        target = str(source) if isinstance(source, (str, os.PathLike)) else source
        if not isinstance(target, str):
            target.seek(0)
        return av.open(target, metadata_errors="ignore")
    except av.error.FFmpegError:
        raise UnreadableVideo("it could not be opened as a video (not a video, or truncated)") from None


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise UnreadableVideo("the file holds no video stream")
    return container.streams.video[0]


def _check_index(stream: av.video.stream.VideoStream, file_size: int) -> bool:
    """Whether the container indexes its packets (MP4's moov, AVI's idx1, Matroska's cues at
    the start) and the file holds every one; raises UnreadableVideo when it does not.

    A file cut short while its index still describes the whole video decodes what is left
    without an error, so the index is compared with the file's size."""
    entries = stream.index_entries
    if not len(entries):
        return False
    described = max(entry.pos + entry.size for entry in entries[-64:])
    if described > file_size:
        raise UnreadableVideo(
            f"the video is truncated: its index describes {described:,} bytes but the file has {file_size:,}"
        )
    return True


def _index_is_stored(container: av.container.InputContainer) -> bool:
    """Whether the container's index was read from the file (MP4/MOV's moov, AVI's idx1), so it
    lists every packet; Matroska's demuxer also indexes the packets it has read so far, which
    says nothing of the ones a cut removed."""
    return bool({"mov", "mp4", "avi"} & set(container.format.name.split(",")))


def _check_riff(head: bytes, size: int) -> None:
    """An AVI (RIFF) file states its own length in its first 8 bytes: a shorter file was cut."""
    if len(head) == 12 and head[:4] == b"RIFF" and head[8:11] == b"AVI":
        stated = int.from_bytes(head[4:8], "little") + 8
        if stated > size:
            raise UnreadableVideo(f"the video is truncated: it states {stated:,} bytes but the file has {size:,}")


def check_complete(stats: DecodeStats) -> None:
    """Raise UnreadableVideo when the stream ended well before the length its container declares.

    Only for files without a complete index: with one, every packet is known to be there, and
    a header that claims more (an AVI saying 750,000 frames around a 5 s video) is a lie of
    the header, not a cut in the file."""
    declared = stats.declared_seconds
    if not stats.indexed and declared and stats.last_seconds < declared * 0.9 - TRUNCATION_TOLERANCE_SECONDS:
        raise UnreadableVideo(
            f"the video is truncated: it stops at {stats.last_seconds:.1f} s of the {declared:.1f} s it declares"
        )
