"""The handler as the lecture benchmark runs it in the local stack's workers.

It is `handler.app.handler` unchanged; only its answer gains a `bench` entry with what the
answer leaves out: the `timings` of each log line the invocation wrote (the merge, the
student look-up and the CSV upload are timed only there), the errors it logged and the worker's peak memory (the
sandbox's, across every invocation it served, as Lambda counts it).
"""
from __future__ import annotations

import logging
from typing import Any

from handler import app
from handler.logs import LOGGER_NAME


class _LogLines(logging.Handler):
    """Keeps the fields of every handler log line that carries timings or an error."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None) or record.__dict__  # ours, or Lambda's JSON format
        if ("timings" in fields and "status" in fields) or "error" in fields:
            self.lines.append({"message": record.getMessage(), **{name: fields.get(name) for name in (
                "status", "segment", "segments", "timings", "error") if name in fields}})


_lines = _LogLines()
logging.getLogger(LOGGER_NAME).addHandler(_lines)


def peak_memory_mb() -> float:
    """This process's resident high-water mark (VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def handler(event: dict, context: Any) -> dict:
    """`handler.app.handler`, its answer plus `bench: {logged: [...], max_rss_mb}`."""
    _lines.lines.clear()
    answer = app.handler(event, context)
    answer["bench"] = {"logged": list(_lines.lines), "max_rss_mb": round(peak_memory_mb(), 1)}
    return answer
