"""Every bad input ends in exactly one result object that says what happened."""
from __future__ import annotations

import html
import json
import re
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest

from classroom.lambda_context import LambdaContext
from handler import app, aws
from handler.faces.roster import Roster
from handler.intake import uploads
from handler.results.result_files import CSV_HEADER
from handler.settings import SettingsError
from tests.handler.pipeline import Pipeline, PipelineFactory, lambda_context
from tests.handler.videos import claim_frames, clip_in_container, faceless_video, lecture_video, still_video

NOT_A_VIDEO = "the file cannot be read as a video: it could not be opened as a video (not a video, or truncated)"


def clip(datasets: Path, name: str) -> bytes:
    return (datasets / "classroom" / "videos" / name).read_bytes()


def error_report(pipeline: Pipeline, key: str) -> dict[str, object]:
    return json.loads(pipeline.result(key))


def test_empty_object_gets_an_error_report(classroom: Pipeline) -> None:
    classroom.upload("week1/empty.mp4", b"")
    [summary] = classroom.deliver()
    assert classroom.output_keys() == ["week1/empty.error.json"]
    assert error_report(classroom, "week1/empty.error.json") == {
        "bucket": classroom.input_bucket,
        "key": "week1/empty.mp4",
        "error": "the file cannot be read as a video: the object is empty (0 bytes)",
        "request_id": "test-request",
    }
    assert summary["records"][0]["status"] == "error"


def test_text_file_named_mp4_gets_an_error_report(classroom: Pipeline) -> None:
    classroom.upload("notes.mp4", b"minutes of the staff meeting\n" * 20)
    classroom.deliver()
    assert classroom.output_keys() == ["notes.error.json"]
    assert error_report(classroom, "notes.error.json")["error"] == NOT_A_VIDEO


