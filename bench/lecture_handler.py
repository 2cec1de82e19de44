"""The handler as the lecture benchmark runs it in the local stack's workers.

It is `handler.app.handler` unchanged; its answer (whose records carry each video's and
segment's timings) gains a `bench` entry with what an answer cannot carry: the errors the
invocation logged (a retried segment's reason is only in the log) and the worker's peak
memory (the sandbox's, across every invocation it served, as Lambda counts it).
"""
from __future__ import annotations

import logging
from typing import Any

from classroom.process_memory import PEAK, memory_mb
from handler import app
from handler.logs import LOGGER_NAME


class _LoggedErrors(logging.Handler):
    """Keeps the message and error of every handler log line that carries one."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None) or record.__dict__  # ours, or Lambda's JSON format
        if "error" in fields:
            self.lines.append({"message": record.getMessage(), "error": fields["error"]})


_errors = _LoggedErrors()
logging.getLogger(LOGGER_NAME).addHandler(_errors)


def handler(event: dict, context: Any) -> dict:
    """`handler.app.handler`, its answer plus `bench: {logged: [...], max_rss_mb}`."""
    _errors.lines.clear()
    answer = app.handler(event, context)
    answer["bench"] = {"logged": list(_errors.lines), "max_rss_mb": round(memory_mb(PEAK) or 0.0, 1)}
    return answer
