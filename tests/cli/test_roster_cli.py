"""The roster commands a teacher runs: outputs the handler can read, errors that name the photo."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from classroom.__main__ import cli
from handler.faces.roster import Roster


def test_build_writes_a_roster_of_the_enrolled_people(datasets: Path, tmp_path: Path) -> None:
    output = tmp_path / "roster.npz"
    result = CliRunner().invoke(cli, ["roster", "build", str(datasets / "faces" / "enroll"), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "5 people, 9 encodings" in result.output
    assert Roster.load(output).people == ["alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie"]


def test_import_pickle_then_show(datasets: Path, tmp_path: Path) -> None:
    output = tmp_path / "classroom.npz"
    runner = CliRunner()
    result = runner.invoke(cli, ["roster", "import-pickle", str(datasets / "classroom" / "encoding.pickle"), "-o", str(output)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["roster", "show", str(output)])
    assert shown.exit_code == 0
    assert "president_obama\t1" in shown.output.splitlines()
    assert len(shown.output.splitlines()) == 11


def test_build_names_the_wrong_photo(datasets: Path, tmp_path: Path) -> None:
    (tmp_path / "enroll" / "ann").mkdir(parents=True)
    (tmp_path / "enroll" / "ann" / "group.jpg").write_bytes((datasets / "faces" / "photos" / "two_people.jpg").read_bytes())
    result = CliRunner().invoke(cli, ["roster", "build", str(tmp_path / "enroll"), "-o", str(tmp_path / "r.npz")])
    assert result.exit_code == 1
    assert "ann/group.jpg: 2 faces found; each enrolment photo must show exactly one face" in result.output
    assert not (tmp_path / "r.npz").exists()


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for args in (["--help"], ["roster", "--help"], ["roster", "build", "--help"], ["roster", "import-pickle", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Usage:" in result.output, args
