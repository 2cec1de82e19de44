"""Pure logic for checking results: expected files, result CSVs, verdicts and the summary.

No AWS calls here, so the rules that decide "correct" are testable without an emulator and
shared by the workload generator, the demo and the tests.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from handler.results.result_files import CSV_HEADER

Row = tuple[str, str, str]  # (name, major, year): the columns the pipeline must get right
EXPECTED_HEADER = ("video", "name", "major", "year")
RESULT_HEADER = CSV_HEADER[:3]  # the columns that are checked; extra ones may follow

CORRECT, WRONG, ERROR, MISSING, UNCHECKED = "correct", "wrong", "error", "missing", "unchecked"


class ResultFormatError(ValueError):
    """A file that is not in the agreed format (the message says which file and why)."""


def parse_expected(text: str, source: str = "expected file") -> dict[str, list[Row]]:
    """`video,name,major,year` → {video: [rows in order]}; an empty name means "nobody known"."""
    reader = csv.reader(io.StringIO(text))
    header = tuple(cell.strip() for cell in next(reader, ()))
    if header[:4] != EXPECTED_HEADER:
        raise ResultFormatError(f"{source}: header must start with {','.join(EXPECTED_HEADER)}, got {','.join(header)}")
    expected: dict[str, list[Row]] = {}
    for line_no, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < 4:
            raise ResultFormatError(f"{source}:{line_no}: expected 4 columns, got {len(cells)}")
        video, name, major, year = (cell.strip() for cell in cells[:4])
        rows = expected.setdefault(video, [])
        if name:
            rows.append((name, major, year))
    return expected


def load_expected(path: Path) -> dict[str, list[Row]]:
    """Read an expected file from disk."""
    return parse_expected(Path(path).read_text(encoding="utf-8"), source=str(path))


def format_expected(expected: Mapping[str, Sequence[Row]]) -> str:
    """The inverse of `parse_expected`: one row per student, one empty row for nobody known."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPECTED_HEADER)
    for video, rows in expected.items():
        for row in rows or [("", "", "")]:
            writer.writerow((video, *row))
    return out.getvalue()


def parse_result_csv(text: str, source: str = "result") -> list[Row]:
    """The handler's CSV (`name,major,year[,extra...]`) → rows; extra columns are ignored."""
    reader = csv.reader(io.StringIO(text))
    header = tuple(cell.strip() for cell in next(reader, ()))
    if header[:3] != RESULT_HEADER:
        raise ResultFormatError(f"{source}: header must start with {','.join(RESULT_HEADER)}, got {','.join(header)}")
    return [tuple(cell.strip() for cell in cells[:3]) for cells in reader if any(c.strip() for c in cells)]  # type: ignore[misc]


def check_rows(expected: Sequence[Row] | None, actual: Sequence[Row]) -> tuple[str, str]:
    """(verdict, detail): rows must match exactly, in order of first appearance."""
    if expected is None:
        return UNCHECKED, "no expectation for this video"
    if list(expected) == list(actual):
        return CORRECT, ""
    return WRONG, f"expected {_rows_text(expected)}; got {_rows_text(actual)}"


def _rows_text(rows: Sequence[Row]) -> str:
    return "[" + "; ".join("/".join(row) for row in rows) + "]" if rows else "[nobody]"


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), NaN for no values."""
    return float(np.percentile(values, q)) if len(values) else math.nan


@dataclass
class VideoOutcome:
    """What happened to one uploaded video."""

    key: str
    video: str  # the file name the expectation is keyed by
    sent_at: float | None  # seconds since the run started, when the upload completed (None: not yet)
    verdict: str = MISSING
    latency_s: float | None = None  # upload completed → result object seen
    result_key: str | None = None
    detail: str = ""


@dataclass
class Summary:
    """The numbers an operator reads after a run; `ok` decides the exit code."""

    sent: int
    received: int
    correct: int
    wrong: int
    missing: int
    errors: int
    unchecked: int
    checked: bool
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    wall_s: float
    throughput_per_min: float
    outcomes: list[VideoOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing wrong, missing, errored or unchecked, and at least one video was sent."""
        bad = self.wrong + self.missing + self.errors + (self.unchecked if self.checked else 0)
        return self.sent > 0 and bad == 0

    def to_json(self) -> dict:
        """The same summary as the table, machine-readable, plus every video's outcome."""
        data = _no_nan(asdict(self))
        data["ok"] = self.ok
        return data

    def table(self) -> str:
        """A fixed-width table for people."""
        check = (lambda n: str(n)) if self.checked else (lambda n: "n/a (no --expected)")
        lines = [
            ("videos sent", str(self.sent)),
            ("results received", str(self.received)),
            ("correct", check(self.correct)),
            ("wrong", check(self.wrong)),
            ("missing", str(self.missing)),
            ("error reports", str(self.errors)),
            ("latency p50", _seconds(self.latency_p50_s)),
            ("latency p95", _seconds(self.latency_p95_s)),
            ("latency max", _seconds(self.latency_max_s)),
            ("throughput", f"{self.throughput_per_min:.1f} videos/min ({self.received} in {self.wall_s:.1f} s)"),
            ("verdict", "OK" if self.ok else "FAILED"),
        ]
        if self.checked and self.unchecked:
            lines.insert(4, ("no expectation", str(self.unchecked)))
        width = max(len(label) for label, _ in lines)
        rule = "-" * (width + 2 + max(len(value) for _, value in lines))
        body = [f"{label:<{width}}  {value}" for label, value in lines]
        problems = [f"  {o.verdict:<9} {o.key}: {o.detail}" for o in self.outcomes if o.verdict not in (CORRECT,)
                    and (o.verdict != UNCHECKED or self.checked)]
        return "\n".join([rule, *body, rule, *problems])


def _no_nan(value):
    """JSON has no NaN: statistics over no values become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_nan(item) for item in value]
    return value


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f} s"


def summarise(outcomes: Iterable[VideoOutcome], wall_s: float, checked: bool) -> Summary:
    """Count verdicts and compute latency statistics over the results that arrived."""
    outcomes = list(outcomes)
    latencies = [o.latency_s for o in outcomes if o.latency_s is not None]
    count = lambda verdict: sum(1 for o in outcomes if o.verdict == verdict)  # noqa: E731
    received = len(latencies)
    return Summary(
        sent=len(outcomes),
        received=received,
        correct=count(CORRECT),
        wrong=count(WRONG),
        missing=count(MISSING),
        errors=count(ERROR),
        unchecked=count(UNCHECKED),
        checked=checked,
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        latency_max_s=max(latencies) if latencies else math.nan,
        wall_s=wall_s,
        throughput_per_min=(received / wall_s * 60) if wall_s > 0 else 0.0,
        outcomes=outcomes,
    )
