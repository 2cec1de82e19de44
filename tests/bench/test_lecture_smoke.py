"""The lecture section still runs end to end: a 1-minute 1080p lecture (2 frames/s) in 20 s
segments through the local stack with 1 and 2 workers, then the Lambda projection.

Checks what a reader of its report would check (the CSV names the students who were there
and nobody else, the late and the early one at the right times, the segment count, every
figure present and positive), never how fast: timings are measured, not asserted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.lecture_projection import project
from bench.results_table import targets

REPO_ROOT = Path(__file__).resolve().parents[2]
LECTURE_STUDENTS = sorted(["president_trump", "president_biden", "johnny_dep", "morgan_freeman", "president_obama",
                           "mr_bean", "kit_harington", "rose_leslie"])


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_a_one_minute_lecture_through_the_local_stack_reports_its_figures(datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "lecture.json"
    env = {**os.environ, "SMART_CLASSROOM_DATASETS": str(datasets)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.lecture", "--minutes", "1", "--segment-seconds", "20", "--fps", "2",
         "--json", str(out)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lecture = json.loads(out.read_text())

    assert lecture["truth_students"] == LECTURE_STUDENTS
    assert [run["workers"] for run in lecture["runs"]] == [1, 2]
    for run in lecture["runs"]:
        assert run["names"] == LECTURE_STUDENTS, run["errors"]  # everyone there, no stranger named
        assert run["score"]["wrong_names"] == [] and run["score"]["recall_required"] == 1.0
        rows = {row["name"]: row for row in run["csv_rows"]}
        assert abs(float(rows["morgan_freeman"]["first_seen_seconds"]) - 12.0) <= 2.0  # came in late
        assert abs(float(rows["president_biden"]["last_seen_seconds"]) - 45.0) <= 2.0  # left early
        assert all(row["major"] and row["year"] for row in run["csv_rows"])
        assert run["segments"] == 3 and run["segments_done"] >= 3
        assert run["segment_invocation_seconds"]["count"] >= 3
        for value in (run["wall_seconds"], run["planner_seconds"], run["merge_seconds"], run["max_rss_mb"],
                      run["segment_invocation_seconds"]["median"], run["segment_invocation_seconds"]["max"]):
            assert _positive(value)
    assert lecture["correct"] is True

    projection = lecture["projection"]
    ninety, three_hours = projection["lectures"]["90-minute"], projection["lectures"]["3-hour"]
    assert (ninety["segments"], ninety["rounds"]) == (45, 1)
    assert (three_hours["segments"], three_hours["rounds"]) == (90, 2)
    assert _positive(ninety["total_seconds"]) and three_hours["total_seconds"] > ninety["total_seconds"]
    for text in ("7. Lecture through the local stack", "1 worker(s):", "2 worker(s):", "rounds = ceil(45 / 50) = 1",
                 "rounds = ceil(90 / 50) = 2", "2 / 1.70", "goal: a 90-minute lecture's CSV within 120 s"):
        assert text in done.stdout
    lecture_targets = [t for t in targets({"lecture": lecture}) if t["target"].startswith("lecture")]
    assert len(lecture_targets) == 3 and all(t["met"] in (True, False) for t in lecture_targets)


def test_the_projection_writes_out_its_arithmetic() -> None:
    measured = {"planner_seconds": 1.0, "merge_seconds": 0.5, "segment_max": 12.0, "segment_median": 10.0,
                "segment_length": 120.0, "max_rss_mb": 800.0, "s3_mb_per_segment": 20.0}
    out = project(measured, stack_timeout=300, init_seconds=2.0)
    factor = 2 / (3008 / 1769)
    ninety = out["lectures"]["90-minute"]
    assert ninety["time_seconds"] == pytest.approx((1.0 + 12.0 + 0.5) * factor)  # planner + 1 round + merge
    assert ninety["ramp_seconds"] == pytest.approx((45 - 5) / 300 * 60)
    assert ninety["total_seconds"] == pytest.approx(ninety["time_seconds"] + ninety["ramp_seconds"] + 2.0)
    three = out["lectures"]["3-hour"]
    assert three["time_seconds"] == pytest.approx((1.0 + 2 * 12.0 + 0.5) * factor)
    assert out["goal_90_minutes_met"] and out["limits_3_hours_met"] and three["fits_smallest_timeout"]
    slow = project({**measured, "segment_max": 120.0}, stack_timeout=300)  # 1 s per second of video
    assert not slow["goal_90_minutes_met"] and not slow["lectures"]["3-hour"]["fits_smallest_timeout"]
    assert slow["limits_3_hours_met"]  # 142 s still fits the stack's 300 s
    assert not project({**measured, "segment_max": 300.0}, stack_timeout=300)["limits_3_hours_met"]
    few = project(measured, stack_timeout=300, also_concurrency=8)["lectures"]["90-minute"]  # the dev stack's
    assert few["also_total_seconds"] == pytest.approx((1.0 + 6 * 12.0 + 0.5) * factor + (8 - 5) / 300 * 60)
