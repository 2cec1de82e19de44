"""Shared fixtures: where the data sets are, and one moto server for the session."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from classroom.emulator import Emulator, running_emulator
from classroom.datasets import DatasetsMissing, datasets_dir

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared data sets: $SMART_CLASSROOM_DATASETS, or ../shared/datasets beside the repo."""
    try:
        return datasets_dir()
    except DatasetsMissing as missing:
        pytest.fail(str(missing))


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
