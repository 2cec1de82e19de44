"""Stack configuration: every bad value is refused with its key named, before `pulumi up`
declares anything; defaults come from Pulumi.yaml; the dev stack file is a working example;
and the environment handed to the Lambda is one the handler accepts.
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from handler.segments.segment_contract import PLANNED_SECONDS_PER_VIDEO_SECOND, PLANNING_ALLOWANCE_SECONDS
from handler.settings import RecognitionSettings, knobs
from infra.capacity import minimum_timeout
from infra.config import PROJECT_DIR, StackConfig, declared_keys, from_stack_file, parse_config, project_defaults
from infra.errors import ConfigError
from infra.students_file import load_students
from infra.contract import (
    jobs_table_name,
    lambda_environment,
    notify_topic_name,
    public_access_block_boto3,
    segment_queue_name,
    student_item,
)


def parse(values: dict[str, str], base_dir: Path, stack: str = "dev", region: str = "us-east-1") -> StackConfig:
    """parse_config as the program calls it."""
    return parse_config(values, stack=stack, region=region, base_dir=base_dir)


@pytest.fixture
def minimal(data_files: dict[str, str]) -> dict[str, str]:
    """Only what a user must set: the two bucket names (and where the test data is)."""
    return {"inputBucket": "class-videos-in", "outputBucket": "class-videos-out", **data_files}


# --- refusals ---------------------------------------------------------------------------

INVALID: list[tuple[dict[str, str], str]] = [
    ({"inputBucket": ""}, r"^inputBucket: required"),
    ({"inputBucket": "Class_Videos"}, r"^inputBucket: 'Class_Videos' is not a valid S3 bucket name"),
    ({"inputBucket": "ab"}, r"^inputBucket: .*3 to 63 characters"),
    ({"inputBucket": "192.168.10.1"}, r"^inputBucket: .*IP address"),
    ({"inputBucket": "class..videos"}, r"^inputBucket: .*'\.\.'"),
    ({"inputBucket": "xn--class-videos"}, r"^inputBucket: .*reserves"),
    ({"outputBucket": "-results"}, r"^outputBucket: '-results' is not a valid S3 bucket name"),
    ({"outputBucket": "class-videos-in"}, r"^outputBucket: must differ from inputBucket .*forever"),
    ({"rosterBucket": "class-videos-out"}, r"^rosterBucket: must differ"),
    ({"inputBucket": "v" * 60}, r"^rosterBucket: '.*-roster' is not a valid S3 bucket name.*63"),
    ({"studentsTable": "students table"}, r"^studentsTable: 'students table' is not a valid DynamoDB table name"),
    ({"recognitionMode": "some"}, r"^recognitionMode: 'some' is not one of all, first"),
    ({"memorySize": "64"}, r"^memorySize: 64 MB is outside Lambda's limits \(128 to 10240 MB\)"),
    ({"memorySize": "10241"}, r"^memorySize: 10241 MB is outside"),
    ({"memorySize": "lots"}, r"^memorySize: 'lots' is not a whole number"),
    ({"timeout": "901"}, r"^timeout: 901 s is outside Lambda's limits \(1 to 900 s\)"),
    ({"timeout": "0"}, r"^timeout: 0 s is outside"),
    ({"ephemeralStorage": "511"}, r"^ephemeralStorage: 511 MB is outside Lambda's limits \(512 to 10240 MB\)"),
    ({"ephemeralStorage": "20480"}, r"^ephemeralStorage: 20480 MB is outside"),
    ({"framesPerSecond": "0"}, r"^framesPerSecond: 0 must be between 0\.01 and 120"),
    ({"framesPerSecond": "nan"}, r"^framesPerSecond: nan must be between"),
    ({"framesPerSecond": "fast"}, r"^framesPerSecond: 'fast' is not a number"),
    ({"matchTolerance": "1.5"}, r"^matchTolerance: 1\.5 must be between 0\.01 and 1"),
    ({"minFacePercent": "0.5"}, r"^minFacePercent: 0\.5 must be between 1 and 50"),
    ({"fullScanSeconds": "soon"}, r"^fullScanSeconds: 'soon' is not a number"),
    ({"reservedConcurrency": "-2"}, r"^reservedConcurrency: -2 is negative"),
    ({"reservedConcurrency": "0"}, r"^reservedConcurrency: 0 would keep the function from ever running"),
    ({"segmentConcurrency": "1"}, r"^segmentConcurrency: 1 is outside what an SQS event source mapping allows \(2 to 1000\)"),
    ({"segmentConcurrency": "1001"}, r"^segmentConcurrency: 1001 is outside"),
    ({"segmentConcurrency": "many"}, r"^segmentConcurrency: 'many' is not a whole number"),
    ({"segmentSeconds": "5"}, r"^segmentSeconds: 5 must be between 10 and 3600"),
    ({"maxVideoMinutes": "2000"}, r"^maxVideoMinutes: 2000 must be between 1 and 1440"),
    ({"logRetentionDays": "10"}, r"^logRetentionDays: 10 is not a CloudWatch retention period"),
    ({"forceDestroy": "yes"}, r"^forceDestroy: 'yes' is not true or false"),
    ({"videoRetentionDays": "-1"}, r"^videoRetentionDays: -1 is negative; use 0 to keep videos forever"),
    ({"videoRetentionDays": "a month"}, r"^videoRetentionDays: 'a month' is not a whole number"),
    ({"resultRetentionDays": "-7"}, r"^resultRetentionDays: -7 is negative; use 0 to keep results forever"),
    ({"videoSuffixes": ".mp4,,.mov"}, r"^videoSuffixes: .*comma-separated"),
    ({"videoSuffixes": ".mp4,4"}, r"^videoSuffixes: '\.mp4' and '4' overlap"),
    ({"videoSuffixes": ".mp4,.MOV,mov"}, r"^videoSuffixes: '\.mov' and 'mov' overlap"),
    ({"notifyEmails": "teacher@school.edu,,head@school.edu"}, r"^notifyEmails: .*has an empty entry"),
    ({"notifyEmails": "teacher@school"}, r"^notifyEmails: 'teacher@school' is not an e-mail address"),
    ({"notifyEmails": "teacher at school.edu"}, r"^notifyEmails: 'teacher at school.edu' is not an e-mail address"),
    ({"notifyEmails": "a@school.edu b@school.edu"}, r"^notifyEmails: 'a@school.edu b@school.edu' is not an e-mail"),
    ({"notifyEmails": "a@b@school.edu"}, r"^notifyEmails: 'a@b@school.edu' is not an e-mail address"),
    ({"notifyEmails": "a@school.edu;b@school.edu"}, r"^notifyEmails: 'a@school.edu;b@school.edu' is not an e-mail"),
    ({"notifyEmails": "t@" + "s" * 250 + ".edu"}, r"^notifyEmails: 't@s+\.edu' is not an e-mail address"),
    ({"notifyEmails": "Teacher@School.edu, teacher@school.edu"}, r"^notifyEmails: 'teacher@school.edu' is listed twice"),
    ({"evidence": "yes"}, r"^evidence: 'yes' is not one of true, false"),
    ({"inputbucket": "class-videos-in"}, r"^inputbucket: unknown key"),
]


@pytest.mark.parametrize(
    ("override", "message"), INVALID, ids=[f"{m.split(':')[0].lstrip('^')}-{i}" for i, (_, m) in enumerate(INVALID)]
)
def test_invalid_value_is_refused_naming_its_key(
    minimal: dict[str, str], tmp_path: Path, override: dict[str, str], message: str
) -> None:
    """Each invalid value stops the deployment with a message that starts with its key."""
    with pytest.raises(ConfigError, match=message):
        parse({**minimal, **override}, tmp_path)


# --- combinations that cannot work ------------------------------------------------------


def test_timeout_must_fit_one_segment(minimal: dict[str, str], tmp_path: Path) -> None:
    """A segment of 200 s needs 200 x 0.25 + 30 = 80 s: a 79 s timeout is refused, naming both
    keys and the arithmetic; 80 s is accepted."""
    with pytest.raises(ConfigError, match=(
        r"^timeout: 79 s is too short for one segment: segmentSeconds 200 x 0\.25 s of compute per video second "
        r"\+ 30 s = 80 s; raise timeout to at least 80 or lower segmentSeconds to at most 196$"
    )) as raised:
        parse({**minimal, "segmentSeconds": "200", "timeout": "79"}, tmp_path)
    assert raised.value.key == "timeout"
    assert parse({**minimal, "segmentSeconds": "200", "timeout": "80"}, tmp_path).timeout == 80
    assert minimum_timeout(200) == 80 == math.ceil(200 * PLANNED_SECONDS_PER_VIDEO_SECOND + PLANNING_ALLOWANCE_SECONDS)


def test_timeout_too_short_for_any_segment_only_says_raise_it(minimal: dict[str, str], tmp_path: Path) -> None:
    """Below the shortest segment's need (10 s -> 33 s) lowering segmentSeconds cannot help."""
    with pytest.raises(ConfigError, match=r"^timeout: 32 s is too short .*; raise timeout to at least 33$"):
        parse({**minimal, "segmentSeconds": "10", "timeout": "32"}, tmp_path)


