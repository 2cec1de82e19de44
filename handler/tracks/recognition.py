"""A video file + a roster → who was present, from when to when. No AWS here.

    frames (sampled by timestamp, decoded in a thread of their own)
      → look: the whole frame, or only the regions that changed (tracking.ChangeWatch)
      → boxes (faces.FaceFinder: grey HOG at the scale of the smallest face, on every core)
      → tracks (tracking.Tracker: the same face from sample to sample, without re-encoding)
      → identities (identity: a few encodings per track, a name only on evidence)
      → presence per student (presence: first seen, last seen, seconds present)
"""
from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator

from handler.faces.detector import FaceFinder, face_finder
from handler.faces.evidence import face_crop, jpeg
from handler.faces.roster import Roster
from handler.settings import RecognitionSettings
from handler.tracks.identity import Vote
from handler.tracks.presence import NamedTrack
from handler.tracks.span_result import COUNTS, Recognition, SpanResult, merge
from handler.tracks.tracking import ChangeWatch, Track, Tracker
from handler.video.frames import DecodeStats, Frame, VideoSource, check_complete, probe, sample_frames
from handler.video.limits import Limits
from handler.video.timeline import WHOLE, Span, segments

COARSE_FACE_SHARE = 0.15
"""`first` mode looks for faces at least this share of the frame height first (a cheap
pass, ~35 ms at 1080p): a close-up is named without the expensive small-face scan."""
PREFETCH_FRAMES = 3
FINER_SCAN = (1.0, 0.88)
"""Full scans alternate between these shares of the smallest face size."""
MIN_SAMPLES = 4
"""However short the video's timeline (a 75-frame clip stamped at 1000 frames/s lasts 0.075 s),
at least this many instants are examined, and the encoding schedule is run as much faster, so
a student in it still gets the two encodings a name needs."""


def sampling_rate(frames_per_second: float, duration: float | None) -> float:
    """The rate a video is sampled at: the setting's, or faster when its timeline (`duration`:
    the last frame's time) holds fewer than MIN_SAMPLES of the setting's instants."""
    if duration and duration > 0 and math.floor(duration * frames_per_second + 1e-6) + 1 < MIN_SAMPLES:
        return (MIN_SAMPLES - 1) / duration  # instants 0, d/3, 2d/3, d for MIN_SAMPLES = 4
    return frames_per_second


def prefetched(frames: Iterator[Frame], depth: int = PREFETCH_FRAMES) -> Iterator[Frame]:
    """Decode in a thread of its own (FFmpeg releases the GIL) while faces are found in this one.

    Errors of the decoder come out here, in order; stopping early stops the decoder.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        slots.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as error:  # handed to the consumer, raised there
            slots.put(error)

    thread = threading.Thread(target=produce, name="decode", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                slots.get_nowait()
            except queue.Empty:
                thread.join(0.05)
        close = getattr(frames, "close", None)
        if close:
            close()


class _Clock:
    """Seconds spent per stage."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - since
        return now


def recognise_video(
    source: VideoSource,
    roster: Roster,
    settings: RecognitionSettings = RecognitionSettings(),
    finder: FaceFinder | None = None,
    limits: Limits | None = None,
) -> Recognition:
    """Follow every face of the video and name the ones the roster knows, on evidence.

    A video longer than `settings.segment_seconds` is read as the segments the fan-out would
    give it (handler.video.timeline.segments), one after another, and merged as they would be: the
    result does not depend on whether the segments ran here or in parallel invocations.
    In `first` mode the video is read only until the first student is named.
    Raises handler.video.frames.UnreadableVideo for a file that is not a complete video, and its
    kind handler.video.limits.OverLimit for one over the function's `limits` (memory, time).
    """
    duration = probe(source).duration
    spans = segments(duration, settings.segment_seconds)
    parts: list[SpanResult] = []
    for span in spans:
        parts.append(recognise_span(source, roster, settings, finder, limits, span, duration))
        if settings.mode == "first" and parts[-1].named:
            break
    return merge(parts, first_only=settings.mode == "first")


