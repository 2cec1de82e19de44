"""Recognised people + student records + the course list → the attendance sheet. Pure.

For a course video every student on the course list gets a row, present or absent, and a
recognised person who is not on it is marked as not enrolled (a visitor); for any other video
the rows are the recognised students, as before. The CSV (handler.results.result_files), the evidence
page (handler.results.evidence_page) and the teacher's message (handler.results.notify) are all made from it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handler.attendance.courses import Course
from handler.tracks.presence import Presence


@dataclass(frozen=True)
class SheetRow:
    """One person of the sheet: their record, their presence (None: absent), and whether they
    are on the course's list (None: the video belongs to no course)."""

    name: str
    major: str
    year: str
    presence: Presence | None
    enrolled: bool | None

    @property
    def attended(self) -> bool:
        return self.presence is not None


@dataclass(frozen=True)
class Sheet:
    """The attendance of one video."""

    video_key: str
    course: str | None
    video_seconds: float
    rows: tuple[SheetRow, ...]
    warnings: tuple[str, ...] = ()
    faces_unrecognised: int = 0

    @property
    def present(self) -> list[SheetRow]:
        return [row for row in self.rows if row.attended]

    @property
    def absent(self) -> list[SheetRow]:
        return [row for row in self.rows if not row.attended]

    @property
    def enrolled_count(self) -> int:
        return sum(1 for row in self.rows if row.enrolled)

    @property
    def present_enrolled_count(self) -> int:
        return sum(1 for row in self.rows if row.enrolled and row.attended)


def attendance_sheet(
    video_key: str,
    present: Sequence[Presence],
    records: Mapping[str, Mapping[str, str]],
    course: Course | None = None,
    roster_names: Sequence[str] = (),
    video_seconds: float = 0.0,
    faces_unrecognised: int = 0,
    warnings: Sequence[str] = (),
) -> Sheet:
    """Present people first, in order of first appearance, then (for a course) the absent by name.

    A name on the course list that the roster does not know can never be recognised: it is
    listed as absent, with a warning, never an error."""
    rows = [
        SheetRow(p.name, records.get(p.name, {}).get("major", ""), records.get(p.name, {}).get("year", ""), p,
                 None if course is None else p.name in course.students)
        for p in present
    ]
    notes = list(warnings)
    if course is not None:
        seen = {p.name for p in present}
        known = set(roster_names)
        for name in sorted(set(course.students) - seen):
            record = records.get(name, {})
            rows.append(SheetRow(name, record.get("major", ""), record.get("year", ""), None, True))
            if known and name not in known:
                notes.append(f"{name} is on the list of {course.id} but not in the roster: they cannot be recognised "
                             "and are listed as absent; enrol their photos")
    return Sheet(video_key, None if course is None else course.id, video_seconds, tuple(rows), tuple(notes),
                 faces_unrecognised)