def test_longest_segment_needs_more_than_lambda_allows(minimal: dict[str, str], tmp_path: Path) -> None:
    """segmentSeconds 3600 would need 930 s; Lambda's 900 s fits segments of at most 3480 s."""
    with pytest.raises(ConfigError, match=r"^timeout: 900 s .* = 930 s; .* lower segmentSeconds to at most 3480$"):
        parse({**minimal, "segmentSeconds": "3600", "timeout": "900"}, tmp_path)


def test_reservation_must_hold_the_segments_and_a_planner(minimal: dict[str, str], tmp_path: Path) -> None:
    """Throttled segments go back to the queue and count as receives: a reservation of 20 cannot
    carry 20 segments at once plus the invocation that plans a video; 21 can."""
    with pytest.raises(ConfigError, match=(
        r"^reservedConcurrency: 20 cannot hold segmentConcurrency \(20\) plus one invocation that plans a video: "
        r".*raise reservedConcurrency to at least 21, lower segmentConcurrency to at most 19, or use -1"
    )) as raised:
        parse({**minimal, "segmentConcurrency": "20", "reservedConcurrency": "20"}, tmp_path)
    assert raised.value.key == "reservedConcurrency"
    config = parse({**minimal, "segmentConcurrency": "20", "reservedConcurrency": "21"}, tmp_path)
    assert (config.segment_concurrency, config.reserved_concurrency) == (20, 21)
    # Below the smallest fan-out (2 segments) lowering segmentConcurrency cannot help.
    with pytest.raises(ConfigError, match=r"^reservedConcurrency: 2 .*; raise reservedConcurrency to at least 3, or use -1"):
        parse({**minimal, "segmentConcurrency": "2", "reservedConcurrency": "2"}, tmp_path)
    # The default (no reservation) never conflicts with the default fan-out.
    assert parse(minimal, tmp_path).reserved_concurrency is None


