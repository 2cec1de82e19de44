"""Lambda's record of an upload event that failed all its tries, and what its report says. Pure.

An invocation Lambda stopped (out of memory, out of time, a crash of the runtime) cannot write
its own error report. After the last of its async tries Lambda sends an invocation record to
the function's on-failure destination, a queue the function consumes: the record holds the
original S3 event (`requestPayload`) and how the last try ended (`responsePayload`), enough to
write the report that says why in plain words. Its shape:

    {"version": "1.0", "timestamp": "...",
     "requestContext": {"requestId": "...", "functionArn": "...",
                        "condition": "RetriesExhausted" | "EventAgeExceeded", "approximateInvokeCount": 3},
     "requestPayload": {"Records": [... the S3 event ...]},
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
     "responsePayload": {"errorType": "Runtime.OutOfMemory", "errorMessage": "..."}}
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handler.events import BadRecord

RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED = "RetriesExhausted", "EventAgeExceeded"
OUT_OF_MEMORY_TYPES = ("Runtime.OutOfMemory",)
OUT_OF_MEMORY_MARKS = ("signal: killed", "Runtime.OutOfMemory", "out of memory")
TIMED_OUT_MARKS = ("Task timed out", "Sandbox.Timedout")
SHOWN_MESSAGE_CHARS = 300
"""An unexpected error's message is quoted in the report up to this length."""


@dataclass(frozen=True)
class FailedInvocation:
    """An upload event Lambda gave up on, and how its last try ended."""

    event: Mapping[str, Any]  # the S3 event as the function received it
    condition: str
    tries: int
    error_type: str
    error_message: str
    request_id: str


def is_failed_invocation(body: str) -> bool:
    """Whether an SQS message body is Lambda's invocation record (else: a segment message)."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and "requestContext" in document and "requestPayload" in document


def failed_invocation(body: str) -> FailedInvocation:
    """Raises BadRecord for a body that is not an invocation record of an event with Records."""
    try:
        document = json.loads(body)
        context = document["requestContext"]
        payload = document["requestPayload"]
        response = document.get("responsePayload")
        if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
            raise TypeError("its requestPayload is not an S3 event")
        response = response if isinstance(response, dict) else {"errorMessage": str(response or "")}
        return FailedInvocation(
            event=payload,
            condition=str(context.get("condition", RETRIES_EXHAUSTED)),
            tries=int(context.get("approximateInvokeCount") or 1),
            error_type=str(response.get("errorType") or ""),
            error_message=str(response.get("errorMessage") or ""),
            request_id=str(context.get("requestId") or ""),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadRecord(f"the message is not Lambda's record of a failed invocation: {error}") from None


def failure_reason(failed: FailedInvocation) -> str:
    """The report's words: what stopped every try, and what the uploader or operator can do."""
    tries = f"{failed.tries} {'try' if failed.tries == 1 else 'tries'}"
    said = f"{failed.error_type} {failed.error_message}"
    if failed.condition == EVENT_AGE_EXCEEDED:
        return ("the video waited too long to be processed and was dropped (the function was busy or throttled): "
                "upload it again, and ask the operator to raise reservedConcurrency if this happens often")
    if failed.error_type in OUT_OF_MEMORY_TYPES or any(mark in said for mark in OUT_OF_MEMORY_MARKS):
        return (f"the video cannot be handled: the function ran out of memory on each of its {tries}; "
                "raise the stack's memorySize, or upload it at a lower resolution")
    if any(mark in said for mark in TIMED_OUT_MARKS):
        return (f"the video cannot be handled: the function ran out of time on each of its {tries}; "
                "raise the stack's timeout, or lower segmentSeconds")
    shown = (failed.error_message or "no message")[:SHOWN_MESSAGE_CHARS]
    kind = failed.error_type or "error"
    return (f"the video could not be processed in {tries} ({kind}: {shown}); upload it again, and tell the "
            "operator if this report comes back (the function's log has every try)")
