"""The eight classroom clips through the real handler: each CSV is the row expected.csv gives."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.handler.conftest import Pipeline

EXPECTED_HEADER = ["name", "major", "year"]


def expected_rows(datasets: Path) -> dict[str, dict[str, str]]:
    with open(datasets / "classroom" / "expected.csv", newline="") as file:
        return {row["video"]: {k: row[k] for k in EXPECTED_HEADER} for row in csv.DictReader(file)}


@pytest.mark.parametrize("mode", ["all", "first"])
def test_every_classroom_video_gives_the_expected_student(
    classroom: Pipeline, datasets: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOGNITION_MODE", mode)
    expected = expected_rows(datasets)
    for video in sorted(expected):
        classroom.upload(f"lectures/{video}", (datasets / "classroom" / "videos" / video).read_bytes())
    summaries = classroom.deliver()

    assert len(summaries) == len(expected)
    for video, row in expected.items():
        key = f"lectures/{Path(video).stem}.csv"
        raw = classroom.result(key).decode("utf-8")
        assert raw.splitlines()[0].split(",")[:3] == EXPECTED_HEADER
        rows = classroom.csv_rows(key)
        assert [{k: r[k] for k in EXPECTED_HEADER} for r in rows] == [row], video
        assert 0 <= float(rows[0]["match_distance"]) <= 0.6
    assert classroom.output_keys() == sorted(f"lectures/{Path(v).stem}.csv" for v in expected)
    statuses = [record["status"] for summary in summaries for record in summary["records"]]
    assert statuses == ["ok"] * len(expected)
