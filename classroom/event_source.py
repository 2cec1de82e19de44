"""What Lambda does around the function, for the local stack and the tests: its SQS event
source mappings (messages of a queue → the event the function receives, and its answer → the
messages to keep), and its on-failure destination (the record of an upload event that failed
every try, sent to the failed-uploads queue).

As on AWS: a message the function reports in `batchItemFailures` (or all of the batch, when
the invocation fails) is not deleted and comes back after the queue's visibility timeout; the
queue's redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from classroom.worker import OUT_OF_MEMORY

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


def failed_invocation_record(event: Mapping[str, Any], error: str, tries: int, request_id: str,
                             function_arn: str, timestamp: str) -> dict[str, Any]:
    """What Lambda sends its on-failure destination when an asynchronous event failed every
    try: the event, and the last try's error as Lambda words it. The local worker's words
    (classroom.worker) are mapped to Lambda's: a timeout, a killed runtime (on Lambda, out of
    memory), an exception of the handler."""
    if error.startswith("Task timed out"):
        response = {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: {error}"}
    elif error.startswith(OUT_OF_MEMORY):
        response = {"errorType": "Runtime.OutOfMemory", "errorMessage": f"RequestId: {request_id} Error: {OUT_OF_MEMORY}"}
    elif error.startswith("worker process died"):
        killed = "exit code 137" in error or "exit code -9" in error
        said = "signal: killed" if killed else error
        response = {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {said}"}
    else:
        kind, _, message = error.partition(": ")
        response = {"errorType": kind if message else "Error", "errorMessage": message or error}
    return {
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {"requestId": request_id, "functionArn": f"{function_arn}:$LATEST",
                           "condition": "RetriesExhausted", "approximateInvokeCount": tries},
        "requestPayload": dict(event),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": response,
    }
