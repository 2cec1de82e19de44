"""Shared fixtures: where the data sets are, and one moto server for the session."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from classroom.emulator import Emulator, running_emulator

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared data sets: $SMART_CLASSROOM_DATASETS, or ../shared/datasets beside the repo."""
    path = Path(os.environ.get("SMART_CLASSROOM_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
    if not (path / "classroom" / "expected.csv").is_file():
        pytest.fail(f"data sets not found at {path}: set SMART_CLASSROOM_DATASETS")
    return path


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto in server mode on 127.0.0.1; every boto3 client in the tests talks to it."""
    with running_emulator() as running:
        saved = {name: os.environ.get(name) for name in running.client_environment()}
        os.environ.update(running.client_environment())
        try:
            yield running
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
