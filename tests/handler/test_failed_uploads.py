"""An upload whose every try was stopped (out of memory, out of time, a crash of the runtime)
cannot write its own report: Lambda's record of the failed invocation comes back through the
failed-uploads queue, and the function writes the upload's error report from it. Through moto:
real S3 events, a real SQS queue, the real handler."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handler import app
from handler.intake import uploads
from tests.handler.pipeline import Pipeline, lambda_context


def clip(datasets: Path, name: str) -> bytes:
    return (datasets / "classroom" / "videos" / name).read_bytes()


def lambda_record(event: dict[str, Any], error_type: str, error_message: str, *, tries: int = 3,
                  condition: str = "RetriesExhausted") -> dict[str, Any]:
    """An invocation record as Lambda sends it to an on-failure destination (the shape AWS
    documents under "Capturing records of Lambda asynchronous invocations")."""
    return {
        "version": "1.0",
        "timestamp": "2026-12-05T10:12:41.101Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:smart-classroom-dev:$LATEST",
            "condition": condition,
            "approximateInvokeCount": tries,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": error_type, "errorMessage": error_message},
    }


OUT_OF_MEMORY = ("Runtime.OutOfMemory",
                 "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Error: Runtime exited with error: signal: killed")


def test_an_upload_stopped_on_every_try_gets_a_report_that_says_why(classroom: Pipeline, datasets: Path) -> None:
    """Three tries killed for memory: the teacher gets a report and a message, not silence."""
    data = clip(datasets, "test_7.mp4")
    classroom.upload("week 2/whole class.mp4", data)
    [event] = classroom.events()  # Lambda's three tries ran out of memory: nothing was written

    answer = classroom.deliver_failed_uploads(lambda_record(event, *OUT_OF_MEMORY))

    assert answer["batchItemFailures"] == []
    assert classroom.output_keys() == ["week 2/whole class.error.json"]
    reason = ("the video cannot be handled: the function ran out of memory on each of its 3 tries; "
              "raise the stack's memorySize, or upload it at a lower resolution")
    assert json.loads(classroom.result("week 2/whole class.error.json")) == {
        "bucket": classroom.input_bucket, "key": "week 2/whole class.mp4", "error": reason,
        "request_id": "test-request",
    }
    head = classroom.s3.head_object(Bucket=classroom.output_bucket, Key="week 2/whole class.error.json")
    assert head["Metadata"]["video-key"] == "week%202/whole%20class.mp4"
    assert head["Metadata"]["video-size"] == str(len(data))
    [message] = classroom.messages()
    assert message.subject == "Attendance failed: week 2/whole class.mp4"
    assert message.body["error"] == reason
    # Delivered again (SQS delivers at least once): the same report, no second message.
    again = classroom.deliver_failed_uploads(lambda_record(event, *OUT_OF_MEMORY))
    assert [r["status"] for r in again["records"]] == ["handled"]
    assert classroom.messages() == []
    assert classroom.output_keys() == ["week 2/whole class.error.json"]


@pytest.mark.parametrize(
    ("error_type", "error_message", "condition", "reason"),
    [
        ("Sandbox.Timedout", "RequestId: 1d8e Error: Task timed out after 300.00 seconds", "RetriesExhausted",
         "the video cannot be handled: the function ran out of time on each of its 3 tries; raise the stack's "
         "timeout, or lower segmentSeconds"),
        ("Runtime.ExitError", "RequestId: 1d8e Error: Runtime exited with error: signal: segmentation fault",
         "RetriesExhausted",
         "the video could not be processed in 3 tries (Runtime.ExitError: RequestId: 1d8e Error: Runtime exited "
         "with error: signal: segmentation fault); upload it again, and tell the operator if this report comes "
         "back (the function's log has every try)"),
        ("", "", "EventAgeExceeded",
         "the video waited too long to be processed and was dropped (the function was busy or throttled): upload "
         "it again, and ask the operator to raise reservedConcurrency if this happens often"),
    ],
)
def test_each_way_a_try_can_end_has_its_own_words(classroom: Pipeline, error_type: str, error_message: str,
                                                  condition: str, reason: str) -> None:
    classroom.upload("lesson.mp4", b"the bytes do not matter: no try got far enough to read them")
    [event] = classroom.events()
    classroom.deliver_failed_uploads(lambda_record(event, error_type, error_message, condition=condition))
    assert json.loads(classroom.result("lesson.error.json"))["error"] == reason


def test_a_record_of_a_batch_reports_only_the_upload_that_never_got_its_result(
    classroom: Pipeline, datasets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 batched two uploads; one got its CSV, the other failed on every try (the whole event
    is retried and recorded): the CSV stays, the other upload gets the report."""
    classroom.upload("b/good.mp4", clip(datasets, "test_2.mp4"))
    classroom.upload("b/unlucky.mp4", clip(datasets, "test_8.mp4"))
    merged = {"Records": [r for event in classroom.events() for r in event["Records"]]}
    opened = uploads.S3VideoFile.open

    def throttled_for_one(s3: Any, video: Any, **kwargs: Any) -> Any:
        if video.key == "b/unlucky.mp4":
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}},
                              "GetObject")
        return opened(s3, video, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(uploads.S3VideoFile, "open", throttled_for_one)
        for _ in range(3):  # Lambda's three tries of the event
            with pytest.raises(RuntimeError, match="1 of 2 records failed and will be retried"):
                app.handler(merged, lambda_context())

    answer = classroom.deliver_failed_uploads(
        lambda_record(merged, "RuntimeError", "1 of 2 records failed and will be retried"))

    assert [(r["key"], r["status"]) for r in answer["records"]] == [("b/good.mp4", "handled"),
                                                                    ("b/unlucky.mp4", "error")]
    assert classroom.output_keys() == ["b/good.csv", "b/good.html", "b/unlucky.error.json"]
    assert [r["name"] for r in classroom.csv_rows("b/good.csv")] == ["mr_bean"]
    assert json.loads(classroom.result("b/unlucky.error.json"))["error"] == (
        "the video could not be processed in 3 tries (RuntimeError: 1 of 2 records failed and will be retried); "
        "upload it again, and tell the operator if this report comes back (the function's log has every try)")


def test_a_failed_older_upload_never_replaces_the_newer_uploads_result(classroom: Pipeline, datasets: Path) -> None:
    """The older upload of a key failed on every try while the newer one got its CSV: the
    record of the older one changes nothing."""
    classroom.upload("c/lesson.mp4", b"an older upload whose tries all crashed")
    [older] = classroom.events()
    classroom.upload("c/lesson.mp4", clip(datasets, "test_7.mp4"))
    [newer] = classroom.events()
    older["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E5"
    newer["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E6"
    app.handler(newer, lambda_context())

    answer = classroom.deliver_failed_uploads(lambda_record(older, *OUT_OF_MEMORY))

    assert [r["status"] for r in answer["records"]] == ["superseded"]
    assert classroom.output_keys() == ["c/lesson.csv", "c/lesson.html"]
    assert [r["name"] for r in classroom.csv_rows("c/lesson.csv")] == ["morgan_freeman"]


def test_a_message_that_is_no_record_of_ours_is_dropped_not_retried(classroom: Pipeline) -> None:
    """Garbage on the queue (nothing names a video) is logged and settled, never retried forever."""
    answer = classroom.deliver_failed_uploads({"requestContext": {}, "requestPayload": "not an event"})
    assert answer["batchItemFailures"] == [] and answer["records"] == []
    assert classroom.output_keys() == []
