"""The stack's configuration: read, defaulted and validated before anything is declared.

Used by the Pulumi program (`from_pulumi`) and by the local stack, which runs the same
pipeline on moto without a Pulumi engine (`from_stack_file`). Both go through
`parse_config`, which is pure and names the offending key in every error, and both take
their defaults from the `config:` block of `Pulumi.yaml`, so there is one source of them.
Nothing here imports `pulumi` at module level. (About 350 lines: every key's validation is
here, each with the message that names it; the rules it leans on live apart, in aws_names,
students_file, email_addresses, capacity and the handler's settings.)
"""
from __future__ import annotations

import functools
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from handler.settings import InvalidSetting, RecognitionSettings, knobs, recognition_settings
from infra.aws_names import bucket_name, table_name
from infra.capacity import SEGMENT_CONCURRENCY, check_reservation_holds_segments, check_segment_fits
from infra.email_addresses import email_addresses
from infra.errors import ConfigError
from infra.students_file import load_students

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The directory holding `Pulumi.yaml`; relative file paths in config resolve against it."""

# CloudWatch Logs accepts only these retention periods (0 = never expire).
LOG_RETENTION_DAYS = (
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
MEMORY_MB = (128, 10240)
TIMEOUT_S = (1, 900)
EPHEMERAL_STORAGE_MB = (512, 10240)

@dataclass(frozen=True)
class StackConfig:
    """Everything the stack (or the local stack) needs, already validated."""

    stack: str
    region: str
    input_bucket: str
    output_bucket: str
    roster_bucket: str
    students_table: str
    students_file: Path
    students: tuple[dict[str, Any], ...]  # the records of students_file, validated
    roster_file: Path
    recognition: RecognitionSettings
    memory_size: int
    timeout: int
    ephemeral_storage: int
    reserved_concurrency: int | None
    segment_concurrency: int
    log_retention_days: int
    video_retention_days: int  # 0 = keep forever
    result_retention_days: int  # 0 = keep forever
    force_destroy: bool
    video_suffixes: tuple[str, ...]
    notify_emails: tuple[str, ...]  # subscribed to the results topic by e-mail; () = none

    @property
    def name_prefix(self) -> str:
        """`smart-classroom-<stack>`, lowercased and safe for ECR, Lambda and IAM names."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.stack.lower()).strip("-")[:40] or "stack"
        return f"smart-classroom-{slug}"

    @property
    def roster_key(self) -> str:
        """Object key of the roster in the roster bucket: the roster file's name."""
        return self.roster_file.name

    @property
    def roster_uri(self) -> str:
        """Where the handler loads the roster from (`ROSTER_URI`)."""
        return f"s3://{self.roster_bucket}/{self.roster_key}"


# --- defaults, from Pulumi.yaml -------------------------------------------------------


@functools.cache
def _project_file(project_dir: Path) -> dict[str, Any]:
    path = project_dir / "Pulumi.yaml"
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    """The project name (the config namespace), as `Pulumi.yaml` declares it."""
    return str(_project_file(project_dir)["name"])


def declared_keys(project_dir: Path = PROJECT_DIR) -> dict[str, dict[str, Any]]:
    """The project's config declarations (`type`, `default`, `description`) by key."""
    return dict(_project_file(project_dir).get("config") or {})


