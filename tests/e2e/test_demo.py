"""The README's "run it locally" command on a clean data folder: builds the demo data, passes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from classroom.results import load_expected
from handler.result_files import CSV_HEADER
from handler.roster import Roster

REPO = Path(__file__).resolve().parents[2]


def test_demo_builds_its_data_and_every_result_is_correct(cli_environment: dict[str, str], tmp_path: Path) -> None:
    data, summary_path = tmp_path / "demo", tmp_path / "summary.json"
    result = subprocess.run([sys.executable, "-m", "classroom", "demo", "--data", str(data),
                             "--json", str(summary_path)],
                            cwd=REPO, env=cli_environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(summary_path.read_text())
    counts = {k: summary[k] for k in ("sent", "received", "correct", "wrong", "missing", "errors")}
    assert counts == {"sent": 5, "received": 5, "correct": 5, "wrong": 0, "missing": 0, "errors": 0}
    assert "verdict           OK" in result.stdout
    # the whole class's attendance is shown: both students, Collins seen from 6 s (she comes in late)
    shown = result.stdout.split("demo/lecture_hall.csv:\n", 1)[1].splitlines()
    assert shown[0] == ",".join(CSV_HEADER)
    assert [line.split(",")[0] for line in shown[1:3]] == ["grace_hopper", "eileen_collins"]
    assert 6.0 <= float(shown[2].split(",")[3]) <= 7.0

    # The data set: two enrolled people, their records, and the scenes' expectations.
    assert Roster.load(data / "roster.npz").people == ["eileen_collins", "grace_hopper"]
    students = json.loads((data / "students.json").read_text())
    assert sorted(s["name"] for s in students) == ["eileen_collins", "grace_hopper"]
    expected = load_expected(data / "expected.csv")
    assert [name for name, _, _ in expected["hopper_then_collins.mp4"]] == ["grace_hopper", "eileen_collins"]
    assert expected["empty_room.mp4"] == []
    # the whole class: both students small among twelve strangers, Collins coming in late
    assert [name for name, _, _ in expected["lecture_hall.mp4"]] == ["grace_hopper", "eileen_collins"]
    assert sorted(p.name for p in (data / "videos").iterdir()) == sorted(expected)
