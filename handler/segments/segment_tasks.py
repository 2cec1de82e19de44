"""One segment of a split video as an SQS message, and back. Pure.

The message carries everything the segment needs (the video's bucket, key, ETag, the job and
the span), so a segment reads nothing but its job's status before it starts.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handler.events import BadRecord
from handler.segments.jobs import Job
from handler.video.timeline import Span

SQS_EVENT_SOURCE = "aws:sqs"


@dataclass(frozen=True)
class SegmentTask:
    """Segment `index` (of job.segments) of a job: the frames of `span`."""

    job: Job
    index: int
    span: Span

    def to_body(self) -> str:
        end = None if math.isinf(self.span.end) else self.span.end
        return json.dumps({"job": self.job.to_dict(), "index": self.index, "span": [self.span.start, end]},
                          ensure_ascii=False)

    @classmethod
    def from_body(cls, body: str) -> SegmentTask:
        try:
            document = json.loads(body)
            start, end = document["span"]
            return cls(Job.from_dict(document["job"]), int(document["index"]),
                       Span(float(start), math.inf if end is None else float(end)))
        except (ValueError, KeyError, TypeError) as error:
            raise BadRecord(f"the segment message is not one this function wrote: {error}") from None


@dataclass(frozen=True)
class SegmentRecord:
    """One SQS record of an event source mapping: the task and how often it was received."""

    message_id: str
    task: SegmentTask
    receive_count: int


def is_queue_event(event: Mapping[str, Any]) -> bool:
    """An event from one of the function's SQS event source mappings (else: S3's upload events)."""
    found = event.get("Records")
    return isinstance(found, list) and bool(found) and all(
        isinstance(record, Mapping) and record.get("eventSource") == SQS_EVENT_SOURCE for record in found)


def segment_record(record: Mapping[str, Any]) -> SegmentRecord:
    """Raises BadRecord for a record that is not a segment message."""
    attributes = record.get("attributes") or {}
    return SegmentRecord(str(record.get("messageId", "")), SegmentTask.from_body(str(record.get("body", ""))),
                         int(attributes.get("ApproximateReceiveCount", 1)))