def test_region_is_required(minimal: dict[str, str], tmp_path: Path) -> None:
    """Without aws:region (and no AWS_REGION) there is nowhere to deploy."""
    with pytest.raises(ConfigError, match=r"^aws:region: required"):
        parse(minimal, tmp_path, region="")


def write_students(tmp_path: Path, content: Any) -> str:
    """A students file with this content (JSON-encoded unless already text)."""
    path = tmp_path / "students.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


GOOD = {"id": 1, "name": "ada", "major": "Math", "year": "Senior"}

BAD_STUDENTS: list[tuple[Any, str]] = [
    ("[{", r"is not valid JSON"),
    ({"students": [GOOD]}, r"must hold a JSON list"),
    ([GOOD, "bob"], r"record 1 is not an object"),
    ([{"id": 1, "name": "ada", "major": "Math"}], r"record 0 lacks year"),
    ([{**GOOD, "email": "a@b"}], r"record 0 has unexpected fields email"),
    ([{**GOOD, "id": "one"}], r"record 0: id must be a whole number"),
    ([{**GOOD, "name": " "}], r"record 0: name must be a non-empty string"),
    ([{**GOOD, "year": None}], r"record 0: year must be a string"),
    ([GOOD, {**GOOD, "id": 2}], r"record 1: the name 'ada' appears twice"),
    ([GOOD, {**GOOD, "id": 2, "name": "course#cse546"}], r"record 1: the name 'course#cse546' starts with 'course#'"),
    ([{**GOOD, "courses": "cse546"}], r"record 0: courses must be a list of course ids"),
    ([GOOD, {**GOOD, "name": "bob", "courses": ["cse546", "CSE535"]}], r"record 1: course 'CSE535' is not a course id"),
    ([{**GOOD, "courses": ["cse 546"]}], r"record 0: course 'cse 546' is not a course id"),
    ([{**GOOD, "courses": ["-cse546"]}], r"record 0: course '-cse546' is not a course id"),
    ([{**GOOD, "courses": ["c" * 65]}], r"record 0: course 'c{65}' is not a course id"),
    ([{**GOOD, "courses": ["cse546\n"]}], r"record 0: course 'cse546\\n' is not a course id"),
    ([{**GOOD, "courses": [546]}], r"record 0: course 546 is not a course id"),
    ([{**GOOD, "courses": ["cse546", "cse535", "cse546"]}], r"record 0: course 'cse546' is listed twice"),
]


