"""The lecture benchmark's video: an N-minute 1080p lecture hall, generated once and cached.

Rendering costs about 75 s per 10 minutes of 1080p on the 2-core machine, so the video, its
truth, the roster and the students file live in build/bench/lecture/<version>-<size>/ and a
second run reuses them. Eight students sit in the 40-90 px rows (so every one of them must be
found) behind six strangers in the 32-38 px back row (who must never be named); one student
comes in late, one leaves early, at fixed fractions of the lecture so that the arrival and
the departure fall inside segments of any length.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.paths import BUILD_DIR

BUILDER_VERSION = 1
STUDENT_KEYS = ("president_trump", "president_biden", "johnny_dep", "morgan_freeman", "president_obama",
                "mr_bean", "kit_harington", "rose_leslie")
STRANGERS = range(6)  # fill the back row: every student sits at 40 px or more
LATE = ("morgan_freeman", 0.2)  # arrives a fifth into the lecture
EARLY = ("president_biden", 0.75)  # leaves three quarters in
GOP_SECONDS = 4.0


@dataclass(frozen=True)
class LectureFiles:
    """Everything one cached lecture consists of."""

    video: Path
    truth: Path
    roster: Path
    students: Path
    minutes: float
    fps: int


def folder_for(minutes: float, fps: int) -> Path:
    return BUILD_DIR / "lecture" / f"v{BUILDER_VERSION}-{minutes:g}min-{fps}fps"


def build(datasets: Path, minutes: float, fps: int = 5, log: Callable[[str], None] = print) -> LectureFiles:
    """The cached lecture of `minutes` at `fps` frames per second, rendered first if missing."""
    from classroom.people import STUDENTS, build_scene_roster
    from classroom.scene import lecture_hall, write_scene
    from classroom.scene_truth import students_records

    folder = folder_for(minutes, fps)
    files = LectureFiles(folder / "lecture.mp4", folder / "lecture.truth.json", folder / "roster.npz",
                         folder / "students.json", minutes, fps)
    if all(path.is_file() for path in (files.video, files.truth, files.roster, files.students)):
        return files
    seconds = minutes * 60.0
    log(f"lecture: rendering {minutes:g} minutes of 1080p at {fps} fps into {folder} "
        f"(about {75 * minutes / 10:.0f} s at 5 fps on 2 idle cores; cached afterwards)")
    folder.mkdir(parents=True, exist_ok=True)
    files.students.unlink(missing_ok=True)  # written last: its presence marks a complete build
    scene = lecture_hall(list(STUDENT_KEYS), STRANGERS, seconds, late=[(LATE[0], seconds * LATE[1])],
                         early=[(EARLY[0], seconds * EARLY[1])], seed=9)
    write_scene(folder, "lecture", dataclasses.replace(scene, fps=fps, gop_seconds=GOP_SECONDS), datasets)
    build_scene_roster(datasets).save(files.roster)
    files.students.write_text(json.dumps(students_records(list(STUDENTS))))
    return files


def describe(files: LectureFiles) -> dict:
    """What the report says about the video: length, size, people, who comes and goes when."""
    scene = json.loads(files.truth.read_text())["scene"]
    seats = scene["seats"]
    students = [s for s in seats if not s["person"].startswith("stranger-")]
    return {
        "path": str(files.video), "minutes": files.minutes, "seconds": scene["seconds"], "fps": scene["fps"],
        "gop_seconds": scene["gop_seconds"], "size": f"{scene['width']}x{scene['height']}",
        "megabytes": round(files.video.stat().st_size / 1e6, 1),
        "students": len(students), "strangers": len(seats) - len(students),
        "face_px": [min(s["face_px"] for s in seats), max(s["face_px"] for s in seats)],
        "late": [[s["person"], s["arrive"]] for s in seats if s["arrive"] > 0],
        "early": [[s["person"], s["leave"]] for s in seats if s["leave"] is not None],
    }
