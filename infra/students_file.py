"""The students file: a JSON list of {id, name, major, year[, courses]}, read and validated once.

`courses` (optional) lists the ids of the courses a student takes; the stack turns them into
one item per course in the students table (infra.contract.course_items), which is how the
handler finds a course's list. The rules for a course id and for the table key of a course
item are the handler's (handler.attendance.courses): a value it could never look up is refused here.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handler.attendance.courses import COURSE_ID, COURSE_PREFIX
from infra.errors import ConfigError

KEY = "studentsFile"
_STUDENT_FIELDS = ("id", "name", "major", "year")
_OPTIONAL_FIELDS = ("courses",)


def load_students(path: Path) -> list[dict[str, Any]]:
    """Read and validate the students file: a JSON list of {id, name, major, year[, courses]}."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            KEY, f"{path} does not exist; `python -m classroom demo-data` writes an example"
        ) from None
    except OSError as e:
        raise ConfigError(KEY, f"cannot read {path}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(KEY, f"{path} is not valid JSON: {e}") from None
    if not isinstance(records, list):
        raise ConfigError(KEY, f"{path} must hold a JSON list of student records")
    seen: set[str] = set()
    for index, record in enumerate(records):
        where = f"{path} record {index}"
        _check_record(record, where)
        name = record["name"]
        if name in seen:
            raise ConfigError(KEY, f"{where}: the name {name!r} appears twice; names are the table's key")
        seen.add(name)
    return records


def _check_record(record: Any, where: str) -> None:
    """One record's fields, types, name and courses; the error names the record."""
    if not isinstance(record, dict):
        raise ConfigError(KEY, f"{where} is not an object")
    missing = [f for f in _STUDENT_FIELDS if f not in record]
    if missing:
        raise ConfigError(KEY, f"{where} lacks {', '.join(missing)}")
    extra = sorted(set(record) - set(_STUDENT_FIELDS) - set(_OPTIONAL_FIELDS))
    if extra:
        raise ConfigError(KEY, f"{where} has unexpected fields {', '.join(extra)}")
    if isinstance(record["id"], bool) or not isinstance(record["id"], int):
        raise ConfigError(KEY, f"{where}: id must be a whole number")
    name = record["name"]
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(KEY, f"{where}: name must be a non-empty string")
    if name.startswith(COURSE_PREFIX):
        # The table holds course items under keys with this prefix: such a student would be
        # taken for a course, or overwrite one.
        raise ConfigError(KEY, f"{where}: the name {name!r} starts with {COURSE_PREFIX!r}, which the table keeps for courses")
    for field in ("major", "year"):
        if isinstance(record[field], bool) or not isinstance(record[field], (str, int)):
            raise ConfigError(KEY, f"{where}: {field} must be a string")
    if "courses" in record:
        _check_courses(record["courses"], where)


def _check_courses(courses: Any, where: str) -> None:
    """A list of distinct course ids, each one the handler can match a video key's folder to."""
    if not isinstance(courses, list):
        raise ConfigError(KEY, f"{where}: courses must be a list of course ids, e.g. [\"cse546\"]")
    seen: set[str] = set()
    for course in courses:
        # fullmatch: the whole id, however COURSE_ID is anchored.
        if not isinstance(course, str) or not COURSE_ID.fullmatch(course):
            raise ConfigError(
                KEY,
                f"{where}: course {course!r} is not a course id (1 to 64 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit)",
            )
        if course in seen:
            raise ConfigError(KEY, f"{where}: course {course!r} is listed twice")
        seen.add(course)
