"""Long videos split into segments (issue 9), through moto: the planner's messages, the
segments handed to the handler as Lambda's SQS event source mapping would, one merge."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handler import app, aws
from handler.attendance.sheet import attendance_sheet
from handler.faces.roster import Roster
from handler.results.result_files import attendance_csv
from handler.segments.jobs import MERGED, Job, Jobs
from handler.segments.segment_contract import SEGMENT_ATTEMPTS
from handler.settings import load_settings
from handler.tracks.recognition import recognise_video
from tests.handler.pipeline import Pipeline, lambda_context
from tests.handler.videos import lecture_video

PARTS = [("test_0.mp4", 24.0), ("test_8.mp4", 26.0)]  # president_trump for 24 s, then president_obama
SEGMENT = "10"  # seconds: 50 s of video → 5 segments


@pytest.fixture(scope="module")
def lecture(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lecture_video(tmp_path_factory.mktemp("lecture") / "lecture.mp4", datasets, PARTS)


@pytest.fixture
def split(classroom: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.setenv("SEGMENT_SECONDS", SEGMENT)
    return classroom


def records_of(students: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {s["name"]: {"major": str(s["major"]), "year": str(s["year"])} for s in students}


def whole_csv(lecture: Path, roster: Roster, students: list[dict[str, Any]]) -> str:
    """The CSV of the same video read in one process from the file, with the same settings."""
    import os

    settings = load_settings(os.environ).recognition
    recognition = recognise_video(lecture, roster, settings)
    return attendance_csv(attendance_sheet("lecture.mp4", recognition.present, records_of(students)))


def segment_items(pipeline: Pipeline) -> list[dict[str, Any]]:
    table = pipeline.environment["JOBS_TABLE"]
    items = pipeline.dynamodb.scan(TableName=table)["Items"]
    return [item for item in items if item["sk"]["S"].startswith("segment#")]


def test_a_long_video_is_split_and_merged_into_the_csv_reading_it_whole_gives(
    split: Pipeline, lecture: Path, classroom_roster: Roster, classroom_students: list[dict[str, Any]]
) -> None:
    split.upload("week3/lecture.mp4", lecture.read_bytes())
    [summary] = [app.handler(event, lambda_context()) for event in split.events()]
    [planned] = summary["records"]
    assert (planned["status"], planned["segments"]) == ("split", 5)
    assert split.output_keys() == []  # nothing until every segment is in
    answers = split.deliver_segments()
    assert [a["batchItemFailures"] for a in answers] == [[]] * 5
    assert split.output_keys() == ["week3/lecture.csv", "week3/lecture.html"]
    text = split.result("week3/lecture.csv").decode()
    assert text == whole_csv(lecture, classroom_roster, classroom_students)
    rows = split.csv_rows("week3/lecture.csv")
    assert [r["name"] for r in rows] == ["president_trump", "president_obama"]
    trump, obama = rows
    # Presence spans the segment boundaries (10 s, 20 s, 30 s, 40 s): seen in one piece.
    assert float(trump["first_seen_seconds"]) <= 1.0 and 22.0 <= float(trump["last_seen_seconds"]) < 24.0
    assert 23.0 <= float(obama["first_seen_seconds"]) <= 25.5 and float(obama["last_seen_seconds"]) >= 49.0
    assert float(trump["seconds_present"]) >= 20.0 and float(obama["seconds_present"]) >= 22.0
    metadata = split.s3.head_object(Bucket=split.output_bucket, Key="week3/lecture.csv")["Metadata"]
    assert (metadata["video-key"], metadata["video-size"]) == ("week3/lecture.mp4", str(lecture.stat().st_size))
    assert segment_items(split) == []  # partial results removed after the merge


def test_a_duplicated_or_failed_segment_changes_nothing(
    split: Pipeline, lecture: Path, classroom_roster: Roster, classroom_students: list[dict[str, Any]]
) -> None:
    split.upload("lecture.mp4", lecture.read_bytes())
    [app.handler(event, lambda_context()) for event in split.events()]
    # Every segment message sent twice (SQS delivers at least once), and segment 2's first try fails.
    bodies = []
    while messages := split.sqs.receive_message(QueueUrl=split.segment_queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            split.sqs.delete_message(QueueUrl=split.segment_queue_url, ReceiptHandle=message["ReceiptHandle"])
    for body in bodies + bodies:
        split.sqs.send_message(QueueUrl=split.segment_queue_url, MessageBody=body)
    failed_once: list[int] = []

    def flaky(event: dict[str, Any], context: Any) -> Any:
        index = json.loads(event["Records"][0]["body"])["index"]
        if index == 2 and not failed_once:
            failed_once.append(index)
            raise MemoryError("killed")  # the invocation dies; the message comes back
        return app.handler(event, context)

    answers = split.deliver_segments(flaky)
    assert failed_once == [2] and len(answers) == 11
    assert split.output_keys() == ["lecture.csv", "lecture.html"]
    assert split.result("lecture.csv").decode() == whole_csv(lecture, classroom_roster, classroom_students)
    skipped = [r for a in answers if isinstance(a, dict) for r in a["records"] if r["status"] == "skipped"]
    assert len(skipped) >= 4 and {r["job_status"] for r in skipped} == {MERGED}  # the late copies did nothing
    assert segment_items(split) == []


def test_a_segment_that_keeps_failing_ends_the_video_in_an_error_report_naming_its_time(
    split: Pipeline, lecture: Path
) -> None:
    split.upload("lecture.mp4", lecture.read_bytes())
    [app.handler(event, lambda_context()) for event in split.events()]
    attempts: list[int] = []

    def dies_on_segment_3(event: dict[str, Any], context: Any) -> Any:
        record = event["Records"][0]
        if json.loads(record["body"])["index"] == 3 and int(record["attributes"]["ApproximateReceiveCount"]) <= SEGMENT_ATTEMPTS:
            attempts.append(int(record["attributes"]["ApproximateReceiveCount"]))
            raise MemoryError("killed")
        return app.handler(event, context)

    split.deliver_segments(dies_on_segment_3)
    assert attempts == [1, 2, 3]
    assert split.output_keys() == ["lecture.error.json"]
    report = json.loads(split.result("lecture.error.json"))
    assert report["error"] == ("the segment 0:30-0:40 failed 3 times: its invocation was stopped each time "
                               "(out of time or memory)")
    assert segment_items(split) == []


def test_a_roster_missing_for_a_moment_delays_a_segment_and_a_roster_missing_for_good_is_reported(
    split: Pipeline, lecture: Path, classroom_roster: Roster, tmp_path: Path
) -> None:
    split.upload("lecture.mp4", lecture.read_bytes())
    [app.handler(event, lambda_context()) for event in split.events()]
    split.s3.delete_object(Bucket=split.config.roster_bucket, Key=split.config.roster_key)
    aws.roster_cache.__init__()  # a new container: nothing cached
    first = split.deliver_segments(max_invocations=1)
    assert [a["batchItemFailures"] != [] for a in first] == [True]
    split.put_roster(classroom_roster, tmp_path)
    split.deliver_segments()
    assert split.output_keys() == ["lecture.csv", "lecture.html"]

    split.upload("gone.mp4", lecture.read_bytes())
    [app.handler(event, lambda_context()) for event in split.events()]
    split.s3.delete_object(Bucket=split.config.roster_bucket, Key=split.config.roster_key)
    aws.roster_cache.__init__()
    split.deliver_segments()
    assert json.loads(split.result("gone.error.json"))["error"] == (
        f"the segment 0:00-0:10 failed 3 times: the roster {split.config.roster_uri} does not exist; "
        "upload one built with `python -m classroom roster build`")


def test_a_video_replaced_while_its_segments_run_gives_only_the_new_videos_result(
    split: Pipeline, lecture: Path, datasets: Path
) -> None:
    split.upload("lecture.mp4", lecture.read_bytes())
    [app.handler(event, lambda_context()) for event in split.events()]  # planned: 5 segments of the old one
    replacement = (datasets / "classroom" / "videos" / "test_7.mp4").read_bytes()
    split.upload("lecture.mp4", replacement)  # a short one: processed directly
    split.deliver()
    assert split.output_keys() == ["lecture.csv", "lecture.html"]
    assert [r["name"] for r in split.csv_rows("lecture.csv")] == ["morgan_freeman"]
    metadata = split.s3.head_object(Bucket=split.output_bucket, Key="lecture.csv")["Metadata"]
    assert metadata["video-size"] == str(len(replacement))
    assert segment_items(split) == []


def test_the_older_upload_never_overwrites_the_newer_ones_result(split: Pipeline, datasets: Path) -> None:
    """Events arrive out of order: S3's sequencer, not arrival, says which upload is newer."""
    videos = datasets / "classroom" / "videos"
    split.upload("same.mp4", (videos / "test_0.mp4").read_bytes())
    [older] = split.events()
    split.upload("same.mp4", (videos / "test_8.mp4").read_bytes())
    [newer] = split.events()
    older["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E5"
    newer["Records"][0]["s3"]["object"]["sequencer"] = "0055AED6DCD90281E6"
    [result] = app.handler(newer, lambda_context())["records"]
    assert result["status"] == "ok"
    [stale] = app.handler(older, lambda_context())["records"]
    assert stale["status"] == "superseded"
    assert [r["name"] for r in split.csv_rows("same.csv")] == ["president_obama"]


def test_a_duplicated_upload_event_sends_the_segments_once(split: Pipeline, lecture: Path) -> None:
    split.upload("twice.mp4", lecture.read_bytes())
    [event] = split.events()
    first = app.handler(event, lambda_context())["records"][0]
    again = app.handler(event, lambda_context())["records"][0]  # S3 delivers at least once
    assert (first["status"], first["sent"], again["status"], again["sent"]) == ("split", True, "split", False)
    assert first["job"] == again["job"]
    answers = split.deliver_segments()
    assert len(answers) == 5
    assert split.output_keys() == ["twice.csv", "twice.html"]


def test_a_partial_result_larger_than_one_item_is_stored_in_pieces(split: Pipeline) -> None:
    """A class of 100 brings ~350 KB of face crops to a segment's partial result; an item holds 400 KB."""
    from handler.events import S3Location

    jobs = Jobs(split.dynamodb, split.environment["JOBS_TABLE"])
    job = Job(S3Location(split.input_bucket, "big-class.mp4"), "etag", 1, None, "0" * 32, 2)
    assert jobs.start(job)
    large = bytes(range(256)) * 3000  # 768,000 bytes: three pieces
    assert jobs.save_segment(job.id, 1, large) is False
    assert jobs.save_segment(job.id, 0, b"small") is True
    assert jobs.partials(job.id) == [b"small", large]
    assert len(segment_items(split)) == 4
    jobs.finish(job.id, MERGED)
    assert segment_items(split) == []