@pytest.mark.parametrize(("content", "message"), BAD_STUDENTS)
def test_bad_students_file_is_refused(
    minimal: dict[str, str], tmp_path: Path, content: Any, message: str
) -> None:
    """The table is seeded from this file: a record the handler could not use stops the deployment."""
    values = {**minimal, "studentsFile": write_students(tmp_path, content)}
    with pytest.raises(ConfigError, match=r"^studentsFile: .*" + message):
        parse(values, tmp_path)


def test_courses_are_optional_and_kept_as_written(minimal: dict[str, str], tmp_path: Path) -> None:
    """A record may list its courses (ids of 1 to 64 characters, as the handler matches a key's
    folder); records without courses, or with an empty list, are students of no course."""
    records = [
        {**GOOD, "courses": ["cse546", "cse535"]},
        {**GOOD, "id": 2, "name": "bob", "courses": []},
        {**GOOD, "id": 3, "name": "eve", "courses": ["c" * 64, "a.b_c-9"]},
        {**GOOD, "id": 4, "name": "courses#not-a-course"},
    ]
    config = parse({**minimal, "studentsFile": write_students(tmp_path, records)}, tmp_path)
    assert list(config.students) == records


def test_missing_data_files_point_at_the_tool_that_makes_them(minimal: dict[str, str], tmp_path: Path) -> None:
    """A fresh checkout has no build/demo yet: the error says how to create the files."""
    with pytest.raises(ConfigError, match=r"^studentsFile: .*does not exist; `python -m classroom demo-data`"):
        parse({**minimal, "studentsFile": "build/demo/students.json"}, tmp_path)
    with pytest.raises(ConfigError, match=r"^rosterFile: .*does not exist; build it with `python -m classroom"):
        parse({**minimal, "rosterFile": "build/demo/roster.npz"}, tmp_path)


def test_roster_file_must_be_an_npz(minimal: dict[str, str], tmp_path: Path) -> None:
    """Uploading, say, the students JSON as the roster would break every invocation."""
    with pytest.raises(ConfigError, match=r"^rosterFile: .* is not an \.npz archive"):
        parse({**minimal, "rosterFile": minimal["studentsFile"]}, tmp_path)


# --- defaults and derived values --------------------------------------------------------


def test_defaults_come_from_pulumi_yaml(minimal: dict[str, str], tmp_path: Path) -> None:
    """With only the required keys set, every other value is Pulumi.yaml's declared default."""
    config = parse(minimal, tmp_path)
    declared = {key: decl.get("default") for key, decl in declared_keys().items()}
    assert config.recognition == RecognitionSettings()  # the handler's defaults are Pulumi.yaml's
    for name, knob in knobs().items():
        assert knob.parse(str(declared[knob.config_key])) == getattr(RecognitionSettings(), name), knob.config_key
    assert config.memory_size == declared["memorySize"]
    assert config.timeout == declared["timeout"]
    assert config.ephemeral_storage == declared["ephemeralStorage"]
    assert config.log_retention_days == declared["logRetentionDays"]
    assert config.video_retention_days == declared["videoRetentionDays"] == 30
    assert config.result_retention_days == declared["resultRetentionDays"] == 0  # results are the record: kept
    assert config.force_destroy is declared["forceDestroy"] is False
    assert config.video_suffixes == (".mp4", ".mov", ".avi", ".mkv", ".webm")
    assert config.reserved_concurrency is None
    assert config.segment_concurrency == declared["segmentConcurrency"] == 50
    assert config.ephemeral_storage == 512  # Lambda's free size: the video is streamed, not downloaded
    assert config.roster_bucket == "class-videos-in-roster"
    assert config.students_table == "smart-classroom-dev-students"
    assert config.notify_emails == () and declared["notifyEmails"] == ""  # nobody is mailed unless named
    assert config.recognition.evidence == declared["evidence"] == "true"


