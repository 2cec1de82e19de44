"""The handler's settings: each recognition setting defined once, with its environment
variable, its stack config key, its default and its bounds.

The Pulumi program (infra/config.py) validates the stack config with these same
definitions and turns it into the function's environment; the handler reads that
environment back here. Every error names the variable (or key) to fix.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from handler.events import S3Location, parse_s3_uri

Mode = Literal["all", "first"]
MODES: tuple[Mode, ...] = ("all", "first")


class SettingsError(ValueError):
    """A missing or invalid environment variable (the message names it)."""


class InvalidSetting(SettingsError):
    """One recognition setting's value is wrong: `label` is its variable or key."""

    def __init__(self, label: str, problem: str) -> None:
        super().__init__(f"{label}: {problem}")
        self.label, self.problem = label, problem


@dataclass(frozen=True)
class Knob:
    """One recognition setting as the outside world sees it."""

    env: str  # the function's environment variable
    config_key: str  # `pulumi config set <config_key> ...`
    description: str
    bounds: tuple[float, float] | None = None  # numbers: inclusive range
    choices: tuple[str, ...] | None = None  # words: the allowed values

    def parse(self, raw: str) -> float | str:
        """The value of a raw string; ValueError with the problem in plain words."""
        value = raw.strip()
        if self.choices is not None:
            value = value.lower()
            if value not in self.choices:
                raise ValueError(f"{raw!r} is not one of {', '.join(self.choices)}")
            return value
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        assert self.bounds is not None
        low, high = self.bounds
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"{raw} must be between {low:g} and {high:g}")
        return number


def _knob(default: float | str, **kwargs: object) -> float | str:
    return field(default=default, metadata={"knob": Knob(**kwargs)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class RecognitionSettings:
    """How to look at a video. The defaults here are the stack's defaults (Pulumi.yaml repeats
    them for the Pulumi CLI, and a test keeps the two equal)."""

    mode: Mode = _knob(  # type: ignore[assignment]
        "all", env="RECOGNITION_MODE", config_key="recognitionMode", choices=MODES,
        description='"all" reports every enrolled student seen; "first" stops at the first one named.',
    )
    frames_per_second: float = _knob(  # type: ignore[assignment]
        2.0, env="FRAMES_PER_SECOND", config_key="framesPerSecond", bounds=(0.01, 120.0),
        description="Frames examined per second of video (0.01 to 120).",
    )
    match_tolerance: float = _knob(  # type: ignore[assignment]
        0.6, env="MATCH_TOLERANCE", config_key="matchTolerance", bounds=(0.01, 1.0),
        description="Largest face-encoding distance that can count as a match (0.01 to 1; lower is stricter).",
    )
    min_face_percent: float = _knob(  # type: ignore[assignment]
        3.0, env="MIN_FACE_PERCENT", config_key="minFacePercent", bounds=(1.0, 50.0),
        description="Smallest face looked for, as a percentage of the frame height (3 = 32 px in 1080p; 1 to 50).",
    )
    full_scan_seconds: float = _knob(  # type: ignore[assignment]
        20.0, env="FULL_SCAN_SECONDS", config_key="fullScanSeconds", bounds=(1.0, 3600.0),
        description="Longest time between two searches of the whole frame (1 to 3600 s).",
    )
    segment_seconds: float = _knob(  # type: ignore[assignment]
        120.0, env="SEGMENT_SECONDS", config_key="segmentSeconds", bounds=(10.0, 3600.0),
        description="A video longer than this is split into segments of this length, processed in parallel (10 to 3600 s).",
    )
    max_video_minutes: float = _knob(  # type: ignore[assignment]
        240.0, env="MAX_VIDEO_MINUTES", config_key="maxVideoMinutes", bounds=(1.0, 1440.0),
        description="Longest video accepted; a longer one gets an error report before any work (1 to 1440 min).",
    )
    evidence: str = _knob(  # type: ignore[assignment]
        "true", env="EVIDENCE", config_key="evidence", choices=("true", "false"),
        description='"true" writes beside each CSV a page with the face each name was given for; '
                    '"false" keeps no face crops (they are personal data).',
    )

    @property
    def keeps_evidence(self) -> bool:
        return self.evidence == "true"

    def min_face_px(self, frame_height: int) -> float:
        return frame_height * self.min_face_percent / 100.0

    def environment(self) -> dict[str, str]:
        """These settings as the function's environment variables."""
        return {knob.env: _as_text(getattr(self, name)) for name, knob in knobs().items()}


def knobs() -> dict[str, Knob]:
    """Every recognition setting's Knob, by the RecognitionSettings attribute it fills."""
    return {f.name: f.metadata["knob"] for f in fields(RecognitionSettings)}


def recognition_settings(raw: Mapping[str, str], key: str = "env") -> RecognitionSettings:
    """RecognitionSettings from raw strings keyed by environment variable (key="env") or
    config key (key="config_key"); a missing or empty value takes the default."""
    values: dict[str, float | str] = {}
    for name, knob in knobs().items():
        label = getattr(knob, key)
        text = str(raw.get(label, "")).strip()
        if text:
            try:
                values[name] = knob.parse(text)
            except ValueError as problem:
                raise InvalidSetting(label, str(problem)) from None
    return RecognitionSettings(**values)  # type: ignore[arg-type]


def _as_text(value: float | str) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Settings:
    """What one deployment of the handler is configured with."""

    output_bucket: str
    students_table: str
    roster: S3Location
    jobs_table: str  # segment jobs and the newest upload of each key (handler.segments.jobs)
    segment_queue: str  # the name of the SQS queue of segments, which the function also consumes
    notify_topic: str  # the name of the SNS topic of results (its ARN: the function's region and account)
    recognition: RecognitionSettings = RecognitionSettings()

    @property
    def mode(self) -> str:
        return self.recognition.mode

    def environment(self) -> dict[str, str]:
        """These settings as the function's environment: what `load_settings` reads back."""
        return {
            OUTPUT_BUCKET: self.output_bucket,
            STUDENTS_TABLE: self.students_table,
            ROSTER_URI: self.roster.uri,
            JOBS_TABLE: self.jobs_table,
            SEGMENT_QUEUE: self.segment_queue,
            NOTIFY_TOPIC: self.notify_topic,
            **self.recognition.environment(),
        }


OUTPUT_BUCKET, STUDENTS_TABLE, ROSTER_URI = "OUTPUT_BUCKET", "STUDENTS_TABLE", "ROSTER_URI"
JOBS_TABLE, SEGMENT_QUEUE, NOTIFY_TOPIC = "JOBS_TABLE", "SEGMENT_QUEUE", "NOTIFY_TOPIC"


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: the handler needs it (see README, configuration)")
    return value


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate the handler's configuration (OUTPUT_BUCKET, STUDENTS_TABLE, ROSTER_URI, ...)."""
    roster_uri = _required(environ, ROSTER_URI)
    try:
        roster = parse_s3_uri(roster_uri)
    except ValueError as error:
        raise SettingsError(f"{ROSTER_URI}={roster_uri!r}: {error}") from None
    return Settings(
        output_bucket=_required(environ, OUTPUT_BUCKET),
        students_table=_required(environ, STUDENTS_TABLE),
        roster=roster,
        jobs_table=_required(environ, JOBS_TABLE),
        segment_queue=_required(environ, SEGMENT_QUEUE),
        notify_topic=_required(environ, NOTIFY_TOPIC),
        recognition=recognition_settings(environ),
    )
