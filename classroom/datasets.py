"""Where the shared data sets are: one lookup for the tests, the benchmark and the demo."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_VARIABLE = "SMART_CLASSROOM_DATASETS"


class DatasetsMissing(FileNotFoundError):
    """The shared data sets are not where they are looked for (the message says where)."""


def datasets_dir() -> Path:
    """The shared data sets: $SMART_CLASSROOM_DATASETS, or ../shared/datasets beside the repository."""
    path = Path(os.environ.get(DATASETS_VARIABLE, REPO_ROOT.parent / "shared" / "datasets"))
    if not (path / "classroom" / "expected.csv").is_file():
        raise DatasetsMissing(f"data sets not found at {path}: set {DATASETS_VARIABLE} to the shared datasets folder")
    return path.resolve()
