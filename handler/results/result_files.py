"""Attendance → CSV text, and the error report written when a video cannot be read."""
from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here: keeps this module free of OpenCV and dlib
    from handler.attendance.sheet import Sheet

CSV_HEADER = (
    "name", "major", "year", "first_seen_seconds", "last_seen_seconds", "seconds_present", "match_distance",
)
COURSE_COLUMNS = ("attended", "enrolled")
"""Added for a video of a course: every student on its list has a row."""


def attendance_csv(sheet: Sheet) -> str:
    """One row per person of the sheet: the present in order of first appearance, then (for a
    course) the absent by name, with empty presence columns.

    `first_seen_seconds`/`last_seen_seconds` are times in the video, `seconds_present` how long
    the student was on screen (from the sampled frames), so late arrivals and early leavers show.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    course = sheet.course is not None
    writer.writerow(CSV_HEADER + (COURSE_COLUMNS if course else ()))
    for row in sheet.rows:
        p = row.presence
        presence = ("", "", "", "") if p is None else (
            f"{p.first_seen_seconds:.1f}", f"{p.last_seen_seconds:.1f}", f"{p.seconds_present:.1f}", f"{p.distance:.4f}")
        marks = ("yes" if row.attended else "no", "yes" if row.enrolled else "no") if course else ()
        writer.writerow((row.name, row.major, row.year, *presence, *marks))
    return out.getvalue()


def error_report(bucket: str, key: str, reason: str, request_id: str | None = None) -> str:
    """Why a video has no CSV, for the teacher who uploaded it (retrying would not help)."""
    return json.dumps(
        {"bucket": bucket, "key": key, "error": reason, "request_id": request_id},
        ensure_ascii=False,
        indent=2,
    )
