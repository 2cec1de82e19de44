"""Courses: which course a video belongs to (the first segment of its key) and who is on the
course's list (one item per course in the students table, read with one Query).

The table holds, beside one item per student, one item per course keyed `course#<id>` with the
names on its list (`students`, a string set): the Pulumi program and the local stack seed both
from the students file's `courses` field (infra.contract.course_items). A Query on that one key
reads the list in one request and the role may Query nothing else; no Scan is ever needed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handler.attendance.students import STUDENTS_KEY

COURSE_PREFIX = "course#"
"""The students table key of a course item; no student name may start with it."""
COURSE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
"""A course id as written in the students file (lower case) and as the first segment of a key
(any case: `CSE546/lecture.mp4` belongs to `cse546`)."""


@dataclass(frozen=True)
class Course:
    """A course and the names on its list (sorted)."""

    id: str
    students: tuple[str, ...]


def course_key(course_id: str) -> str:
    """The students table key of a course's item."""
    return COURSE_PREFIX + course_id


def course_of_key(video_key: str) -> str | None:
    """`cse546/2026-12-04/lecture.mp4` → `cse546`; None for a key with no folder or a first
    segment that cannot be a course id."""
    first, slash, _rest = video_key.partition("/")
    candidate = first.strip().lower()
    return candidate if slash and COURSE_ID.match(candidate) else None  # match: anchored at the start


def fetch_course(dynamodb: Any, table: str, course_id: str) -> Course | None:
    """The course's list, or None when the table knows no such course (the video then gets the
    plain attendance CSV)."""
    response = dynamodb.query(
        TableName=table,
        KeyConditionExpression="#key = :course",
        ExpressionAttributeNames={"#key": STUDENTS_KEY},
        ExpressionAttributeValues={":course": {"S": course_key(course_id)}},
        ConsistentRead=False,
    )
    items = response.get("Items") or []
    if not items:
        return None
    names = items[0].get("students", {}).get("SS", [])
    return Course(course_id, tuple(sorted(names)))
