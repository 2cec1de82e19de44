"""Whole lectures through the local stack (issue 9): split into segments that the worker
processes take from the segment queue as Lambda's event source mapping would, merged into one
CSV. Real handler, real S3 notifications, real SQS redelivery after a killed invocation."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from classroom.local_stack import LocalStack, load_stack_config
from classroom.people import STUDENTS, build_scene_roster
from classroom.scene import lecture_hall, write_scene
from classroom.scene_truth import students_records
from handler.attendance.sheet import attendance_sheet
from handler.results.result_files import attendance_csv
from handler.tracks.recognition import recognise_video
from infra.contract import jobs_table_name, segment_queue_attributes
from tests.e2e.stacks import stack_running
from tests.e2e.test_local_stack_classroom import wait_for_object
from tests.handler.videos import lecture_video

# Run in the worker processes instead of handler.app.handler: it kills the invocation of one
# segment mid-way on its first delivery, and delivers another segment's message twice.
FAULTS = '''
import json, os, threading
import boto3
from handler import app

def once(name):
    """True the first time any worker process asks (a marker file made exclusively)."""
    try:
        open(os.path.join(os.environ["FAULTS_DIR"], name), "x").close()
        return True
    except FileExistsError:
        return False

def handler(event, context):
    record = (event.get("Records") or [{}])[0]
    if record.get("eventSource") == "aws:sqs":
        body = json.loads(record["body"])
        index = body["index"]
        if "damaged" in body["job"]["key"] and index == 1:  # bytes the decoder cannot read, in 1:00-2:00
            from unittest import mock
            from handler.segments import segment_runs
            from handler.video.frames import UnreadableVideo
            damage = UnreadableVideo("the video is damaged after 1:12 (Invalid data found when processing input)")
            with mock.patch.object(segment_runs, "recognise_span", side_effect=damage):
                return app.handler(event, context)
        if index == 2 and once("duplicated"):  # SQS delivers at least once: the same segment again
            sqs = boto3.client("sqs")
            url = sqs.get_queue_url(QueueName=os.environ["SEGMENT_QUEUE"])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=record["body"])
        if index == 4 and once("killed"):  # out of memory, or the host went away, a second into the work
            threading.Timer(1.0, os._exit, (137,)).start()
    return app.handler(event, context)
'''


@pytest.fixture(scope="module")
def scene_files(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lecture-stack")
    roster = folder / "roster.npz"
    build_scene_roster(datasets).save(roster)
    students = folder / "students.json"
    students.write_text(json.dumps(students_records(list(STUDENTS))))
    return {"roster": roster, "students": students, "folder": folder}


@pytest.fixture(scope="module")
def ten_minute_lecture(datasets: Path, scene_files: dict[str, Path]) -> Path:
    """10 minutes of 1080p (5 frames/s): six students (32-72 px faces) and three strangers;
    one arrives at 2:30, one leaves at 7:00."""
    scene = lecture_hall(["president_trump", "president_biden", "johnny_dep", "president_obama", "mr_bean",
                          "morgan_freeman"], range(3), 600.0, late=[("morgan_freeman", 150.0)],
                         early=[("president_biden", 420.0)], seed=3)
    scene = dataclasses.replace(scene, fps=5, gop_seconds=4.0)
    path, _truth = write_scene(scene_files["folder"], "lecture", scene, datasets)
    return path


def stack_config(scene_files: dict[str, Path], name: str, **recognition: Any):
    """The dev stack's config under its own names (two local stacks share one moto process), with
    these recognition settings and the shortest timeout the stack accepts for their segments,
    so that a killed segment is back soonest."""
    config = load_stack_config("dev", roster_file=scene_files["roster"], students_file=scene_files["students"])
    settings = dataclasses.replace(config.recognition, **recognition)
    timeout = int(settings.segment_seconds * 0.25 + 30)
    return dataclasses.replace(config, stack=name, input_bucket=f"{name}-input", output_bucket=f"{name}-output",
                               roster_bucket=f"{name}-roster", students_table=f"{name}-students",
                               recognition=settings, timeout=timeout)


@pytest.fixture(scope="module")
def minute_segments_stack(scene_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    config = stack_config(scene_files, "lectures", segment_seconds=60.0)
    with stack_running(config, "segment_faults", FAULTS, tmp_path_factory.mktemp("faults"),
                       {"FAULTS_DIR": str(tmp_path_factory.mktemp("fault-markers"))},
                       workers=2, handler_logs=False) as running:
        yield running


def test_a_ten_minute_lecture_in_one_minute_segments_gives_the_csv_of_reading_it_whole(
    minute_segments_stack: LocalStack, ten_minute_lecture: Path, scene_files: dict[str, Path]
) -> None:
    stack = minute_segments_stack
    config, s3 = stack.config, stack.client("s3")
    s3.upload_file(str(ten_minute_lecture), config.input_bucket, "cse546/week 3/lecture.mp4")
    # Meanwhile, the same video read whole in this process, with the same settings.
    from handler.faces.roster import Roster

    whole = recognise_video(ten_minute_lecture, Roster.load(scene_files["roster"]), config.recognition)
    records = {r["name"]: {"major": r["major"], "year": r["year"]} for r in json.loads(scene_files["students"].read_text())}
    expected = attendance_csv(attendance_sheet("lecture.mp4", whole.present, records))
    visibility = segment_queue_attributes(config.timeout)["visibility_timeout"]
    body = wait_for_object(s3, config.output_bucket, "cse546/week 3/lecture.csv", timeout_s=240 + visibility)
    assert body.decode() == expected
    assert [p.name for p in whole.present] == ["johnny_dep", "mr_bean", "president_biden", "president_obama",
                                               "president_trump", "morgan_freeman"]
    # What happened on the way: 10 segments, one killed and redelivered, one delivered twice.
    # The copy may still be queued or running when the merge writes the CSV: let it finish.
    assert stack.invoker.wait_idle(timeout=120)
    segments = [inv for inv in stack.invoker.invocations if inv.segment]
    assert sum(1 for inv in segments if not inv.ok) == 1  # the killed one
    statuses = [r["status"] for inv in segments if inv.ok for r in inv.result["records"]]
    # 11 deliveries of 10 segments: the copy was skipped, or (when it came before the merge)
    # recomputed the same partial result; the merge happened once.
    assert statuses.count("skipped") + statuses.count("segment") == 11 and statuses.count("segment") >= 10
    assert statuses.count("ok") == 1
    listed = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=config.output_bucket)["Contents"])
    assert listed == ["cse546/week 3/lecture.csv", "cse546/week 3/lecture.html"]
    jobs = stack.client("dynamodb").scan(TableName=jobs_table_name(stack.config))["Items"]
    assert [item for item in jobs if item["sk"]["S"].startswith("segment#")] == []  # partial results removed


def test_a_segment_that_cannot_be_read_ends_the_video_in_an_error_report_naming_its_time(
    minute_segments_stack: LocalStack, datasets: Path, tmp_path: Path
) -> None:
    """A permanent fault in one segment (here injected in the worker: the decoder refusing its
    bytes) is not retried: the video gets one error report that names the segment's range."""
    stack = minute_segments_stack
    video = lecture_video(tmp_path / "damaged.mp4", datasets, [("test_7.mp4", 180.0)], fps=5, size=(320, 180))
    stack.client("s3").upload_file(str(video), stack.config.input_bucket, "cse546/damaged.mp4")
    body = wait_for_object(stack.client("s3"), stack.config.output_bucket, "cse546/damaged.error.json", timeout_s=120)
    assert json.loads(body)["error"] == ("the segment 1:00-2:00: the file cannot be read as a video: the video is "
                                         "damaged after 1:12 (Invalid data found when processing input)")
    assert stack.invoker.wait_idle(timeout=120)  # the other segments find the job failed: no CSV, no page
    listed = [item["Key"] for item in stack.client("s3").list_objects_v2(
        Bucket=stack.config.output_bucket, Prefix="cse546/damaged")["Contents"]]
    assert listed == ["cse546/damaged.error.json"]


