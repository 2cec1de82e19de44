"""One SNS message per result, for the teacher: what is ready (or what went wrong) and where.

The topic's name comes from the environment (NOTIFY_TOPIC) and its ARN from the function's
own ARN (same partition, region and account), so the stack's environment stays a plain
function of its config. Publishing is best effort: the result objects are already written,
and re-reading a video to repeat a lost message would cost more than the message is worth.
"""
from __future__ import annotations

import json
from typing import Any

from handler.attendance.sheet import Sheet
from handler.events import S3Location

SUBJECT_LIMIT = 100  # SNS's longest subject (ASCII)


def topic_arn(topic_name: str, function_arn: str) -> str | None:
    """`arn:aws:lambda:eu-west-1:123456789012:function:f` + `t` → `arn:aws:sns:eu-west-1:123456789012:t`."""
    parts = function_arn.split(":")
    if len(parts) < 5 or parts[0] != "arn" or not parts[3] or not parts[4]:
        return None
    return f"arn:{parts[1]}:sns:{parts[3]}:{parts[4]}:{topic_name}"


def _subject(text: str) -> str:
    plain = text.encode("ascii", "replace").decode("ascii").replace("\n", " ")
    return plain if len(plain) <= SUBJECT_LIMIT else plain[: SUBJECT_LIMIT - 3] + "..."


def result_message(video: S3Location, sheet: Sheet, output_bucket: str, csv_key: str,
                   page_key: str | None) -> tuple[str, dict[str, Any]]:
    """The subject and body of a finished video's message."""
    body: dict[str, Any] = {
        "status": "ok", "video": {"bucket": video.bucket, "key": video.key}, "course": sheet.course,
        "present": len(sheet.present), "recognised_unenrolled": sum(1 for r in sheet.rows if r.enrolled is False),
        "enrolled": sheet.enrolled_count if sheet.course else None,
        "present_enrolled": sheet.present_enrolled_count if sheet.course else None,
        "absent": [row.name for row in sheet.absent],
        "csv": f"s3://{output_bucket}/{csv_key}", "page": f"s3://{output_bucket}/{page_key}" if page_key else None,
        "warnings": list(sheet.warnings),
    }
    if sheet.course:
        headline = f"{sheet.course}: {sheet.present_enrolled_count} of {sheet.enrolled_count} present"
    else:
        headline = f"{len(sheet.present)} student(s) recognised"
    return _subject(f"Attendance ready ({headline}): {video.key}"), body


def error_message(video: S3Location, reason: str, output_bucket: str, report_key: str,
                  course: str | None) -> tuple[str, dict[str, Any]]:
    """The subject and body of a video that ended in an error report."""
    body = {"status": "error", "video": {"bucket": video.bucket, "key": video.key}, "course": course,
            "error": reason, "report": f"s3://{output_bucket}/{report_key}"}
    return _subject(f"Attendance failed: {video.key}"), body


def publish(sns: Any, arn: str, subject: str, body: dict[str, Any]) -> str:
    """Send the message; its MessageId."""
    response = sns.publish(TopicArn=arn, Subject=subject, Message=json.dumps(body, ensure_ascii=False, indent=2))
    return str(response["MessageId"])
