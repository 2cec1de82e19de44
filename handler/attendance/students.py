"""Recognised names → their academic records, in one BatchGetItem (UnprocessedKeys retried)."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

STUDENTS_KEY = "name"
"""The students table's partition key (a string): students are looked up by their roster name.
The stack and the local stack create the table with it (infra.contract)."""
BATCH_LIMIT = 100  # DynamoDB's maximum keys per BatchGetItem
MAX_ATTEMPTS = 6

Record = dict[str, str]


class LookupIncomplete(RuntimeError):
    """DynamoDB kept some keys unprocessed after every retry (throttling): let Lambda retry."""


def _plain(item: dict[str, dict[str, Any]]) -> Record:
    """DynamoDB-JSON attributes → strings (numbers and strings alike go into the CSV as text)."""
    return {name: str(next(iter(value.values()))) for name, value in item.items()}


def fetch_students(
    dynamodb: Any,
    table: str,
    names: Sequence[str],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Record]:
    """Records by name for the names that the table holds; absent names are simply missing."""
    found: dict[str, Record] = {}
    unique = list(dict.fromkeys(names))
    for start in range(0, len(unique), BATCH_LIMIT):
        request: dict[str, Any] = {
            table: {
                "Keys": [{STUDENTS_KEY: {"S": name}} for name in unique[start : start + BATCH_LIMIT]],
                "ProjectionExpression": "#name, #major, #year",
                "ExpressionAttributeNames": {"#name": STUDENTS_KEY, "#major": "major", "#year": "year"},
            }
        }
        for attempt in range(MAX_ATTEMPTS):
            response = dynamodb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                record = _plain(item)
                found[record[STUDENTS_KEY]] = record
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(min(2.0, 0.05 * 2**attempt))
        else:
            raise LookupIncomplete(f"{table}: keys still unprocessed after {MAX_ATTEMPTS} attempts")
    return found
