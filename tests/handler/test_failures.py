"""Every kind of failure, classified in one place: what the report says and whether to retry."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from handler.failures import (BAD_INPUT, BAD_ROSTER, MISSING, OVER_LIMIT, REPLACED, TRANSIENT, RosterUnavailable,
                              classify)
from handler.video.frames import UnreadableVideo
from handler.video.limits import OverLimit


def s3_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "GetObject")


@pytest.mark.parametrize(
    ("error", "kind", "retry", "reason"),
    [
        (UnreadableVideo("the object is empty (0 bytes)"), BAD_INPUT, False,
         "the file cannot be read as a video: the object is empty (0 bytes)"),
        (OverLimit("it is 300.0 minutes long"), OVER_LIMIT, False, "the video cannot be handled: it is 300.0 minutes long"),
        (MemoryError(), OVER_LIMIT, False, "the video cannot be handled: it needed more memory than the function has; "
                                           "raise the stack's memorySize, or upload it at a lower resolution"),
        (s3_error("NoSuchKey", 404), MISSING, False, "the video was deleted before it could be read"),
        (s3_error("404", 404), MISSING, False, "the video was deleted before it could be read"),
        # S3 answers a GET of a missing key with AccessDenied when the reader may not list the bucket.
        (s3_error("AccessDenied", 403), MISSING, False,
         "the video cannot be read: it was deleted, or the function may not read it"),
        (s3_error("PreconditionFailed", 412), REPLACED, False,
         "the video was replaced by a newer upload while it was read"),
        (RosterUnavailable("the roster s3://r/roster.npz is not a valid roster file: File is not a zip file"),
         BAD_ROSTER, True, "the roster s3://r/roster.npz is not a valid roster file: File is not a zip file"),
        (s3_error("SlowDown", 503), TRANSIENT, True, None),
        (s3_error("ProvisionedThroughputExceededException", 400), TRANSIENT, True, None),
        (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), TRANSIENT, True, None),
        (RuntimeError("anything unforeseen"), TRANSIENT, True, "RuntimeError: anything unforeseen"),
    ],
)
def test_each_failure_has_its_kind_its_reason_and_its_retry(error: BaseException, kind: str, retry: bool,
                                                            reason: str | None) -> None:
    failure = classify(error)
    assert (failure.kind, failure.retry) == (kind, retry)
    assert failure.reported is (kind != REPLACED)
    if reason is not None:
        assert failure.reason == reason
