"""Fixtures of the handler's tests: the original sample's roster and students, and fresh
pipelines in the emulator (tests/handler/pipeline.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from classroom.emulator import Emulator
from handler.faces.enrol import import_pickle
from handler.faces.roster import Roster
from tests.handler.pipeline import Pipeline, PipelineFactory, make_pipeline


@pytest.fixture(scope="session")
def classroom_roster(datasets: Path) -> Roster:
    return import_pickle(datasets / "classroom" / "encoding.pickle")


@pytest.fixture(scope="session")
def classroom_students(datasets: Path) -> list[dict[str, Any]]:
    return json.loads((datasets / "classroom" / "student_data.json").read_text())


@pytest.fixture
def new_pipeline(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PipelineFactory:
    """Make a pipeline and give this test the Lambda's environment for it."""

    def make(students: list[dict[str, Any]], roster: Roster | None) -> Pipeline:
        pipeline = make_pipeline(emulator, students, roster, tmp_path)
        for name, value in pipeline.environment.items():
            monkeypatch.setenv(name, value)
        return pipeline

    return make


@pytest.fixture
def classroom(new_pipeline: PipelineFactory, classroom_roster: Roster,
              classroom_students: list[dict[str, Any]]) -> Pipeline:
    """The original sample's roster (11 people) and student table (8 records)."""
    return new_pipeline(classroom_students, classroom_roster)