def test_notify_emails_are_trimmed_and_kept_in_order(minimal: dict[str, str], tmp_path: Path) -> None:
    """Spaces around commas are ignored; the addresses stay as written, in order."""
    config = parse({**minimal, "notifyEmails": " b.teacher+attendance@school.edu ,a@dept.school.edu"}, tmp_path)
    assert config.notify_emails == ("b.teacher+attendance@school.edu", "a@dept.school.edu")
    assert parse({**minimal, "notifyEmails": "  "}, tmp_path).notify_emails == ()


def test_relative_paths_resolve_against_the_project(minimal: dict[str, str], tmp_path: Path) -> None:
    """`build/demo/students.json` means the one under the project directory, wherever pulumi runs."""
    data = tmp_path / "build" / "demo"
    data.mkdir(parents=True)
    shutil.copy(minimal["studentsFile"], data / "students.json")
    shutil.copy(minimal["rosterFile"], data / "roster.npz")
    config = parse({**minimal, "studentsFile": "build/demo/students.json", "rosterFile": "build/demo/roster.npz"}, tmp_path)
    assert config.students_file == data / "students.json"
    assert config.roster_file == data / "roster.npz"
    assert config.roster_uri == "s3://class-videos-in-roster/roster.npz"


def test_names_derive_from_the_stack(minimal: dict[str, str], tmp_path: Path) -> None:
    """Two stacks in one account get different table, function and repository names."""
    prod = parse(minimal, tmp_path, stack="Prod_EU")
    assert prod.students_table == "smart-classroom-Prod_EU-students"
    assert prod.name_prefix == "smart-classroom-prod-eu"


def test_pulumi_yaml_declares_every_key() -> None:
    """The project file is the reference: each key typed and described; only bucket names required."""
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "smart-classroom"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    declared = declared_keys()
    assert set(declared) == {
        "inputBucket", "outputBucket", "rosterBucket", "studentsTable", "studentsFile", "rosterFile",
        "recognitionMode", "framesPerSecond", "matchTolerance", "minFacePercent", "fullScanSeconds",
        "segmentSeconds", "maxVideoMinutes", "segmentConcurrency", "memorySize", "timeout",
        "ephemeralStorage", "reservedConcurrency", "logRetentionDays", "videoRetentionDays", "resultRetentionDays",
        "forceDestroy", "videoSuffixes", "evidence", "notifyEmails",
    }
    python_type = {"string": str, "integer": int, "boolean": bool}
    for key, decl in declared.items():
        assert decl["type"] in python_type, key
        assert decl["description"].strip(), key
        if "default" in decl:
            assert type(decl["default"]) is python_type[decl["type"]], key
    assert {k for k, d in declared.items() if "default" not in d} == {"inputBucket", "outputBucket"}
    assert set(project_defaults()) == set(declared) - {"inputBucket", "outputBucket"}


