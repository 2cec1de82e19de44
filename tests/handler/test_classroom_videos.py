"""The eight classroom clips through the real handler: each CSV is the row expected.csv gives."""
from __future__ import annotations

from pathlib import Path

import pytest

from classroom.results import load_expected, parse_result_csv
from handler.results.result_files import CSV_HEADER
from tests.handler.pipeline import Pipeline


@pytest.mark.parametrize("mode", ["all", "first"])
def test_every_classroom_video_gives_the_expected_student(
    classroom: Pipeline, datasets: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOGNITION_MODE", mode)
    expected = load_expected(datasets / "classroom" / "expected.csv")
    assert len(expected) == 8
    for video in sorted(expected):
        classroom.upload(f"lectures/{video}", (datasets / "classroom" / "videos" / video).read_bytes())
    summaries = classroom.deliver()

    statuses = [record["status"] for summary in summaries for record in summary["records"]]
    assert statuses == ["ok"] * len(expected)
    assert classroom.output_keys() == sorted(f"lectures/{Path(v).stem}{suffix}" for v in expected for suffix in (".csv", ".html"))
    for video, rows in expected.items():
        key = f"lectures/{Path(video).stem}.csv"
        text = classroom.result(key).decode("utf-8")
        assert text.splitlines()[0] == ",".join(CSV_HEADER)
        assert parse_result_csv(text, key) == rows, video
        assert 0 <= float(classroom.csv_rows(key)[0]["match_distance"]) <= 0.6
