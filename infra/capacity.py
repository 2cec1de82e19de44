"""Capacity: the rules that tie the function's timeout and concurrency to the segments.

Each setting can be valid alone and the combination still fail only after an upload: a
timeout too short for one segment, or a reservation too small for the segment fan-out. The
planning rate and the receive limit come from the handler's segment contract.
"""
from __future__ import annotations

import math

from handler.segments.segment_contract import (
    PLANNED_SECONDS_PER_VIDEO_SECOND,
    PLANNING_ALLOWANCE_SECONDS,
    SEGMENT_MAX_RECEIVES,
)
from handler.settings import knobs
from infra.errors import ConfigError

SEGMENT_CONCURRENCY = (2, 1000)
"""What an SQS event source mapping's maximum concurrency may be."""


def minimum_timeout(segment_seconds: float) -> int:
    """The shortest function timeout that fits one segment: its planned compute time plus the
    allowance for opening the video, the roster, the merge and the result (rounded up)."""
    return math.ceil(segment_seconds * PLANNED_SECONDS_PER_VIDEO_SECOND + PLANNING_ALLOWANCE_SECONDS)


def check_segment_fits(timeout: int, segment_seconds: float) -> None:
    """One invocation processes one segment: a timeout shorter than a segment needs would
    fail every long video, segment by segment, only after the upload."""
    needed = minimum_timeout(segment_seconds)
    if timeout >= needed:
        return
    remedy = f"raise timeout to at least {needed}"
    longest = math.floor((timeout - PLANNING_ALLOWANCE_SECONDS) / PLANNED_SECONDS_PER_VIDEO_SECOND)
    shortest, _ = knobs()["segment_seconds"].bounds or (0, 0)
    if longest >= shortest:
        remedy += f" or lower segmentSeconds to at most {longest}"
    raise ConfigError(
        "timeout",
        f"{timeout} s is too short for one segment: segmentSeconds {segment_seconds:g} x "
        f"{PLANNED_SECONDS_PER_VIDEO_SECOND:g} s of compute per video second + {PLANNING_ALLOWANCE_SECONDS} s "
        f"= {needed} s; {remedy}",
    )


def check_reservation_holds_segments(reserved: int, segment_concurrency: int) -> None:
    """A reservation smaller than the segment fan-out throttles segment invocations: Lambda
    returns each throttled message to the queue, the receive counts toward the queue's
    maxReceiveCount, and the video ends in an error report. One more is for a planner."""
    if reserved == -1 or reserved >= segment_concurrency + 1:
        return
    remedies = [f"raise reservedConcurrency to at least {segment_concurrency + 1}"]
    if reserved - 1 >= SEGMENT_CONCURRENCY[0]:
        remedies.append(f"lower segmentConcurrency to at most {reserved - 1}")
    raise ConfigError(
        "reservedConcurrency",
        f"{reserved} cannot hold segmentConcurrency ({segment_concurrency}) plus one invocation that "
        f"plans a video: throttled segments return to the queue and fail after {SEGMENT_MAX_RECEIVES} "
        f"receives; {', '.join(remedies)}, or use -1 for no reservation",
    )