def copy_project(tmp_path: Path, students: list[dict[str, Any]]) -> Path:
    """The project's Pulumi files in a scratch directory, with the demo data they point at."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    demo = tmp_path / "build" / "demo"
    demo.mkdir(parents=True)
    (demo / "students.json").write_text(json.dumps(students), encoding="utf-8")
    import numpy

    numpy.savez(demo / "roster.npz", names=numpy.array(["a"]), encodings=numpy.zeros((1, 128)))
    return tmp_path


def test_dev_stack_file_is_a_working_example(tmp_path: Path, students: list[dict[str, Any]]) -> None:
    """Pulumi.dev.yaml validates once `python -m classroom demo-data --out build/demo` has run."""
    project = copy_project(tmp_path, students)
    config = from_stack_file("dev", project)
    assert config.region == "us-east-1"
    assert config.force_destroy is True
    # A new account runs at most 10 functions at once: the dev stack's segments leave room for planners.
    assert config.segment_concurrency + 2 <= 10
    assert config.students_file == project / "build" / "demo" / "students.json"
    assert config.roster_file == project / "build" / "demo" / "roster.npz"
    assert config.input_bucket.startswith("smart-classroom-dev-input-")
    assert config.output_bucket.startswith("smart-classroom-dev-output-")
    assert "../shared" not in (PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")


def test_stack_file_refuses_what_pulumi_would_refuse(tmp_path: Path, students: list[dict[str, Any]]) -> None:
    """The local stack reads the same file and gets the same errors as `pulumi up`."""
    project = copy_project(tmp_path, students)
    stack_file = project / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    document["config"]["smart-classroom:outputBucket"] = document["config"]["smart-classroom:inputBucket"]
    stack_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^outputBucket: must differ from inputBucket"):
        from_stack_file("dev", project)
    with pytest.raises(ConfigError, match=r"^stack: .*Pulumi\.prod\.yaml does not exist"):
        from_stack_file("prod", project)


# --- the contracts with the handler and the local stack ---------------------------------


def test_student_item_is_dynamodb_json() -> None:
    """The item the table holds and the local stack seeds: name is the key, id a number."""
    assert student_item({"id": 7, "name": "ada", "major": "Math", "year": 2026}) == {
        "name": {"S": "ada"},
        "id": {"N": "7"},
        "major": {"S": "Math"},
        "year": {"S": "2026"},
    }


def test_load_students_returns_the_records(data_files: dict[str, str], students: list[dict[str, Any]]) -> None:
    """The records come back as written, in order."""
    assert load_students(Path(data_files["studentsFile"])) == students


def test_the_config_carries_the_validated_students(minimal: dict[str, str], tmp_path: Path,
                                                   students: list[dict[str, Any]]) -> None:
    """The students file is read once, at validation; the program and the local stack use the records."""
    assert list(parse(minimal, tmp_path).students) == students


def test_public_access_block_in_boto3_form() -> None:
    """The local stack sets the same four blocks the stack declares."""
    assert public_access_block_boto3() == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({}, {"frames_per_second": 2.0, "match_tolerance": 0.6, "mode": "all", "min_face_percent": 3.0,
              "keeps_evidence": True}),
        (
            {"framesPerSecond": "0.01", "matchTolerance": "0.01", "recognitionMode": "first", "minFacePercent": "1",
             "fullScanSeconds": "1", "evidence": "false"},
            {"frames_per_second": 0.01, "match_tolerance": 0.01, "mode": "first", "min_face_percent": 1.0,
             "full_scan_seconds": 1.0, "evidence": "false", "keeps_evidence": False},
        ),
        (
            {"framesPerSecond": "120", "matchTolerance": "1", "recognitionMode": "all", "minFacePercent": "50",
             "fullScanSeconds": "3600"},
            {"frames_per_second": 120.0, "match_tolerance": 1.0, "mode": "all", "min_face_percent": 50.0,
             "full_scan_seconds": 3600.0},
        ),
        ({"framesPerSecond": "0.3333333333333333"}, {"frames_per_second": 1 / 3}),
    ],
)
def test_handler_accepts_the_environment(
    minimal: dict[str, str], tmp_path: Path, override: dict[str, str], expected: dict[str, Any]
) -> None:
    """Whatever config passes here, the handler's own settings parser reads back unchanged."""
    from handler.settings import load_settings

    config = parse({**minimal, **override}, tmp_path)
    environment = lambda_environment(config)
    assert set(environment) == {
        "OUTPUT_BUCKET", "STUDENTS_TABLE", "ROSTER_URI", "RECOGNITION_MODE", "FRAMES_PER_SECOND", "MATCH_TOLERANCE",
        "MIN_FACE_PERCENT", "FULL_SCAN_SECONDS", "SEGMENT_SECONDS", "MAX_VIDEO_MINUTES", "JOBS_TABLE", "SEGMENT_QUEUE",
        "NOTIFY_TOPIC", "EVIDENCE",
    }
    settings = load_settings(environment)
    assert settings.output_bucket == config.output_bucket
    assert settings.students_table == config.students_table
    assert settings.jobs_table == jobs_table_name(config) == "smart-classroom-dev-jobs"
    assert settings.segment_queue == segment_queue_name(config) == "smart-classroom-dev-segments"
    assert settings.notify_topic == notify_topic_name(config) == "smart-classroom-dev-results"
    assert (settings.roster.bucket, settings.roster.key) == (config.roster_bucket, config.roster_key)
    assert settings.recognition == config.recognition
    for field, value in expected.items():
        assert getattr(settings.recognition, field) == value, field


def test_config_module_needs_no_pulumi() -> None:
    """The local stack imports infra.config on machines without a Pulumi engine or SDK loaded."""
    code = "import sys, infra.config; assert 'pulumi' not in sys.modules, sorted(m for m in sys.modules if 'pulumi' in m)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
