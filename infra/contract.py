"""The stack contract: the facts the Pulumi program (infra/), the local stack (classroom/) and the
handler share, each written once. No Pulumi import, so the local stack and the tests use it.

The handler's own side of the contract stays in handler/ (the image holds nothing else):
its environment variables (handler.settings) and the table's key (handler.attendance.students).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from handler.attendance.courses import course_key
from handler.attendance.students import STUDENTS_KEY
from handler.events import parse_s3_uri
from handler.segments.segment_contract import JOBS_PARTITION_KEY, JOBS_SORT_KEY, SEGMENT_MAX_RECEIVES, SEGMENT_RETRY_SLACK_SECONDS
from handler.settings import Settings

if TYPE_CHECKING:
    from infra.config import StackConfig

STUDENTS_KEY_TYPE = "S"
"""The students table is keyed by STUDENTS_KEY, a string."""

UPLOAD_EVENTS = ("s3:ObjectCreated:*",)
"""The S3 events that start the function (one notification rule per video suffix)."""

PUBLIC_ACCESS_BLOCK = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
"""Every bucket turns all four of S3's public-access blocks on."""

JOBS_KEYS = ((JOBS_PARTITION_KEY, "S"), (JOBS_SORT_KEY, "S"))
"""The jobs table's partition and sort key, with their DynamoDB types (both strings)."""

SEGMENT_BATCH_SIZE = 1
"""Segment messages per invocation: one segment is one invocation's work (its timeout fits one)."""

SEGMENT_RESPONSE_TYPES = ("ReportBatchItemFailures",)
"""The handler reports a failed segment in `batchItemFailures` instead of raising, so Lambda
returns exactly that message to the queue."""

DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60
"""Dead letters (failed uploads, failed segments) stay for the SQS maximum, 14 days."""

ASYNC_RETRY_ATTEMPTS = 2
"""Retries of a failed asynchronous invocation (Lambda allows 0-2), on AWS and in the local
stack alike. Only transient errors fail an invocation (an unreadable video ends in an error
report instead), so retrying them as often as Lambda allows is cheap."""


def suffix_filters(suffixes: Iterable[str]) -> tuple[str, ...]:
    """Every spelling of each video suffix, one S3 notification rule each: S3 matches suffixes
    case-sensitively, and a camera writes `.MP4` where a phone writes `.mp4`."""
    spellings: list[str] = []
    for suffix in suffixes:
        choices = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in suffix]
        spellings.extend("".join(letters) for letters in itertools.product(*choices))
    return tuple(dict.fromkeys(spellings))


def public_access_block_boto3() -> dict[str, bool]:
    """PUBLIC_ACCESS_BLOCK as boto3's PublicAccessBlockConfiguration (BlockPublicAcls, ...)."""
    return {"".join(word.capitalize() for word in name.split("_")): True for name in PUBLIC_ACCESS_BLOCK}


def log_group_name(function_name: str) -> str:
    """Lambda's conventional log group of a function."""
    return f"/aws/lambda/{function_name}"


def function_name(config: StackConfig) -> str:
    """The function's name: one per stack."""
    return config.name_prefix


def jobs_table_name(config: StackConfig) -> str:
    """The table of segment jobs (and of the newest upload of each key): one per stack."""
    return f"{config.name_prefix}-jobs"


def segment_queue_name(config: StackConfig) -> str:
    """The SQS queue the planner writes one message per segment to, and the function consumes."""
    return f"{config.name_prefix}-segments"


def segment_dead_letter_name(config: StackConfig) -> str:
    """Where a segment message goes after SEGMENT_MAX_RECEIVES receives (the handler has written
    the video's error report by then; this only catches a failure to write it)."""
    return f"{config.name_prefix}-segments-dlq"


def failed_uploads_queue_name(config: StackConfig) -> str:
    """Lambda's on-failure destination: the records of upload events whose every try failed
    (handler.intake.failed_invocations). The function consumes it and writes each upload's error report."""
    return f"{config.name_prefix}-failed-uploads"


FAILED_UPLOADS_BATCH_SIZE = 10
"""Records of failed uploads per invocation: writing a report takes a second, not a segment's minutes."""

FAILED_UPLOADS_CONCURRENCY = 2
"""At most this many invocations report failed uploads at once (the least a mapping allows)."""


def segment_queue_attributes(timeout_s: int) -> dict[str, int]:
    """The segment queue's visibility timeout and maxReceiveCount for a function timeout."""
    return {"visibility_timeout": timeout_s + SEGMENT_RETRY_SLACK_SECONDS, "max_receive_count": SEGMENT_MAX_RECEIVES}


def failed_uploads_queue_attributes(timeout_s: int) -> dict[str, int]:
    """The failed-uploads queue's visibility timeout and maxReceiveCount: as the segment queue's
    (a record whose report could not be written comes back, then goes to the dead-letter queue)."""
    return segment_queue_attributes(timeout_s)


def lambda_environment(config: StackConfig) -> dict[str, str]:
    """The handler's environment variables, exactly; the Lambda and the local stack share it."""
    return Settings(
        output_bucket=config.output_bucket,
        students_table=config.students_table,
        roster=parse_s3_uri(config.roster_uri),
        jobs_table=jobs_table_name(config),
        segment_queue=segment_queue_name(config),
        notify_topic=notify_topic_name(config),
        recognition=config.recognition,
    ).environment()


def student_item(record: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The DynamoDB-JSON item for one (validated) student record; its courses, when it lists
    any, as a string set (for people reading the table; the handler reads course items)."""
    item: dict[str, dict[str, Any]] = {
        STUDENTS_KEY: {STUDENTS_KEY_TYPE: str(record["name"])},
        "id": {"N": str(record["id"])},
        "major": {"S": str(record["major"])},
        "year": {"S": str(record["year"])},
    }
    if record.get("courses"):
        item["courses"] = {"SS": sorted(set(record["courses"]))}
    return item


def course_items(records: Iterable[Mapping[str, Any]]) -> list[dict[str, dict[str, Any]]]:
    """One DynamoDB-JSON item per course named in the (validated) student records: its key
    (handler.attendance.courses.course_key), its id and the names on its list."""
    courses: dict[str, set[str]] = {}
    for record in records:
        for course in record.get("courses") or ():
            courses.setdefault(str(course), set()).add(str(record["name"]))
    return [
        {STUDENTS_KEY: {STUDENTS_KEY_TYPE: course_key(course)}, "course": {"S": course}, "students": {"SS": sorted(names)}}
        for course, names in sorted(courses.items())
    ]


def notify_topic_name(config: StackConfig) -> str:
    """The SNS topic that gets one message per result (the teacher's e-mail subscribes to it)."""
    return f"{config.name_prefix}-results"