def test_truncated_video_gets_an_error_report(classroom: Pipeline, datasets: Path) -> None:
    data = clip(datasets, "test_0.mp4")
    classroom.upload("cut.mp4", data[: len(data) // 2])
    classroom.deliver()
    assert classroom.output_keys() == ["cut.error.json"]
    assert error_report(classroom, "cut.error.json")["error"] == (
        "the file cannot be read as a video: the video is truncated: its index describes 320,617 bytes but the file has 161,294"
    )


def test_key_with_spaces_and_accents_is_decoded(classroom: Pipeline, datasets: Path) -> None:
    key = "Mathe Klasse/Übung é+1.mp4"
    classroom.upload(key, clip(datasets, "test_7.mp4"))
    [summary] = classroom.deliver()
    assert summary["records"][0]["key"] == key
    assert classroom.output_keys() == ["Mathe Klasse/Übung é+1.csv", "Mathe Klasse/Übung é+1.html"]
    rows = classroom.csv_rows("Mathe Klasse/Übung é+1.csv")
    assert [(r["name"], r["major"], r["year"]) for r in rows] == [("morgan_freeman", "math", "senior")]


def test_key_with_several_dots_keeps_them(classroom: Pipeline, datasets: Path) -> None:
    classroom.upload("2024.05.01.class.v2.mp4", clip(datasets, "test_4.mp4"))
    classroom.deliver()
    assert classroom.output_keys() == ["2024.05.01.class.v2.csv", "2024.05.01.class.v2.html"]
    assert [r["name"] for r in classroom.csv_rows("2024.05.01.class.v2.csv")] == ["johnny_dep"]


def test_faceless_video_gives_a_header_only_csv(classroom: Pipeline, tmp_path: Path) -> None:
    classroom.upload("empty-room.mp4", faceless_video(tmp_path / "v.mp4").read_bytes())
    [summary] = classroom.deliver()
    assert classroom.result("empty-room.csv").decode() == ",".join(CSV_HEADER) + "\n"
    record = summary["records"][0]
    assert (record["status"], record["faces_seen"], record["faces_unrecognised"], record["students"]) == ("ok", 0, 0, [])
    assert record["frames_sampled"] == 4


def test_unknown_face_gives_a_header_only_csv_and_counts_it(classroom: Pipeline, datasets: Path, tmp_path: Path) -> None:
    photo = datasets / "faces" / "enroll" / "kit_harington" / "john1.jpeg"  # not in the classroom roster
    classroom.upload("guest.mp4", still_video(tmp_path / "v.mp4", photo).read_bytes())
    [summary] = classroom.deliver()
    assert classroom.csv_rows("guest.csv") == []
    record = summary["records"][0]
    assert record["faces_seen"] >= 1
    assert record["faces_unrecognised"] == record["faces_seen"]


def test_student_missing_from_table_still_gets_a_row(
    new_pipeline: PipelineFactory, classroom_roster: Roster, classroom_students, datasets: Path
) -> None:
    students = [s for s in classroom_students if s["name"] != "morgan_freeman"]
    pipeline = new_pipeline(students, classroom_roster)
    pipeline.upload("test_7.mp4", clip(datasets, "test_7.mp4"))
    [summary] = pipeline.deliver()
    rows = pipeline.csv_rows("test_7.csv")
    assert [(r["name"], r["major"], r["year"]) for r in rows] == [("morgan_freeman", "", "")]
    assert summary["records"][0]["warnings"] == [f"morgan_freeman was recognised but is not in table {pipeline.table}"]


def test_missing_roster_is_retried_then_reported_as_a_roster_error(
    new_pipeline: PipelineFactory, classroom_students, datasets: Path
) -> None:
    """A roster fault is the deployment's: Lambda's two retries, then the report blames the roster."""
    pipeline = new_pipeline(classroom_students, None)
    pipeline.upload("test_7.mp4", clip(datasets, "test_7.mp4"))
    [event] = pipeline.events()
    for _ in range(uploads.ROSTER_ATTEMPTS - 1):
        with pytest.raises(RuntimeError, match="1 of 1 records failed and will be retried"):
            app.handler(event, lambda_context())
        assert pipeline.output_keys() == []
    app.handler(event, lambda_context())
    assert pipeline.output_keys() == ["test_7.error.json"]
    assert error_report(pipeline, "test_7.error.json")["error"] == (
        f"the roster {pipeline.config.roster_uri} does not exist; "
        "upload one built with `python -m classroom roster build` (tried 3 times)"
    )


def test_a_roster_broken_for_a_moment_never_fails_a_good_video(
    new_pipeline: PipelineFactory, classroom_roster: Roster, classroom_students, datasets: Path, tmp_path: Path
) -> None:
    pipeline = new_pipeline(classroom_students, classroom_roster)
    pipeline.s3.put_object(Bucket=pipeline.config.roster_bucket, Key=pipeline.config.roster_key, Body=b"PK\x03\x04garbage")
    aws.roster_cache.__init__()
    pipeline.upload("test_7.mp4", clip(datasets, "test_7.mp4"))
    [event] = pipeline.events()
    with pytest.raises(RuntimeError, match="will be retried"):
        app.handler(event, lambda_context())  # a corrupt zip: retried, no report
    pipeline.put_roster(classroom_roster, tmp_path)  # fixed before Lambda's retry
    app.handler(event, lambda_context())
    assert pipeline.output_keys() == ["test_7.csv", "test_7.html"]
    assert [r["name"] for r in pipeline.csv_rows("test_7.csv")] == ["morgan_freeman"]


def test_one_bad_record_does_not_stop_the_others(classroom: Pipeline, datasets: Path) -> None:
    classroom.upload("a/good.mp4", clip(datasets, "test_2.mp4"))
    classroom.upload("a/bad.mp4", b"not a video")
    classroom.upload("a/also-good.mp4", clip(datasets, "test_8.mp4"))
    events = classroom.events()
    merged = {"Records": [record for event in events for record in event["Records"]]}
    assert len(merged["Records"]) == 3

    summary = app.handler(merged, lambda_context())

    assert [r["status"] for r in summary["records"]] == ["ok", "error", "ok"]
    assert classroom.output_keys() == ["a/also-good.csv", "a/also-good.html", "a/bad.error.json", "a/good.csv", "a/good.html"]
    assert [r["name"] for r in classroom.csv_rows("a/good.csv")] == ["mr_bean"]
    assert [r["name"] for r in classroom.csv_rows("a/also-good.csv")] == ["president_obama"]


def test_aws_error_raises_for_retry_after_the_other_records(
    classroom: Pipeline, datasets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    classroom.upload("x/good.mp4", clip(datasets, "test_2.mp4"))
    classroom.upload("x/other.mp4", clip(datasets, "test_8.mp4"))
    merged = {"Records": [r for event in classroom.events() for r in event["Records"]]}
    monkeypatch.setenv("STUDENTS_TABLE", "no-such-table")  # every lookup fails: AWS says so
    capsys.readouterr()

    with pytest.raises(RuntimeError, match="2 of 2 records failed and will be retried"):
        app.handler(merged, lambda_context())
    assert classroom.output_keys() == []  # no half result: the retry will write it
    # each failure is one JSON line with the reason and the traceback an operator needs
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["message"], line["key"]) for line in lines] == [
        ("video failed, will be retried", "x/good.mp4"), ("video failed, will be retried", "x/other.mp4")]
    for line in lines:
        assert line["level"] == "ERROR" and line["errorType"] == "ResourceNotFoundException"
        assert any("in _sheet" in frame for frame in line["stackTrace"])  # looking the course and students up


def test_temporary_files_are_removed(classroom: Pipeline, datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "lambda-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    classroom.upload("ok.mp4", clip(datasets, "test_4.mp4"))
    classroom.upload("broken.mp4", b"\x00" * 1000)
    classroom.deliver()
    assert classroom.output_keys() == ["broken.error.json", "ok.csv", "ok.html"]
    assert list(scratch.iterdir()) == []


def test_missing_setting_names_the_variable(classroom: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTPUT_BUCKET")
    with pytest.raises(SettingsError, match="OUTPUT_BUCKET is not set"):
        app.handler({"Records": []}, lambda_context())


def test_new_roster_takes_effect_without_a_new_container(
    classroom: Pipeline, classroom_roster: Roster, datasets: Path, tmp_path: Path
) -> None:
    classroom.upload("before.mp4", clip(datasets, "test_7.mp4"))
    classroom.deliver()
    renamed = Roster(tuple("morgan_2" if n == "morgan_freeman" else n for n in classroom_roster.names),
                     np.array(classroom_roster.encodings))
    classroom.put_roster(renamed, tmp_path)
    classroom.upload("after.mp4", clip(datasets, "test_7.mp4"))
    classroom.deliver()
    assert [r["name"] for r in classroom.csv_rows("before.csv")] == ["morgan_freeman"]
    assert [r["name"] for r in classroom.csv_rows("after.csv")] == ["morgan_2"]


def test_a_new_upload_of_the_same_key_replaces_the_other_kind_of_result(classroom: Pipeline, datasets: Path) -> None:
    """A fixed re-upload leaves its CSV and not the old error report; a broken one the reverse."""
    classroom.upload("week2/lesson.mp4", b"not a video yet")
    classroom.deliver()
    assert classroom.output_keys() == ["week2/lesson.error.json"]
    classroom.upload("week2/lesson.mp4", clip(datasets, "test_7.mp4"))
    classroom.deliver()
    assert classroom.output_keys() == ["week2/lesson.csv", "week2/lesson.html"]
    assert [r["name"] for r in classroom.csv_rows("week2/lesson.csv")] == ["morgan_freeman"]
    classroom.upload("week2/lesson.mp4", b"")
    classroom.deliver()
    assert classroom.output_keys() == ["week2/lesson.error.json"]


def test_every_result_names_the_video_it_came_from(classroom: Pipeline, datasets: Path) -> None:
    """Two videos with one stem write one result key: its metadata says which video it is."""
    data = clip(datasets, "test_7.mp4")
    key = "Mathe Klasse/Übung.mp4"
    classroom.upload(key, data)
    classroom.deliver()
    head = classroom.s3.head_object(Bucket=classroom.output_bucket, Key="Mathe Klasse/Übung.csv")
    etag = classroom.s3.head_object(Bucket=classroom.input_bucket, Key=key)["ETag"].strip('"')
    assert head["Metadata"] == {
        "video-bucket": classroom.input_bucket,
        "video-key": "Mathe%20Klasse/%C3%9Cbung.mp4",
        "video-size": str(len(data)),
        "video-etag": etag,
    }
    classroom.upload("Mathe Klasse/Übung.mov", b"")
    classroom.deliver()
    error = classroom.s3.head_object(Bucket=classroom.output_bucket, Key="Mathe Klasse/Übung.error.json")
    assert error["Metadata"]["video-key"] == "Mathe%20Klasse/%C3%9Cbung.mov"


def test_a_camera_spelling_of_the_suffix_is_a_video_too(classroom: Pipeline, datasets: Path) -> None:
    """S3 matches suffixes case-sensitively; the stack registers every spelling, so `.MP4` counts."""
    classroom.upload("camera/DSC_0001.MP4", clip(datasets, "test_7.mp4"))
    classroom.upload("camera/notes.txt", b"not a video")
    classroom.deliver()
    assert classroom.output_keys() == ["camera/DSC_0001.csv", "camera/DSC_0001.html"]
    assert [r["name"] for r in classroom.csv_rows("camera/DSC_0001.csv")] == ["morgan_freeman"]


def test_the_stream_is_believed_over_a_header_that_claims_more(classroom: Pipeline, datasets: Path,
                                                              tmp_path: Path) -> None:
    """An AVI whose header claims 750,000 frames around a whole 5 s video is a video, not a cut one."""
    avi = claim_frames(clip_in_container(tmp_path / "lie.avi", datasets / "classroom/videos/test_7.mp4"), 750_000)
    classroom.upload("claims/long.avi", avi.read_bytes())
    classroom.deliver()
    assert classroom.output_keys() == ["claims/long.csv", "claims/long.html"]
    [row] = classroom.csv_rows("claims/long.csv")
    assert row["name"] == "morgan_freeman" and float(row["last_seen_seconds"]) >= 4.0


def test_a_clip_stamped_at_1000_frames_a_second_is_still_examined(classroom: Pipeline, datasets: Path,
                                                                    tmp_path: Path) -> None:
    """75 frames whose timestamps span 0.075 s: at 2 frames/s that would be one instant, too few
    for a name; a short timeline is sampled at least 4 times and its student named."""
    from classroom.scene import encode_h264

    with av.open(str(datasets / "classroom/videos/test_8.mp4")) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    video = encode_h264(tmp_path / "fast.mp4", (frames[i % len(frames)] for i in range(75)), fps=1000)
    classroom.upload("fast/obama.mp4", video.read_bytes())
    [summary] = classroom.deliver()
    [record] = summary["records"]
    assert record["frames_sampled"] >= 4 and record["video_seconds"] == pytest.approx(0.074, abs=0.002)
    [row] = classroom.csv_rows("fast/obama.csv")
    assert row["name"] == "president_obama" and float(row["seconds_present"]) <= 0.1


@pytest.mark.parametrize(("suffix", "reason"), [
    (".mkv", r"the video is truncated: it stops at 2\.\d s of the 5\.0 s it declares"),
    (".avi", r"the video is truncated: it states [\d,]+ bytes but the file has [\d,]+"),
])
def test_cut_files_without_an_index_up_front_are_reported(classroom: Pipeline, datasets: Path, tmp_path: Path,
                                                          suffix: str, reason: str) -> None:
    whole = clip_in_container(tmp_path / f"whole{suffix}", datasets / "classroom/videos/test_7.mp4").read_bytes()
    classroom.upload(f"cut{suffix}", whole[: len(whole) // 2])
    classroom.deliver()
    assert classroom.output_keys() == ["cut.error.json"]
    assert re.fullmatch("the file cannot be read as a video: " + reason, error_report(classroom, "cut.error.json")["error"])


def test_a_video_longer_than_the_stack_accepts_gets_a_report_before_any_work(
    classroom: Pipeline, datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """maxVideoMinutes caps what one upload can cost; the length comes from the container."""
    monkeypatch.setenv("MAX_VIDEO_MINUTES", "1")
    video = lecture_video(tmp_path / "long.mp4", datasets, [("test_7.mp4", 75.0)], fps=5, size=(320, 180))
    classroom.upload("long/lecture.mp4", video.read_bytes())
    [summary] = classroom.deliver()
    assert summary["records"][0]["status"] == "error"
    assert classroom.output_keys() == ["long/lecture.error.json"]
    assert error_report(classroom, "long/lecture.error.json")["error"] == (
        "the video cannot be handled: it is 1.2 minutes long and the stack accepts at most 1; "
        "upload it in shorter parts, or raise the stack's maxVideoMinutes")


def test_frames_larger_than_the_memory_can_process_are_read_smaller_and_the_teacher_is_told(
    classroom: Pipeline, datasets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1280x720 clip on a function of 256 MB: its frames are scaled down while they are
    converted, to what that memory can process; the student is still named, and the page and
    the log say the frames were read smaller."""
    classroom.upload("tiny-function/test_7.mp4", clip(datasets, "test_7.mp4"))
    events = classroom.events()
    context = LambdaContext.starting_now("smart-classroom-test", timeout_s=900, memory_mb=256)
    capsys.readouterr()
    summaries = [app.handler(event, context) for event in events]
    assert [r["status"] for s in summaries for r in s["records"]] == ["ok"]
    assert [r["name"] for r in classroom.csv_rows("tiny-function/test_7.csv")] == ["morgan_freeman"]
    warning = ("the video's 1280x720 frames were read at 994x558, as much as the function's 256 MB of memory can "
               "process: small faces may have been missed; raise the stack's memorySize to read them whole")
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "video processed" in line]
    assert line["warnings"] == [warning] and line["level"] == "WARNING"
    assert html.escape(warning) in classroom.result("tiny-function/test_7.html").decode()


def test_frames_the_decoder_alone_cannot_hold_get_a_report(classroom: Pipeline, datasets: Path, tmp_path: Path) -> None:
    """A 3840x2160 video on a function of 256 MB: refused from the stream's size, before decoding."""
    video = still_video(tmp_path / "uhd.mp4", datasets / "faces" / "enroll" / "kit_harington" / "john1.jpeg", seconds=1.0,
                        size=(3840, 2160))
    classroom.upload("tiny-function/uhd.mp4", video.read_bytes())
    events = classroom.events()
    context = LambdaContext.starting_now("smart-classroom-test", timeout_s=900, memory_mb=256)
    summaries = [app.handler(event, context) for event in events]
    assert [r["status"] for s in summaries for r in s["records"]] == ["error"]
    assert error_report(classroom, "tiny-function/uhd.error.json")["error"] == (
        "the video cannot be handled: its frames are 3840x2160 pixels (8.3 megapixels): decoding them alone needs "
        "about 190 MB, more than the function's 256 MB of memory can spare; upload it at a lower resolution, or "
        "raise the stack's memorySize")


def test_a_video_that_would_outlast_the_timeout_gets_a_report_before_lambda_kills_it(
    classroom: Pipeline, datasets: Path
) -> None:
    classroom.upload("slow/test_7.mp4", clip(datasets, "test_7.mp4"))
    events = classroom.events()
    context = LambdaContext.starting_now("smart-classroom-test", timeout_s=8)  # less than the 10 s kept back
    [summary] = [app.handler(event, context) for event in events]
    assert summary["records"][0]["status"] == "error"
    assert error_report(classroom, "slow/test_7.error.json")["error"] == (
        "the video cannot be handled: reading it would outlast the function's timeout: it stopped at 0:00 of "
        "the video; raise the stack's timeout (up to 900 s), or upload a shorter part")
