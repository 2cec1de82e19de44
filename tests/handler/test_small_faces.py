"""A wide classroom shot: small real faces found, students named with their presence, strangers
never named; and the dlib the project builds answers as the prebuilt dlib-bin wheel does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classroom.people import build_scene_roster
from classroom.scene import Scene, Seat, write_scene
from classroom.scene import group_photo_video
from classroom.scene_truth import students_records
from handler.faces.detector import overlap
from handler.faces.roster import Roster
from handler.settings import RecognitionSettings
from handler.tracks.recognition import recognise_video
from tests.handler.pipeline import PipelineFactory

REPO_ROOT = Path(__file__).resolve().parents[2]
BANDS = {"<32 px": (0, 32), "32-39 px": (32, 40), ">=40 px": (40, 10_000)}


def band_of(height: int) -> str:
    return next(name for name, (low, high) in BANDS.items() if low <= height < high)


def test_real_small_faces_of_the_group_photos_are_found(datasets: Path, tmp_path: Path) -> None:
    """The 18 annotated faces of group-photos/ in a 1080p video, at their own size (37-90 px) and
    shrunk to 85 % and 75 % (28-68 px): every face of 40 px and more is found, at least 95 % of
    those of 32-39 px, and nothing that is not a face."""
    empty = Roster((), np.zeros((0, 128)))
    counts: dict[str, list[int]] = {band: [0, 0] for band in BANDS}
    false_boxes = 0
    for scale in (1.0, 0.85, 0.75):
        video, truth = group_photo_video(tmp_path / f"group-{scale}.mp4", datasets, scale)
        boxes = [track.box for track in recognise_video(video, empty, RecognitionSettings()).tracks]
        for face in truth:
            found = any(overlap(box, face) >= 0.3 for box in boxes)
            counts[band_of(face[2] - face[0])][0] += found
            counts[band_of(face[2] - face[0])][1] += 1
        false_boxes += sum(1 for box in boxes if not any(overlap(box, face) >= 0.3 for face in truth))
    print("group photos, faces found by height:", {band: f"{found}/{total}" for band, (found, total) in counts.items()})
    assert [total for _found, total in counts.values()] == [13, 21, 20]  # 54 faces in all
    assert counts[">=40 px"][0] == 20
    assert counts["32-39 px"][0] >= 0.95 * 21
    assert false_boxes == 0


# --- a generated classroom through the real handler ---------------------------------------------

CLASS_SECONDS = 12.0
SEATS = (
    Seat("grace_hopper", 0.12, 0.30, 40),
    Seat("president_trump", 0.40, 0.30, 48),
    Seat("kit_harington", 0.66, 0.50, 64),
    Seat("alex_lacamoire", 0.88, 0.75, 90),
    Seat("eileen_collins", 0.30, 0.55, 56, arrive=4.0),  # comes in late
    Seat("president_biden", 0.55, 0.78, 72, leave=7.0),  # leaves early
    # strangers, from 32 to 90 px
    Seat("stranger-0", 0.25, 0.22, 32), Seat("stranger-3", 0.55, 0.22, 37), Seat("stranger-4", 0.80, 0.24, 40),
    Seat("stranger-11", 0.10, 0.55, 45), Seat("stranger-12", 0.48, 0.52, 50), Seat("stranger-13", 0.85, 0.45, 60),
    Seat("stranger-15", 0.15, 0.80, 90), Seat("stranger-18", 0.35, 0.80, 76),
)


@pytest.fixture(scope="module")
def lecture_hall(datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("lecture-hall")
    scene = Scene(SEATS, seconds=CLASS_SECONDS)
    video, truth = write_scene(folder, "hall", scene, datasets)
    return {"video": video, "truth": truth, "roster": build_scene_roster(datasets),
            "students": students_records(truth.students)}


def test_a_wide_classroom_gives_every_student_with_presence_and_no_stranger(
    new_pipeline: PipelineFactory, lecture_hall: dict[str, Any]
) -> None:
    pipeline = new_pipeline(lecture_hall["students"], lecture_hall["roster"])
    pipeline.upload("cse546/hall.mp4", lecture_hall["video"].read_bytes())
    [summary] = pipeline.deliver()

    rows = pipeline.csv_rows("cse546/hall.csv")
    truth = lecture_hall["truth"]
    records = {s["name"]: s for s in lecture_hall["students"]}
    assert sorted(r["name"] for r in rows) == sorted(truth.students)  # all six students, no stranger
    for row in rows:
        assert (row["major"], row["year"]) == (records[row["name"]]["major"], records[row["name"]]["year"])
        arrive, leave = truth.presence(row["name"])
        first, last, present = (float(row[k]) for k in ("first_seen_seconds", "last_seen_seconds", "seconds_present"))
        assert arrive <= first <= arrive + 1.0, row  # seen within a second of sitting down
        assert leave - 1.0 <= last <= leave, row  # and until they leave
        assert present == pytest.approx(last - first + 0.5, abs=1.0), row
    by_name = {r["name"]: r for r in rows}
    assert float(by_name["eileen_collins"]["first_seen_seconds"]) >= 4.0  # the late arrival shows
    assert float(by_name["president_biden"]["last_seen_seconds"]) < 7.0  # so does the early leaver
    assert [r["name"] for r in rows][-1] == "eileen_collins"  # order of first appearance
    record = summary["records"][0]
    assert record["faces_unrecognised"] >= 7  # the strangers were followed, and named nobody


def test_first_mode_names_one_student_of_the_classroom(
    new_pipeline: PipelineFactory, lecture_hall: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = new_pipeline(lecture_hall["students"], lecture_hall["roster"])
    monkeypatch.setenv("RECOGNITION_MODE", "first")
    pipeline.upload("hall.mp4", lecture_hall["video"].read_bytes())
    [summary] = pipeline.deliver()
    [row] = pipeline.csv_rows("hall.csv")
    assert row["name"] in {s.person for s in SEATS if s.arrive == 0.0 and not s.person.startswith("stranger")}
    assert float(row["first_seen_seconds"]) == 0.0
    assert summary["records"][0]["frames_sampled"] <= 2  # it stopped as soon as it knew


def test_strangers_alone_are_never_named(datasets: Path, lecture_hall: dict[str, Any], tmp_path: Path) -> None:
    """Only strangers, at every size, for 20 s: nobody is reported, however often they are encoded."""
    strangers = tuple(Seat(f"stranger-{i}", 0.08 + (i % 6) * 0.165, 0.22 + (i // 6) * 0.22, size)
                      for i, size in zip(range(19), (32, 36, 40, 44, 48, 56, 64, 72, 80, 90) * 2))
    video, _truth = write_scene(tmp_path, "strangers", Scene(strangers, seconds=20.0, seed=3), datasets)
    result = recognise_video(video, lecture_hall["roster"], RecognitionSettings())
    assert result.names == []
    assert result.faces_seen >= 15 and result.faces_encoded >= 2 * result.faces_seen


def test_our_dlib_answers_as_the_prebuilt_wheel_does(datasets: Path) -> None:
    """dlib compiled against OpenBLAS for AVX2 (Makefile, Dockerfile) and the dlib-bin wheel find the
    same faces and compute the same encodings, so rosters made with either stay valid."""
    prebuilt = Path(sys.prefix) / "dlib-bin"
    if not (prebuilt / "dlib").is_dir():
        pytest.fail(f"the dlib-bin wheel is not installed in {prebuilt}: run `make setup`")

    def answers(extra_path: str | None) -> dict[str, Any]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (extra_path, str(REPO_ROOT)) if p)}
        done = subprocess.run([sys.executable, "-m", "tests.handler.dlib_answers", str(datasets)], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    ours, theirs = answers(None), answers(str(prebuilt))
    assert str(prebuilt) in theirs["dlib"] and str(prebuilt) not in ours["dlib"]
    assert ours["photo_boxes"] == theirs["photo_boxes"]
    assert np.abs(np.array(ours["photo_encodings"]) - np.array(theirs["photo_encodings"])).max() < 1e-5
    assert len(ours["scene_boxes"]) == len(theirs["scene_boxes"]) == 18
    for box in ours["scene_boxes"]:
        assert max(overlap(box, other) for other in theirs["scene_boxes"]) > 0.9
    assert np.abs(np.array(ours["scene_encodings"]) - np.array(theirs["scene_encodings"])).max() < 0.05
