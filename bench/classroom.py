"""The classroom benchmark: a wide 1080p shot of 30 people, generated once and cached.

Built with `classroom.scene.benchmark_classroom` (11 students, one of them in the 32-38 px
back row, 19 strangers at every size, two students arriving late and one leaving early) and
judged with `classroom.scene_truth.score`. The roster is `classroom.people.build_scene_roster`: the
original encoding.pickle, three `faces/enroll` people and the two demo portraits.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bench.paths import BUILD_DIR

BUILDER_VERSION = 1
FULL_SECONDS, QUICK_SECONDS = 60.0, 10.0


def build(datasets: Path, quick: bool = False, log: Callable[[str], None] = print) -> tuple[Path, Path, Path]:
    """(video, truth JSON, roster .npz), built under build/bench/classroom/ unless cached."""
    from classroom.people import build_scene_roster
    from classroom.scene import benchmark_classroom, write_scene

    folder = BUILD_DIR / "classroom" / f"v{BUILDER_VERSION}-{'quick' if quick else 'full'}"
    video, truth, roster = folder / "classroom.mp4", folder / "classroom.truth.json", folder / "roster.npz"
    if not (video.is_file() and truth.is_file() and roster.is_file()):
        log(f"classroom: rendering {folder} (once; cached afterwards)")
        folder.mkdir(parents=True, exist_ok=True)
        write_scene(folder, "classroom", benchmark_classroom(QUICK_SECONDS if quick else FULL_SECONDS), datasets)
        build_scene_roster(datasets).save(roster)
    return video, truth, roster


def judge(truth_path: Path, present: list[dict]) -> dict:
    """Score one run's presence list against the cached truth."""
    from classroom.scene import Scene, Seat
    from classroom.scene_truth import score, truth_of

    document = json.loads(truth_path.read_text())
    scene = document["scene"]
    seats = tuple(Seat(**seat) for seat in scene.pop("seats"))
    return score(truth_of(Scene(seats=seats, **scene)), present)
