"""Sending a split video's segments to the segment queue (SQS). The thin AWS edge."""
from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any

from handler.segments.segment_tasks import SegmentTask

BATCH = 10  # SQS's most messages per SendMessageBatch


@functools.lru_cache(maxsize=4)
def _queue_url(sqs: Any, name: str) -> str:
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def send_segments(sqs: Any, queue_name: str, tasks: Sequence[SegmentTask]) -> None:
    """One message per segment; entries SQS refuses are sent again, then it raises (so the
    upload's invocation is retried: sending twice is harmless, segments are idempotent)."""
    url = _queue_url(sqs, queue_name)
    for start in range(0, len(tasks), BATCH):
        entries = [{"Id": str(task.index), "MessageBody": task.to_body()} for task in tasks[start:start + BATCH]]
        for attempt in range(3):
            failed = {f["Id"] for f in sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])}
            entries = [entry for entry in entries if entry["Id"] in failed]
            if not entries:
                break
            time.sleep(0.1 * 2**attempt)  # SQS refuses entries when throttled: give it a moment
        if entries:
            raise RuntimeError(f"SQS refused {len(entries)} segment message(s) three times")
