"""Where the benchmark reads its data and writes its output."""
from __future__ import annotations

import csv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO_ROOT / "build" / "bench"


def expected_people(datasets: Path) -> dict[str, str]:
    """Video file name -> the person in it, from classroom/expected.csv."""
    with open(datasets / "classroom" / "expected.csv", newline="") as handle:
        return {row["video"]: row["name"] for row in csv.DictReader(handle)}
