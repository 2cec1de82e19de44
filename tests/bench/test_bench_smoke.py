"""The benchmark still runs end to end (quick mode: one short clip, a 6-second long video; the
lecture section has its own test, test_lecture_smoke).

Checks the shape and sanity of the results, never the timings: those are measured, not
asserted. Needs ffmpeg for the original algorithm; without it the test fails and says
which setup step to run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_quick_benchmark_runs_and_reports(datasets: Path, tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed: run the benchmark's setup step, `sh setup-system.sh`")
    out = tmp_path / "results.json"
    env = {**os.environ, "SMART_CLASSROOM_DATASETS": str(datasets)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--skip-lecture", "--json", str(out)],  # test_lecture_smoke runs it
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Targets" in done.stdout
    results = json.loads(out.read_text())

    (video,) = results["videos"]
    assert video["video"] == "test_7.mp4"
    assert video["expected"] == "morgan_freeman"
    assert video["ours"]["answer"] == "morgan_freeman"
    assert video["baseline"]["answer"] == "morgan_freeman"
    assert video["same_answer"] is True
    assert video["floor"]["frame_index"] is not None
    for value in (video["ours"]["median"], video["baseline"]["median"], video["floor"]["median"],
                  video["speedup"], video["floor_ratio"]):
        assert _positive(value)
    summary = results["summary"]
    assert _positive(summary["median_speedup"]) and _positive(summary["median_floor_ratio"])

    long_video = results["long_video"]
    assert long_video["required"], "the quick long video must require someone"
    # everyone visible for 2 s is found, and nobody else
    assert (long_video["recall"], long_video["precision"]) == (1.0, 1.0), long_video.get("found")
    assert _positive(long_video["realtime_factor"]) and _positive(long_video["max_rss_mb"])
    assert long_video["frames_decoded"] == 180  # 6 s at 30 fps

    classroom = results["classroom"]
    assert classroom["wrong_names_any"] == []  # a stranger is never named
    assert classroom["score"]["required"] and classroom["cpus"] == len(os.sched_getaffinity(0))
    assert _positive(classroom["realtime_factor"]) and _positive(classroom["max_rss_mb"])

    assert {row["found"] for label, row in results["detector"]["costs"].items() if "whole frame" in label} >= {18}

    cold = results["cold_start"]
    for part in ("import_seconds", "roster_seconds", "models_seconds", "total_seconds"):
        assert _positive(cold[part])

    assert results["machine"]["pinned_cpu"] in os.sched_getaffinity(0)
    measured = [t for t in results["targets"] if not t["target"].startswith("lecture")]  # skipped here
    assert measured and all(t["met"] in (True, False) for t in measured)
    assert "lecture" not in results
