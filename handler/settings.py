"""Environment variables → typed settings; every error names the variable to fix."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from handler.events import S3Location, parse_s3_uri

MODES = ("all", "first")


class SettingsError(ValueError):
    """A missing or invalid environment variable (the message names it)."""


@dataclass(frozen=True)
class Settings:
    """What one deployment of the handler is configured with."""

    output_bucket: str
    students_table: str
    roster: S3Location
    mode: str = "all"
    frames_per_second: float = 2.0
    match_tolerance: float = 0.6
    detection_height: int = 480


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: the handler needs it (see README, configuration)")
    return value


def _number(environ: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate the handler's configuration (OUTPUT_BUCKET, STUDENTS_TABLE, ROSTER_URI, ...)."""
    roster_uri = _required(environ, "ROSTER_URI")
    try:
        roster = parse_s3_uri(roster_uri)
    except ValueError as error:
        raise SettingsError(f"ROSTER_URI={roster_uri!r}: {error}") from None
    mode = environ.get("RECOGNITION_MODE", "").strip().lower() or "all"
    if mode not in MODES:
        raise SettingsError(f"RECOGNITION_MODE={mode!r} must be one of: {', '.join(MODES)}")
    height = _number(environ, "DETECTION_HEIGHT", 480, 120, 4320)
    if height != int(height):
        raise SettingsError(f"DETECTION_HEIGHT={height:g} must be a whole number of pixels")
    return Settings(
        output_bucket=_required(environ, "OUTPUT_BUCKET"),
        students_table=_required(environ, "STUDENTS_TABLE"),
        roster=roster,
        mode=mode,
        frames_per_second=_number(environ, "FRAMES_PER_SECOND", 2.0, 0.01, 120),
        match_tolerance=_number(environ, "MATCH_TOLERANCE", 0.6, 0.01, 1.0),
        detection_height=int(height),
    )
