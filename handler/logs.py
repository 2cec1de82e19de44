"""The handler's log lines: through the standard `logging` module, one JSON object a line.

On Lambda the function uses Lambda's JSON log format (infra/function.py): the Python runtime
itself turns each record into a JSON line with its timestamp, level, request id and the
`extra` keys, and a traceback for records logged with an exception. Anywhere else (the tests,
the local stack's workers) the same records are written by `JsonLines` to stdout, with the
same keys, so a line reads the same in CloudWatch Logs Insights and on a terminal.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from typing import Any

LOGGER_NAME = "smart_classroom"
log = logging.getLogger(LOGGER_NAME)


class JsonLines(logging.Formatter):
    """A record → `{"level", "message", <its fields>, "stackTrace"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["errorType"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            line["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stdout(logging.StreamHandler):
    """A handler on whatever sys.stdout is when a line is written (as `print` would)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _configure() -> None:
    """Under Lambda's JSON format the runtime formats; elsewhere our handler does, on stdout."""
    log.setLevel(logging.INFO)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        log.propagate = True
        return
    stream = _Stdout()
    stream.setFormatter(JsonLines())
    log.handlers[:] = [stream]
    log.propagate = False


def log_json(level: str, message: str, exc_info: bool = False, **fields: Any) -> None:
    """Log one structured line (searchable with CloudWatch Logs Insights) with these fields."""
    if not log.handlers and not log.propagate:
        _configure()
    # Lambda's formatter shows `extra` keys as they are; ours reads them from `fields`.
    extra = _top_level(fields) if log.propagate else {"fields": fields}
    log.log(logging.getLevelName(level), message, exc_info=exc_info, extra=extra)


def _top_level(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as `extra` keys too, so Lambda's JSON formatter shows them at the top level
    (names a LogRecord already has are left out of this copy)."""
    reserved = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
    return {name: value for name, value in fields.items() if name not in reserved}


_configure()