def project_defaults(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The declared defaults as config strings; keys without a default are required."""
    return {
        key: _as_config_string(decl["default"])
        for key, decl in declared_keys(project_dir).items()
        if isinstance(decl, Mapping) and "default" in decl
    }


def _as_config_string(value: Any) -> str:
    """Render a YAML value the way Pulumi hands config to a program: as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- parsing --------------------------------------------------------------------------


def parse_config(
    values: Mapping[str, str],
    stack: str,
    region: str,
    base_dir: Path,
    project_dir: Path = PROJECT_DIR,
) -> StackConfig:
    """Validate raw config values (project keys without namespace) into a StackConfig.

    Missing keys take the defaults declared in `Pulumi.yaml`; relative paths resolve
    against `base_dir`. Raises ConfigError naming the first offending key.
    """
    declared = declared_keys(project_dir)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ConfigError(unknown[0], f"unknown key; the project declares {', '.join(declared)}")
    raw = {**project_defaults(project_dir), **{k: _as_config_string(v) for k, v in values.items()}}

    def required(key: str) -> str:
        value = raw.get(key, "").strip()
        if not value:
            raise ConfigError(key, f"required; set it with `pulumi config set {key} <value>`")
        return value

    if not stack:
        raise ConfigError("stack", "the stack name is empty")
    if not region:
        raise ConfigError("aws:region", "required; set it with `pulumi config set aws:region <region>`")

    input_bucket = bucket_name("inputBucket", required("inputBucket"))
    output_bucket = bucket_name("outputBucket", required("outputBucket"))
    if output_bucket == input_bucket:
        raise ConfigError(
            "outputBucket",
            f"must differ from inputBucket ({input_bucket!r}): results written to the "
            "triggering bucket would invoke the function on its own output forever",
        )
    roster_bucket = bucket_name(
        "rosterBucket", raw.get("rosterBucket", "").strip() or f"{input_bucket}-roster"
    )
    if roster_bucket in (input_bucket, output_bucket):
        raise ConfigError("rosterBucket", "must differ from inputBucket and outputBucket")

    students_table = table_name("studentsTable", raw.get("studentsTable", "").strip() or f"smart-classroom-{stack}-students")

    students_file = _resolve(base_dir, required("studentsFile"))
    students = tuple(load_students(students_file))  # validated once, carried on the config
    roster_file = _resolve(base_dir, required("rosterFile"))
    _check_roster(roster_file)

    try:  # the handler's own definitions: a value it would refuse at run time is refused at `pulumi up`
        recognition = recognition_settings({k.config_key: required(k.config_key) for k in knobs().values()}, "config_key")
    except InvalidSetting as invalid:
        raise ConfigError(invalid.label, invalid.problem) from None

    timeout = _integer_in("timeout", required("timeout"), TIMEOUT_S, "s")
    check_segment_fits(timeout, recognition.segment_seconds)
    segment_concurrency = _integer_between(
        "segmentConcurrency", required("segmentConcurrency"), SEGMENT_CONCURRENCY,
        "is outside what an SQS event source mapping allows",
    )
    reserved = _integer("reservedConcurrency", raw.get("reservedConcurrency", "").strip() or "-1")
    if reserved < -1:
        raise ConfigError("reservedConcurrency", f"{reserved} is negative; use -1 for no reservation")
    if reserved == 0:
        raise ConfigError(
            "reservedConcurrency", "0 would keep the function from ever running; use -1 for no reservation"
        )
    check_reservation_holds_segments(reserved, segment_concurrency)

    retention = _integer("logRetentionDays", required("logRetentionDays"))
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "logRetentionDays",
            f"{retention} is not a CloudWatch retention period; use one of "
            + ", ".join(map(str, LOG_RETENTION_DAYS)),
        )

    return StackConfig(
        stack=stack,
        region=region,
        input_bucket=input_bucket,
        output_bucket=output_bucket,
        roster_bucket=roster_bucket,
        students_table=students_table,
        students_file=students_file,
        students=students,
        roster_file=roster_file,
        recognition=recognition,
        memory_size=_integer_in("memorySize", required("memorySize"), MEMORY_MB, "MB"),
        timeout=timeout,
        ephemeral_storage=_integer_in("ephemeralStorage", required("ephemeralStorage"), EPHEMERAL_STORAGE_MB, "MB"),
        reserved_concurrency=None if reserved == -1 else reserved,
        segment_concurrency=segment_concurrency,
        log_retention_days=retention,
        video_retention_days=_days("videoRetentionDays", required("videoRetentionDays"), "videos"),
        result_retention_days=_days("resultRetentionDays", required("resultRetentionDays"), "results"),
        force_destroy=_boolean("forceDestroy", required("forceDestroy")),
        video_suffixes=parse_suffixes(required("videoSuffixes")),
        notify_emails=email_addresses("notifyEmails", raw.get("notifyEmails", "")),
    )


