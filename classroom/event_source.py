"""What Lambda's SQS event source mapping does, for the local stack and the tests: messages of
the segment queue → the event the function receives, and its answer → the messages to keep.

As on AWS: a message the function reports in `batchItemFailures` (or all of the batch, when
the invocation fails) is not deleted and comes back after the queue's visibility timeout; the
queue's redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

RECEIVE_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp"]


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event an event source mapping hands the function for these received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(message["Body"].encode("utf-8")).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def messages_done(messages: Sequence[Mapping[str, Any]], ok: bool, response: Any) -> list[Mapping[str, Any]]:
    """The messages the mapping deletes: none when the invocation failed, else all but the
    ones the function listed as batch item failures."""
    if not ok:
        return []
    failed = set()
    if isinstance(response, Mapping):
        failed = {str(item.get("itemIdentifier")) for item in response.get("batchItemFailures") or []}
    return [message for message in messages if message["MessageId"] not in failed]
