"""End-to-end fixtures: the local stack running the real handler on real data.

The stack (emulator, provisioning, worker processes) starts once per module: face
recognition on two cores is the slow part, and every test reads its own key prefix.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from classroom.emulator import EMULATOR_ENVIRONMENT
from classroom.local_stack import LocalStack, load_stack_config
from handler.faces.enrol import import_pickle


@pytest.fixture(scope="session")
def classroom_data(datasets: Path) -> Path:
    """../shared/datasets/classroom: eight videos, encoding.pickle, student_data.json, expected.csv."""
    return datasets / "classroom"


@pytest.fixture(scope="session")
def classroom_roster_file(classroom_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The original roster (encoding.pickle), imported with the handler's own safe importer."""
    path = tmp_path_factory.mktemp("roster") / "classroom-roster.npz"
    import_pickle(classroom_data / "encoding.pickle").save(path)
    return path


@pytest.fixture(scope="module")
def classroom_stack(classroom_data: Path, classroom_roster_file: Path) -> Iterator[LocalStack]:
    """The dev stack's names and settings, with the classroom roster and students swapped in."""
    config = load_stack_config("dev", roster_file=classroom_roster_file,
                               students_file=classroom_data / "student_data.json")
    with LocalStack.start(config, workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def cli_environment() -> dict[str, str]:
    """Environment for subprocesses: fake credentials only, never a real profile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({**EMULATOR_ENVIRONMENT, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return env