def test_a_two_hour_low_resolution_video_completes(
    scene_files: dict[str, Path], datasets: Path, tmp_path: Path
) -> None:
    video = lecture_video(tmp_path / "two-hours.mp4", datasets, [("test_7.mp4", 7200.0)], fps=1, size=(320, 180),
                          gop_seconds=10.0)
    config = stack_config(scene_files, "two-hours", segment_seconds=600.0, frames_per_second=0.5)
    with LocalStack.start(config, workers=2, handler_logs=False) as stack:
        stack.client("s3").upload_file(str(video), config.input_bucket, "long/two-hours.mp4")
        body = wait_for_object(stack.client("s3"), config.output_bucket, "long/two-hours.csv", timeout_s=300)
        splits = [r for inv in stack.invoker.invocations if inv.ok and not inv.segment for r in inv.result["records"]]
    [row] = [line.split(",") for line in body.decode().splitlines()[1:]]
    name, _major, _year, first, last, present, _distance = row
    assert (name, float(first)) == ("morgan_freeman", 0.0)
    assert float(last) >= 7190.0 and float(present) >= 0.8 * 7200  # on screen throughout; a few samples missed at 320x180
    # moto sends two events for a multipart upload (Put and CompleteMultipartUpload; S3 sends
    # one): both plan the same job, and its 12 segments are sent once.
    assert {(r["status"], r["segments"]) for r in splits} == {("split", 12)}
    assert sum(1 for r in splits if r["sent"]) == 1
