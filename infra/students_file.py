"""The students file: a JSON list of {id, name, major, year}, read and validated once."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.errors import ConfigError

_STUDENT_FIELDS = ("id", "name", "major", "year")


def load_students(path: Path) -> list[dict[str, Any]]:
    """Read and validate the students file: a JSON list of {id, name, major, year}."""
    key = "studentsFile"
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            key, f"{path} does not exist; `python -m classroom demo-data` writes an example"
        ) from None
    except OSError as e:
        raise ConfigError(key, f"cannot read {path}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(key, f"{path} is not valid JSON: {e}") from None
    if not isinstance(records, list):
        raise ConfigError(key, f"{path} must hold a JSON list of student records")
    seen: set[str] = set()
    for index, record in enumerate(records):
        where = f"{path} record {index}"
        if not isinstance(record, dict):
            raise ConfigError(key, f"{where} is not an object")
        missing = [f for f in _STUDENT_FIELDS if f not in record]
        if missing:
            raise ConfigError(key, f"{where} lacks {', '.join(missing)}")
        extra = sorted(set(record) - set(_STUDENT_FIELDS))
        if extra:
            raise ConfigError(key, f"{where} has unexpected fields {', '.join(extra)}")
        if isinstance(record["id"], bool) or not isinstance(record["id"], int):
            raise ConfigError(key, f"{where}: id must be a whole number")
        name = record["name"]
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(key, f"{where}: name must be a non-empty string")
        for field in ("major", "year"):
            if isinstance(record[field], bool) or not isinstance(record[field], (str, int)):
                raise ConfigError(key, f"{where}: {field} must be a string")
        if name in seen:
            raise ConfigError(key, f"{where}: the name {name!r} appears twice; names are the table's key")
        seen.add(name)
    return records