def _resolve(base_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


def _integer(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(key, f"{value!r} is not a whole number") from None


def _integer_in(key: str, value: str, bounds: tuple[int, int], unit: str) -> int:
    number = _integer(key, value)
    low, high = bounds
    if not low <= number <= high:
        raise ConfigError(key, f"{number} {unit} is outside Lambda's limits ({low} to {high} {unit})")
    return number


def _integer_between(key: str, value: str, bounds: tuple[int, int], problem: str) -> int:
    number = _integer(key, value)
    low, high = bounds
    if not low <= number <= high:
        raise ConfigError(key, f"{number} {problem} ({low} to {high})")
    return number


def _days(key: str, value: str, what: str) -> int:
    """A number of days an S3 lifecycle rule waits before deleting; 0 means no rule."""
    days = _integer(key, value)
    if days < 0:
        raise ConfigError(key, f"{days} is negative; use 0 to keep {what} forever, or a number of days")
    return days


def _boolean(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ConfigError(key, f"{value!r} is not true or false")
    return lowered == "true"


def parse_suffixes(value: str, key: str = "videoSuffixes") -> tuple[str, ...]:
    """`.mp4,.MOV` → ('.mp4', '.mov'): lower case (they are matched without regard to case),
    non-empty, without spaces, none the end of another."""
    suffixes = tuple(dict.fromkeys(s.strip().lower() for s in value.split(",")))
    if not all(suffixes) or any(re.search(r"\s", s) for s in suffixes):
        raise ConfigError(key, f"{value!r} must be a comma-separated list of non-empty suffixes such as .mp4,.mov")
    for i, a in enumerate(suffixes):
        for b in suffixes[i + 1:]:
            if a.endswith(b) or b.endswith(a):
                # S3 rejects two notification rules for the same event whose suffixes overlap.
                raise ConfigError(key, f"{a!r} and {b!r} overlap; S3 rejects overlapping suffix filters")
    return suffixes


def _check_roster(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(
            "rosterFile",
            f"{path} does not exist; build it with `python -m classroom roster` "
            "or `python -m classroom demo-data`",
        )
    if not zipfile.is_zipfile(path):
        raise ConfigError("rosterFile", f"{path} is not an .npz archive")


# --- sources --------------------------------------------------------------------------


def from_pulumi() -> StackConfig:
    """Read and validate the running stack's config (inside `pulumi up` or under mocks)."""
    import pulumi  # only needed here: the local stack never calls this
    from pulumi.runtime.config import CONFIG, get_config_env

    namespace = f"{project_name()}:"
    # Declared keys, plus whatever else was set in the namespace (so typos are reported).
    present = {*CONFIG.get(), *get_config_env(), *(namespace + key for key in declared_keys())}
    config = pulumi.Config()
    values: dict[str, str] = {}
    for full_key in sorted(present):
        if full_key.startswith(namespace):
            key = full_key[len(namespace):]
            value = config.get(key)
            if value is not None:
                values[key] = value
    region = (
        pulumi.Config("aws").get("region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or ""
    )
    return parse_config(values, stack=pulumi.get_stack(), region=region, base_dir=PROJECT_DIR)


def from_stack_file(
    stack: str = "dev", project_dir: Path = PROJECT_DIR, overrides: Mapping[str, str] | None = None
) -> StackConfig:
    """Read and validate `Pulumi.<stack>.yaml` without a Pulumi engine (the local stack).

    `overrides` replaces project keys (e.g. `rosterFile`) before the same validation runs.
    """
    path = project_dir / f"Pulumi.{stack}.yaml"
    try:
        with path.open(encoding="utf-8") as f:
            document = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ConfigError("stack", f"{path} does not exist; create it with `pulumi stack init {stack}`") from None
    namespace = f"{project_name(project_dir)}:"
    values: dict[str, str] = {}
    region = ""
    for full_key, value in (document.get("config") or {}).items():
        if full_key == "aws:region":
            region = str(value)
            continue
        if full_key.startswith(namespace):
            key = full_key[len(namespace):]
        elif ":" not in full_key:
            key = full_key  # project keys may omit the namespace
        else:
            continue  # other providers' settings, e.g. aws:defaultTags
        if isinstance(value, Mapping):
            raise ConfigError(key, "secret or structured values are not supported here")
        values[key] = _as_config_string(value)
    values.update(overrides or {})
    return parse_config(values, stack=stack, region=region, base_dir=project_dir, project_dir=project_dir)
