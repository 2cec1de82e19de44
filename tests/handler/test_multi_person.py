"""Several people in one video: every enrolled one is reported, once, with their record."""
from __future__ import annotations

from pathlib import Path

from handler.faces.enrol import build_roster
from tests.handler.pipeline import PipelineFactory
from tests.handler.videos import still_video

STUDENTS = [
    {"id": 1, "name": "obama", "major": "law", "year": "senior"},
    {"id": 2, "name": "biden", "major": "history", "year": "junior"},
    {"id": 3, "name": "rose_leslie", "major": "drama", "year": "freshman"},
]


def test_obama_and_biden_are_both_reported_once(new_pipeline: PipelineFactory, datasets: Path, tmp_path: Path) -> None:
    pipeline = new_pipeline(STUDENTS, build_roster(datasets / "faces" / "enroll"))
    video = still_video(tmp_path / "pair.mp4", datasets / "faces" / "photos" / "obama_and_biden.jpg", seconds=3)
    pipeline.upload("debate.mp4", video.read_bytes())

    [summary] = pipeline.deliver()

    rows = pipeline.csv_rows("debate.csv")
    assert sorted((r["name"], r["major"], r["year"]) for r in rows) == [
        ("biden", "history", "junior"),
        ("obama", "law", "senior"),
    ]
    record = summary["records"][0]
    assert sorted(record["students"]) == ["biden", "obama"]
    # the photo holds a third, unenrolled face: three faces followed, that one named nobody;
    # each face encoded at most twice in 3 s (then followed without encoding)
    assert (record["faces_seen"], record["faces_unrecognised"]) == (3, 1)
    assert 3 <= record["faces_encoded"] <= 6
