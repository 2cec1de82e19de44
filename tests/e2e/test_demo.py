"""The README's "run it locally" command on a clean data folder: builds the demo data, passes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from classroom.results import load_expected
from handler.faces.roster import Roster

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
    # The whole class again as a video of cse546: its sheet, with Collins (seen from 6 s: she
    # comes in late) a visitor and Harington absent, and where its evidence page was saved.
    shown = result.stdout.split("attendance of cse546 from cse546/2026-12-04/lecture_hall.mp4:\n", 1)[1].splitlines()
    assert shown[0].split() == ["name", "attended", "enrolled", "first", "seen", "(s)", "last", "seen", "(s)",
                                "present", "(s)"]
    sheet = [line.split() for line in shown[1:4]]
    assert [row[:3] for row in sheet] == [["grace_hopper", "yes", "yes"], ["eileen_collins", "yes", "no"],
                                          ["kit_harington", "no", "yes"]]
    assert 6.0 <= float(sheet[1][3]) <= 7.0
    page = data / "pages" / "cse546--2026-12-04--lecture_hall.html"
    assert f"evidence page: {page.resolve()}" in result.stdout
    html = page.read_text()
    assert html.count("data:image/jpeg;base64,") == 2 and "kit_harington" in html
    assert "message to the teacher: Attendance ready (cse546: 1 of 2 present)" in result.stdout

    # The data set: three enrolled people (the third from the shared photos), their records and
    # courses, and the scenes' expectations.
    assert Roster.load(data / "roster.npz").people == ["eileen_collins", "grace_hopper", "kit_harington"]
    students = {s["name"]: s for s in json.loads((data / "students.json").read_text())}
    assert sorted(students) == ["eileen_collins", "grace_hopper", "kit_harington"]
    assert [students[n].get("courses") for n in sorted(students)] == [None, ["cse546"], ["cse546"]]
    expected = load_expected(data / "expected.csv")
    assert [name for name, _, _ in expected["hopper_then_collins.mp4"]] == ["grace_hopper", "eileen_collins"]
    assert expected["empty_room.mp4"] == []
    # the whole class: both students small among twelve strangers, Collins coming in late
    assert [name for name, _, _ in expected["lecture_hall.mp4"]] == ["grace_hopper", "eileen_collins"]
    assert sorted(p.name for p in (data / "videos").iterdir()) == sorted(expected)
