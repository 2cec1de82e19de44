"""Where the benchmark reads its data and writes its output."""
from __future__ import annotations

import csv
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO_ROOT / "build" / "bench"


def datasets_dir() -> Path:
    """The shared data sets: $SMART_CLASSROOM_DATASETS, or ../shared/datasets beside the repo."""
    path = Path(os.environ.get("SMART_CLASSROOM_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
    if not (path / "classroom" / "expected.csv").is_file():
        raise FileNotFoundError(
            f"data sets not found at {path}: set SMART_CLASSROOM_DATASETS to the shared datasets folder"
        )
    return path.resolve()


def expected_people(datasets: Path) -> dict[str, str]:
    """Video file name -> the person in it, from classroom/expected.csv."""
    with open(datasets / "classroom" / "expected.csv", newline="") as handle:
        return {row["video"]: row["name"] for row in csv.DictReader(handle)}
