"""Attendance sheets for the page's tests, made with the real handler.attendance.sheet.attendance_sheet."""
from __future__ import annotations

from collections.abc import Sequence

from handler.attendance.courses import Course
from handler.attendance.sheet import Sheet, attendance_sheet
from handler.tracks.presence import Presence

SCRIPT_NAME = "<script>alert(1)</script>"
COURSE_VIDEO = "cse546/2026-12-04/lecture.mp4"
COURSE_SECONDS = 600.0
PRESENT = ("grace_hopper", "ada_lovelace", "alan_turing", "katherine_johnson", "edsger_dijkstra",
           "barbara_liskov", "donald_knuth")
ABSENT = ("margaret_hamilton", "claude_shannon", "frances_allen")
NO_CROP = "donald_knuth"
"""A present student whose face crop is missing (evidence off for them, or not encodable)."""


def seen(name: str, intervals: Sequence[tuple[float, float]], crop: bytes | None, distance: float = 0.3) -> Presence:
    """A presence on screen during `intervals` (sampled at 0.5 s)."""
    return Presence(
        name,
        intervals[0][0],
        intervals[-1][1] - 0.5,
        round(sum(b - a for a, b in intervals), 3),
        distance,
        tuple(intervals),
        crop,
    )


def records(names: Sequence[str]) -> dict[str, dict[str, str]]:
    majors = ("computer_science", "mathematics", "physics", "electrical_engineering")
    years = ("freshman", "sophomore", "junior", "senior")
    return {name: {"major": majors[i % 4], "year": years[i % 4]} for i, name in enumerate(names)}


def course_sheet(crops: Sequence[bytes]) -> Sheet:
    """cse546: 10 on the list, 7 of them present, 3 absent, and one visitor named like a script.

    Cards, in order of first appearance: the 7 students then the visitor (8 cards); one of the
    students has no crop."""
    present = [
        seen(name, [(10.0 * i, 10.0 * i + 120.0), (300.0 + 20 * i, 420.0 + 20 * i)],
             None if name == NO_CROP else crops[4 * i % len(crops)], 0.2 + 0.02 * i)
        for i, name in enumerate(PRESENT)
    ]
    present.append(seen(SCRIPT_NAME, [(450.0, 480.0)], crops[4 * len(PRESENT) % len(crops)], 0.31))
    everyone = [*PRESENT, *ABSENT]
    course = Course("cse546", tuple(sorted(everyone)))
    return attendance_sheet(COURSE_VIDEO, present, records(everyone), course, roster_names=everyone,
                            video_seconds=COURSE_SECONDS, faces_unrecognised=2)


def class_of(count: int, crops: Sequence[bytes], video_seconds: float = 3000.0) -> Sheet:
    """A course of `count` students, every one present with a different crop, each seen in a few
    stretches of a 50-minute lecture."""
    names = [f"student_{i:02d}" for i in range(count)]
    present = [
        seen(name, [(5.0 * i, 900.0 + 5 * i), (1000.0 + 7 * i, 2000.0), (2100.0, 2990.0 - 3 * i)],
             crops[i % len(crops)], 0.25 + 0.005 * i)
        for i, name in enumerate(names)
    ]
    return attendance_sheet("cse546/2026-12-04/lecture.mp4", present, records(names),
                            Course("cse546", tuple(names)), roster_names=names, video_seconds=video_seconds)
