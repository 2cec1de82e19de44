"""The local invoker's Lambda-like semantics, with a stub handler so each case is quick.

What the stub sees is recorded to files: the event S3 produced (keys URL-encoded), the
environment (the Lambda's variables) and the context (a deadline). Failures are retried twice
then recorded, as Lambda's on-failure destination records them, in the failed-uploads queue that
the function consumes; a handler past its deadline is killed; neither stops the other videos.
"""
from __future__ import annotations

import dataclasses
import json
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from classroom.local_stack import LocalStack, load_stack_config
from infra.contract import lambda_environment
from tests.e2e.stacks import stack_running

STUB = textwrap.dedent('''
    import json, os, time
    from pathlib import Path
    from urllib.parse import unquote_plus
    import boto3

    LOG = Path(os.environ["STUB_LOG_DIR"])

    def handler(event, context):
        if event["Records"][0].get("eventSource") == "aws:sqs":  # Lambda's records of failed uploads
            for record in event["Records"]:
                failed = json.loads(record["body"])
                name = failed["requestPayload"]["Records"][0]["s3"]["object"]["key"]
                (LOG / f"failed-upload.{name}").write_text(record["body"])
            return {"batchItemFailures": []}
        raw = event["Records"][0]["s3"]["object"]["key"]
        key = unquote_plus(raw)
        name = key.replace("/", "_")
        attempt = len(list(LOG.glob(name + ".*.json"))) + 1
        (LOG / f"{name}.{attempt}.json").write_text(json.dumps({
            "raw_key": raw, "pid": os.getpid(),
            "environment": {k: os.environ.get(k) for k in
                            ("OUTPUT_BUCKET", "STUDENTS_TABLE", "ROSTER_URI", "JOBS_TABLE", "SEGMENT_QUEUE",
                             "RECOGNITION_MODE", "FRAMES_PER_SECOND", "MATCH_TOLERANCE", "MIN_FACE_PERCENT",
                             "FULL_SCAN_SECONDS", "SEGMENT_SECONDS", "MAX_VIDEO_MINUTES", "EVIDENCE", "NOTIFY_TOPIC",
                             "AWS_ENDPOINT_URL")},
            "function_name": context.function_name, "request_id": context.aws_request_id,
            "memory": context.memory_limit_in_mb, "remaining_ms": context.get_remaining_time_in_millis(),
        }))
        if "always-fails" in key:
            raise RuntimeError("the table is throttled")
        if "fails-twice" in key and attempt <= 2:
            raise RuntimeError("transient")
        if "too-slow" in key:
            time.sleep(60)
        boto3.client("s3").put_object(Bucket=os.environ["OUTPUT_BUCKET"], Key=key + ".done", Body=b"")
        return {"records": [{"key": key, "status": "ok", "output_key": key + ".done"}]}
''')


@pytest.fixture(scope="module")
def stub_stack(classroom_data: Path, classroom_roster_file: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    log_dir = tmp_path_factory.mktemp("stub-log")
    config = load_stack_config("dev", roster_file=classroom_roster_file,
                               students_file=classroom_data / "student_data.json")
    config = dataclasses.replace(config, timeout=3)
    with stack_running(config, "stub_handler", STUB, tmp_path_factory.mktemp("stub"),
                       {"STUB_LOG_DIR": str(log_dir)}, workers=2) as running:
        yield running, log_dir


def attempts(log_dir: Path, key: str) -> list[dict]:
    name = key.replace("/", "_")
    return [json.loads(p.read_text()) for p in sorted(log_dir.glob(name + ".*.json"))]


def finished(stack: LocalStack, key: str, timeout_s: float = 60):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        for invocation in stack.invoker.invocations:
            if [unquote_plus(k) for k in invocation.keys] == [key]:
                return invocation
        time.sleep(0.2)
    raise AssertionError(f"{key} was not finished within {timeout_s} s")


def test_the_handler_gets_the_s3_event_the_lambda_environment_and_a_deadline(stub_stack) -> None:
    stack, log_dir = stub_stack
    key = "room 7/math+physics.mp4"
    stack.client("s3").put_object(Bucket=stack.config.input_bucket, Key=key, Body=b"x")
    assert finished(stack, key).ok
    [seen] = attempts(log_dir, key)
    assert seen["raw_key"] != key and unquote_plus(seen["raw_key"]) == key  # encoded by S3, not by us
    assert seen["environment"] == {**lambda_environment(stack.config), "AWS_ENDPOINT_URL": stack.endpoint_url}
    assert 0 < seen["remaining_ms"] <= 3000
    assert seen["function_name"] == "smart-classroom-dev" and seen["memory"] == stack.config.memory_size


def failed_upload_record(log_dir: Path, key: str, timeout_s: float = 60) -> dict:
    """Lambda's record of the failed upload, as the function received it from the failed-uploads queue."""
    path = log_dir / f"failed-upload.{key}"
    end = time.monotonic() + timeout_s
    while not path.exists() and time.monotonic() < end:
        time.sleep(0.2)
    return json.loads(path.read_text())


def test_failures_are_retried_twice_then_handed_back_as_lambdas_record(stub_stack) -> None:
    stack, log_dir = stub_stack
    s3 = stack.client("s3")
    for key in ("always-fails.mp4", "fails-twice.mp4", "fine.mp4", "notes.txt"):
        s3.put_object(Bucket=stack.config.input_bucket, Key=key, Body=b"x")
    assert finished(stack, "fine.mp4").ok
    recovered = finished(stack, "fails-twice.mp4")
    assert (recovered.ok, recovered.attempts) == (True, 3)
    failed = finished(stack, "always-fails.mp4")
    assert (failed.ok, failed.attempts) == (False, 3) and "the table is throttled" in failed.error
    assert len({a["request_id"] for a in attempts(log_dir, "always-fails.mp4")}) == 3
    record = failed_upload_record(log_dir, "always-fails.mp4")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:smart-classroom-dev:$LATEST")
    assert [r["s3"]["object"]["key"] for r in record["requestPayload"]["Records"]] == ["always-fails.mp4"]
    assert record["responsePayload"] == {"errorType": "RuntimeError", "errorMessage": "the table is throttled"}
    assert not (log_dir / "failed-upload.fails-twice.mp4").exists()  # it succeeded on its third try
    assert stack.invoker.wait_idle(timeout=30)  # the record was settled: nothing goes on to the dead letters
    dead = stack.client("sqs").receive_message(QueueUrl=stack.provisioned.dead_letter_url, MaxNumberOfMessages=10)
    assert dead.get("Messages", []) == []
    assert attempts(log_dir, "notes.txt") == []  # not a video suffix: S3 never notified


def test_a_handler_past_its_deadline_is_killed_and_the_worker_replaced(stub_stack) -> None:
    stack, log_dir = stub_stack
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.config.input_bucket, Key="too-slow.mp4", Body=b"x")
    timed_out = finished(stack, "too-slow.mp4", timeout_s=90)
    assert not timed_out.ok and timed_out.error == "Task timed out after 3.00 seconds"
    assert len({a["pid"] for a in attempts(log_dir, "too-slow.mp4")}) == 3  # a fresh process each time
    record = failed_upload_record(log_dir, "too-slow.mp4")
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert record["responsePayload"]["errorMessage"].endswith("Task timed out after 3.00 seconds")
    s3.put_object(Bucket=stack.config.input_bucket, Key="after.mp4", Body=b"x")
    assert finished(stack, "after.mp4").ok