def recognise_span(
    source: VideoSource,
    roster: Roster,
    settings: RecognitionSettings = RecognitionSettings(),
    finder: FaceFinder | None = None,
    limits: Limits | None = None,
    span: Span = WHOLE,
    duration: float | None = None,
) -> SpanResult:
    """Follow every face of one span of the video, from fresh tracks, and name those the roster
    knows. `duration` (the video's, from handler.video.frames.probe) lets a very short one be sampled
    more densely (sampling_rate)."""
    finder = finder or face_finder()
    rate = sampling_rate(settings.frames_per_second, duration if span == WHOLE else None)
    pace = settings.frames_per_second / rate
    counts = dict.fromkeys(COUNTS, 0)  # the span's work, for its log line
    stats = DecodeStats()
    watch = ChangeWatch(settings.full_scan_seconds)
    tracker = Tracker()
    clock = _Clock()
    first_mode = settings.mode == "first"
    started = tick = time.perf_counter()
    examined = 0
    frames = sample_frames(source, rate, stats, limits.read_size if limits else None, span)
    # `first` mode stops early: decoding ahead in another thread would be wasted work there.
    for frame in frames if first_mode else prefetched(frames):
        tick = clock.add("decode_wait", tick)
        examined += 1
        if limits is not None:
            limits.check_time(frame.seconds)
        height = frame.gray.shape[0]
        min_face_px = settings.min_face_px(height)
        look = watch.look(frame.gray, frame.seconds)
        if look.full and first_mode and (not counts["full_scans"] or any(t.identity.fresh for t in tracker.live)):
            # A close-up is named from the cheap pass (and its second encoding) alone; the
            # expensive search for small faces comes when no large face is left to decide.
            boxes = finder.scan(frame.gray, max(min_face_px, COARSE_FACE_SHARE * height))
            if not boxes:
                boxes = finder.scan(frame.gray, min_face_px)
            counts["full_scans"] += 1
        elif look.full:
            # Every other full scan looks a little finer: the detector's cells then fall
            # differently on each face, so a face one scan misses the next one usually finds.
            boxes = finder.scan(frame.gray, min_face_px * FINER_SCAN[counts["full_scans"] % len(FINER_SCAN)])
            counts["full_scans"] += 1
        else:
            regions = look.regions([t.box for t in tracker.live])
            boxes = finder.scan_regions(frame.gray, regions, min_face_px)
            counts["region_scans"] += len(regions)
        on_screen = tracker.update(look, boxes, frame.seconds, lambda lost: finder.refind(frame.gray, lost))
        tick = clock.add("detect", tick)
        newly_named = _encode_due(on_screen, frame, roster, finder, settings, counts, pace)
        tick = clock.add("encode", tick)
        if first_mode and newly_named:
            break
    else:
        if math.isinf(span.end):  # only the last span can tell a cut from the declared length
            check_complete(stats)
    named = _named(tracker.tracks)
    if first_mode and named:  # the one student the mode promises: the surest of those named first
        named = [min(named, key=lambda track: track.distance)]
    counts.update(frames_decoded=stats.frames_decoded, frames_sampled=examined, faces_seen=len(tracker.tracks),
                  faces_unrecognised=sum(1 for t in tracker.tracks if t.identity.name is None))
    timings = {stage: round(seconds, 4) for stage, seconds in clock.spent.items()}
    timings["total"] = round(time.perf_counter() - started, 4)
    return SpanResult(
        span=span,
        sample_period=1.0 / rate,
        named=named,
        counts=counts,
        last_seconds=round(stats.last_seconds, 3),
        timings=timings,
        tracks=tracker.tracks,
        warnings=_read_smaller(stats, limits),
    )


def _read_smaller(stats: DecodeStats, limits: Limits | None) -> list[str]:
    """The warning a teacher sees when the frames were read smaller than they are."""
    if not stats.read_width or (stats.read_width, stats.read_height) == (stats.width, stats.height):
        return []
    memory = f"the function's {limits.memory_mb} MB of memory" if limits else "the memory"
    return [f"the video's {stats.width}x{stats.height} frames were read at {stats.read_width}x{stats.read_height}, "
            f"as much as {memory} can process: small faces may have been missed; raise the stack's memorySize "
            "to read them whole"]


def _encode_due(
    on_screen: list[Track], frame: Frame, roster: Roster, finder: FaceFinder,
    settings: RecognitionSettings, counts: dict[str, int], pace: float = 1.0,
) -> bool:
    """Encode the tracks whose next encoding is due; True when one of them was named now."""
    due = [t for t in on_screen if t.identity.due(frame.seconds, pace)]
    if not due:
        return False
    encodings = finder.encode(frame.rgb(), [t.box for t in due])
    counts["faces_encoded"] += len(due)
    named = False
    for track, nearest in zip(due, roster.nearest_two(encodings)):
        if settings.keeps_evidence and nearest.name is not None:
            track.keep_crop(nearest.name, nearest.distance, lambda: face_crop(frame.rgb(), track.box))
        vote = Vote(nearest, frame.seconds)
        named = track.identity.add(vote, settings.match_tolerance) is not None or named
    return named


def _named(tracks: list[Track]) -> list[NamedTrack]:
    """The tracks that earned a name, each with the JPEG of its face closest to that person."""
    named = []
    for t in tracks:
        if t.identity.name is None:
            continue
        kept = t.crops.get(t.identity.name)
        named.append(NamedTrack(t.identity.name, tuple(t.seen_at), t.identity.distance,
                                jpeg(kept[1]) if kept is not None else None))
    return named

