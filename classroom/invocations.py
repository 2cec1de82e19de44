"""What the local invoker handles and what it makes of the handler's answer: S3 events in,
one outcome per message out. Pure: no processes, no AWS."""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus


UPLOAD, SEGMENT, FAILED_UPLOAD = "upload", "segment", "failed upload"
"""Where an invocation's event came from: S3, the segment queue, the failed-uploads queue."""


@dataclass
class Job:
    """One SQS message being processed; `attempt` counts from 1."""

    message_id: str
    receipt_handle: str
    event: dict
    attempt: int = 1
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    batch: list[dict] | None = None  # messages of a queue the function consumes (as received), not an S3 event
    batch_queue_url: str = ""  # where they came from (deleted there when done)


@dataclass
class Invocation:
    """The final outcome of one message: the handler's summary, or why it failed for good."""

    message_id: str
    keys: list[str]
    attempts: int
    ok: bool
    result: Any = None
    error: str = ""
    duration_s: float = 0.0
    source: str = UPLOAD  # UPLOAD (S3's event), SEGMENT or FAILED_UPLOAD (a queue's messages: SQS redelivers a failure)

    @property
    def segment(self) -> bool:
        return self.source == SEGMENT


@dataclass(frozen=True)
class VideoOutcome:
    """One record of a handler summary: its key, its result object, its status (`ok`: a CSV,
    `error`: an error report, `ignored`: not a video this stack handles) and the reason."""

    key: str
    output_key: str
    status: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def video_outcomes(summary: Any) -> list[VideoOutcome] | None:
    """The videos of the handler's summary (`{"records": [...]}`); None when it has no such list."""
    records = summary.get("records") if isinstance(summary, dict) else None
    if not isinstance(records, list):
        return None
    return [
        VideoOutcome(str(r.get("key", "?")), str(r.get("output_key", "?")), str(r.get("status", "?")),
                     str(r.get("error", "no reason given")))
        for r in records
        if isinstance(r, dict)
    ]


def tally(invocations: Sequence[Invocation]) -> str:
    """`3 video(s): 2 ok, 1 error report(s), 0 failed after retries` over the invocations so far."""
    statuses = [v.status for inv in invocations if inv.ok for v in (video_outcomes(inv.result) or [])]
    failed = sum(1 for inv in invocations if not inv.ok and inv.source == UPLOAD)
    return (f"{len(statuses) + failed} video(s): {statuses.count('ok')} ok, "
            f"{statuses.count('error')} error report(s), {failed} failed after retries")


def event_keys(event: Mapping[str, Any]) -> list[str]:
    """The object keys an S3 event names, as S3 sent them (URL-encoded); for a segment queue
    event, the video's key (encoded the same way)."""
    records = event.get("Records")
    if not isinstance(records, list):
        return []
    return [_segment_key(r) if r.get("eventSource") == "aws:sqs" else str(r.get("s3", {}).get("object", {}).get("key", "?"))
            for r in records if isinstance(r, dict)]


def _segment_key(record: Mapping[str, Any]) -> str:
    """A queue record's video: a segment's (`key [segment 2 of 10]`) or a failed upload's."""
    try:
        body = json.loads(record.get("body", ""))
        if "requestPayload" in body:
            keys = event_keys(body["requestPayload"])
            return ", ".join(keys) + " [failed upload]"
        return quote_plus(str(body["job"]["key"]), safe="/") + f" [segment {int(body['index']) + 1} of {body['job']['segments']}]"
    except (ValueError, KeyError, TypeError, AttributeError):
        return "?"


def display_keys(event: Mapping[str, Any]) -> str:
    """The keys decoded for people (the handler still gets them encoded, as S3 sent them)."""
    return ", ".join(unquote_plus(key) for key in event_keys(event)) or "(no records)"
