"""The table lookup at scale, and the one JSON log line per video that operators search."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from handler.attendance.students import fetch_students
from tests.handler.pipeline import Pipeline, PipelineFactory


def test_lookup_of_more_names_than_one_batch_holds(new_pipeline: PipelineFactory) -> None:
    students = [{"id": i, "name": f"student_{i:03d}", "major": "math", "year": str(2020 + i % 4)} for i in range(250)]
    pipeline = new_pipeline(students, None)
    wanted = [f"student_{i:03d}" for i in range(0, 250, 2)] + ["nobody", "student_000"]  # 125 present, 1 absent, 1 twice

    found = fetch_students(pipeline.dynamodb, pipeline.table, wanted)

    assert len(found) == 125
    assert "nobody" not in found
    assert found["student_042"] == {"name": "student_042", "major": "math", "year": "2022"}


def test_one_json_log_line_per_video(classroom: Pipeline, datasets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classroom.upload("logs/test_8.mp4", (datasets / "classroom" / "videos" / "test_8.mp4").read_bytes())
    classroom.upload("logs/junk.mp4", b"junk")
    capsys.readouterr()

    summaries = classroom.deliver()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # What the handler returns for each video is what its log line says, timings included.
    returned = [record for summary in summaries for record in summary["records"]]
    assert [{k: v for k, v in line.items() if k not in ("level", "message", "request_id")} for line in lines] == returned
    assert [(line["key"], line["level"]) for line in lines] == [("logs/test_8.mp4", "INFO"), ("logs/junk.mp4", "ERROR")]
    ok, rejected = lines
    assert ok["students"] == ["president_obama"]
    assert ok["mode"] == "all" and ok["request_id"] == "test-request"
    # 2 s at 30 fps: 4 frames examined; frames nothing refers to are skipped, never decoded
    assert ok["frames_sampled"] == 4 and ok["frames_sampled"] <= ok["frames_decoded"] <= 60
    assert ok["video_seconds"] == pytest.approx(2.0, abs=0.05)
    assert (ok["faces_seen"], ok["faces_unrecognised"], ok["full_scans"]) == (1, 0, 1)
    assert set(ok["timings"]) == {"roster", "open", "recognise", "course", "lookup", "upload"}
    assert set(ok["recognition_timings"]) == {"decode_wait", "detect", "encode", "total"}
    assert all(seconds >= 0 for seconds in [*ok["timings"].values(), *ok["recognition_timings"].values()])
    assert rejected["error"].startswith("the file cannot be read as a video")
    assert rejected["output_key"] == "logs/junk.error.json"


def test_on_lambda_the_runtime_formats_the_lines_with_the_fields_as_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """With Lambda's JSON log format the records go to the runtime's handler, fields as top-level keys."""
    import logging

    from handler import logs

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setattr(logs.log, "handlers", [])
    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        logs._configure()
        logs.log_json("INFO", "video processed", key="a.mp4", students=["ann"], name="clash")
    finally:
        logging.getLogger().removeHandler(keep)
        monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT")
        logs._configure()
    [record] = records
    assert (record.getMessage(), record.key, record.students) == ("video processed", "a.mp4", ["ann"])
    assert record.name == logs.LOGGER_NAME  # a field named like a record attribute is not forced onto it
