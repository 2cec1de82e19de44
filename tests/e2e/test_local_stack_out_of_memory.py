"""Out of memory, through the local stack: the invoker holds each worker process to the
function's memorySize as Lambda holds a sandbox to it (a try over it is killed), Lambda's three
tries all fail, and its record of the failed upload comes back to the function, which writes
the upload's error report. Real handler, real S3 notifications, real SQS queues.

Why a fault is injected: the handler refuses, before decoding, frames its memory cannot hold
(tests/handler/test_bad_inputs.py), so a real video does not run out of memory unless that
estimate is wrong. This worker plays such a case: for one key it holds more memory than the
function has, as a video the estimate misjudged would."""
from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from classroom.invocations import FAILED_UPLOAD
from classroom.local_stack import LocalStack, load_stack_config
from tests.e2e.stacks import stack_running
from tests.e2e.test_local_stack_classroom import wait_for_object

MEMORY_MB = 1024

FAULTS = '''
import os, time
import numpy as np
from handler import app

def handler(event, context):
    record = (event.get("Records") or [{}])[0]
    if "greedy" in str(record.get("s3", {}).get("object", {}).get("key", "")):
        held = np.ones(int(context.memory_limit_in_mb) << 20, dtype=np.uint8)  # every page touched
        time.sleep(5)  # long enough for the invoker to see it
    return app.handler(event, context)
'''


@pytest.fixture(scope="module")
def small_stack(classroom_data: Path, classroom_roster_file: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    config = load_stack_config("dev", roster_file=classroom_roster_file,
                               students_file=classroom_data / "student_data.json")
    config = dataclasses.replace(config, memory_size=MEMORY_MB)
    with stack_running(config, "memory_faults", FAULTS, tmp_path_factory.mktemp("faults"), workers=2) as running:
        yield running


def test_an_upload_that_runs_out_of_memory_on_every_try_gets_a_report_and_its_neighbour_its_csv(
    small_stack: LocalStack, classroom_data: Path
) -> None:
    config, s3 = small_stack.config, small_stack.client("s3")
    video = (classroom_data / "videos" / "test_7.mp4").read_bytes()
    s3.put_object(Bucket=config.input_bucket, Key="week 4/greedy.mp4", Body=video)
    s3.put_object(Bucket=config.input_bucket, Key="week 4/fine.mp4", Body=video)

    report = json.loads(wait_for_object(s3, config.output_bucket, "week 4/greedy.error.json", timeout_s=180))

    assert report["key"] == "week 4/greedy.mp4"
    assert report["error"] == ("the video cannot be handled: the function ran out of memory on each of its 3 tries; "
                               "raise the stack's memorySize, or upload it at a lower resolution")
    csv = wait_for_object(s3, config.output_bucket, "week 4/fine.csv").decode()
    assert csv.splitlines()[1].startswith("morgan_freeman,")
    assert small_stack.invoker.wait_idle(timeout=60)
    listed = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=config.output_bucket)["Contents"])
    assert listed == ["week 4/fine.csv", "week 4/fine.html", "week 4/greedy.error.json"]
    # What happened on the way: three tries killed for memory, as Lambda kills them.
    [greedy] = [inv for inv in small_stack.invoker.invocations 
                if [unquote_plus(key) for key in inv.keys] == ["week 4/greedy.mp4"]]
    assert (greedy.ok, greedy.attempts) == (False, 3)
    assert greedy.error.startswith("Runtime exited with error: signal: killed (")
    assert greedy.error.endswith(f"MB in use; the function has {MEMORY_MB} MB)")
    # ...then Lambda's record of it, handed to the function from the failed-uploads queue.
    [reported] = [inv for inv in small_stack.invoker.invocations if inv.source == FAILED_UPLOAD]
    assert reported.ok and reported.result["batchItemFailures"] == []
    assert [(r["key"], r["status"], r["tries"]) for r in reported.result["records"]] == [
        ("week 4/greedy.mp4", "error", 3)]
    # The teacher was told, once (the inbox reads the topic's queue every second).
    time.sleep(3)
    messages = [m for m in small_stack.inbox.messages if m.body["video"]["key"] == "week 4/greedy.mp4"]
    assert [m.body["error"] for m in messages] == [report["error"]]
    # Nothing was left for an operator: the record was reported, not dead-lettered.
    dead = small_stack.client("sqs").receive_message(QueueUrl=small_stack.provisioned.dead_letter_url,
                                                     MaxNumberOfMessages=10)
    assert dead.get("Messages", []) == []
