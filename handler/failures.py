"""Every failure of a video, classified in one place: what the report says, and whether
retrying could help.

    bad input        not a video, truncated, damaged          → error report now
    over a limit     memory, time, length                     → error report now (names the setting)
    missing object   deleted before it was read               → error report now
    replaced         a newer upload of the key while reading  → nothing: the newer one gets the result
    bad roster       roster missing or unreadable             → retried (bounded), then a roster error report
    transient        AWS throttling, 5xx, network, anything else → raised, retried by Lambda or SQS
"""
from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from handler.video.frames import UnreadableVideo
from handler.video.limits import OverLimit

BAD_INPUT, OVER_LIMIT, MISSING, REPLACED, BAD_ROSTER, TRANSIENT = (
    "bad input", "over a limit", "missing object", "replaced", "bad roster", "transient")
MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
DENIED_CODES = {"AccessDenied", "403", "Forbidden"}
REPLACED_CODES = {"PreconditionFailed", "412"}


class RosterUnavailable(Exception):
    """The roster cannot be read: a fault of the deployment, not of the video (the message says why)."""


@dataclass(frozen=True)
class Failure:
    """What went wrong, in plain words, and what to do about it."""

    kind: str
    reason: str

    @property
    def retry(self) -> bool:
        """Whether another attempt could succeed (a roster can be fixed; AWS recovers)."""
        return self.kind in (BAD_ROSTER, TRANSIENT)

    @property
    def reported(self) -> bool:
        """Whether it ends (when no retry is left) in an error report; a replaced video does not."""
        return self.kind != REPLACED


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def classify(error: BaseException) -> Failure:
    """The Failure of an exception raised while reading or recognising a video."""
    if isinstance(error, OverLimit):
        return Failure(OVER_LIMIT, f"the video cannot be handled: {error}")
    if isinstance(error, UnreadableVideo):
        return Failure(BAD_INPUT, f"the file cannot be read as a video: {error}")
    if isinstance(error, MemoryError):
        return Failure(OVER_LIMIT, "the video cannot be handled: it needed more memory than the function has; "
                                   "raise the stack's memorySize, or upload it at a lower resolution")
    if isinstance(error, RosterUnavailable):
        return Failure(BAD_ROSTER, str(error))
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in MISSING_CODES:
            return Failure(MISSING, "the video was deleted before it could be read")
        if code in DENIED_CODES:  # S3's answer for a missing key when the reader may not list the bucket
            return Failure(MISSING, "the video cannot be read: it was deleted, or the function may not read it")
        if code in REPLACED_CODES:
            return Failure(REPLACED, "the video was replaced by a newer upload while it was read")
        return Failure(TRANSIENT, f"AWS error {code}: {error}")
    if isinstance(error, BotoCoreError):
        return Failure(TRANSIENT, f"AWS connection error: {error}")
    return Failure(TRANSIENT, f"{type(error).__name__}: {error}")
