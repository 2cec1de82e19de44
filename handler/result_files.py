"""Attendance → CSV text, and the error report written when a video cannot be read."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here: keeps this module free of OpenCV and dlib
    from handler.presence import Presence

CSV_HEADER = (
    "name", "major", "year", "first_seen_seconds", "last_seen_seconds", "seconds_present", "match_distance",
)


def attendance_csv(present: list[Presence], records: Mapping[str, Mapping[str, str]]) -> str:
    """One row per recognised student, in order of first appearance; unknown records stay empty.

    `first_seen_seconds`/`last_seen_seconds` are times in the video, `seconds_present` how long
    the student was on screen (from the sampled frames), so late arrivals and early leavers show.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for student in present:
        record = records.get(student.name, {})
        writer.writerow(
            (
                student.name,
                record.get("major", ""),
                record.get("year", ""),
                f"{student.first_seen_seconds:.1f}",
                f"{student.last_seen_seconds:.1f}",
                f"{student.seconds_present:.1f}",
                f"{student.distance:.4f}",
            )
        )
    return out.getvalue()


def error_report(bucket: str, key: str, reason: str, request_id: str | None = None) -> str:
    """Why a video has no CSV, for the teacher who uploaded it (retrying would not help)."""
    return json.dumps(
        {"bucket": bucket, "key": key, "error": reason, "request_id": request_id},
        ensure_ascii=False,
        indent=2,
    )
