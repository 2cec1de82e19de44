"""A video's outcome, written: the CSV and its evidence page, or the error report; the message
to the teacher; the one log line. Each result object names the video it came from, and is
written only while this upload is the newest of its key."""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from handler import aws
from handler.attendance.courses import course_of_key, fetch_course
from handler.attendance.sheet import Sheet, attendance_sheet
from handler.attendance.students import fetch_students
from handler.events import S3Location, error_key, output_key, page_key
from handler.faces.roster import Roster
from handler.logs import log_json
from handler.results.evidence_page import render_page
from handler.results.notify import error_message, publish, result_message
from handler.results.result_files import attendance_csv, error_report
from handler.settings import Settings
from handler.tracks.span_result import Recognition
from handler.video.limits import Limits


@dataclass(frozen=True)
class Call:
    """What one invocation knows of itself: its request id, its means, where to notify."""

    request_id: str | None
    limits: Limits
    notify_arn: str | None  # the results topic (handler.results.notify.topic_arn); None: no function ARN to derive it


def source_metadata(video: S3Location, size: int, etag: str, version: str | None) -> dict[str, str]:
    """Which video a result came from, as the result object's metadata (S3 metadata is ASCII,
    so the key is URL-encoded)."""
    return {"video_bucket": video.bucket, "video_key": quote(video.key, safe="/"), "video_size": str(size),
            "video_etag": etag, "video_version": version or ""}


def _publish(bucket: str, key: str, replaces: tuple[str, ...], body: str, content_type: str,
             source: dict[str, str]) -> None:
    """Write a video's result object, then remove the other kind of result of the same video.

    The object's metadata says which video it came from (key, size, ETag, version): two
    videos sharing a stem (`lesson.mp4`, `lesson.mov`) write the same result key, and the
    metadata shows which one a result is. S3 metadata is ASCII, so the key is URL-encoded.
    """
    metadata = {name.replace("_", "-"): value for name, value in source.items() if value}
    aws.s3().put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type, Metadata=metadata)
    for other in replaces:
        aws.s3().delete_object(Bucket=bucket, Key=other)  # no error when there is none


def _sheet(video: S3Location, recognition: Recognition, roster: Roster, settings: Settings,
           summary: dict[str, Any], timings: dict[str, float]) -> Sheet:
    """The video's attendance sheet: its course's list (one Query) when its key names a course,
    the records of everyone on it (one BatchGetItem), and the warnings a teacher should see."""
    tick = time.perf_counter()
    course_id = course_of_key(video.key)
    course = fetch_course(aws.dynamodb(), settings.students_table, course_id) if course_id else None
    timings["course"] = time.perf_counter() - tick
    tick = time.perf_counter()
    wanted = list(dict.fromkeys([*recognition.names, *(course.students if course else ())]))
    found = fetch_students(aws.dynamodb(), settings.students_table, wanted)
    timings["lookup"] = time.perf_counter() - tick
    missing = [name for name in recognition.names if name not in found]
    warnings = [*recognition.warnings,
                *(f"{name} was recognised but is not in table {settings.students_table}" for name in missing)]
    sheet = attendance_sheet(video.key, recognition.present, found, course, roster.names, recognition.seconds,
                             recognition.faces_unrecognised, warnings)
    summary.update(students=recognition.names, course=sheet.course, **recognition.log_fields())
    if sheet.course:
        summary.update(enrolled=sheet.enrolled_count, present_enrolled=sheet.present_enrolled_count,
                       absent=[row.name for row in sheet.absent])
    if sheet.warnings:
        summary["warnings"] = list(sheet.warnings)
    return sheet


def publish_attendance(video: S3Location, sequencer: str, source: dict[str, str], recognition: Recognition,
                        roster: Roster, settings: Settings, call: Call, summary: dict[str, Any],
                        timings: dict[str, float]) -> None:
    """Write the CSV and its evidence page and tell the teacher, unless a newer upload of the
    key has been recorded since (its result is the one that counts). The page goes first, so
    a CSV never points at a page that is not there yet."""
    sheet = _sheet(video, recognition, roster, settings, summary, timings)
    if not aws.jobs(settings).is_newest(video, sequencer):
        summary.update(status="superseded", output_key=None)
        return
    tick = time.perf_counter()
    bucket, csv_key, page = settings.output_bucket, output_key(video.key), page_key(video.key)
    evidence = settings.recognition.keeps_evidence
    if evidence:
        _publish(bucket, page, (), render_page(sheet, video.bucket), "text/html; charset=utf-8", source)
    _publish(bucket, csv_key, (error_key(video.key),) + (() if evidence else (page,)),
             attendance_csv(sheet), "text/csv; charset=utf-8", source)
    timings["upload"] = time.perf_counter() - tick
    summary.update(status="ok", output_key=csv_key, page_key=page if evidence else None)
    _notify(call, *result_message(video, sheet, bucket, csv_key, page if evidence else None))


def publish_error(video: S3Location, sequencer: str, source: dict[str, str], reason: str, settings: Settings,
                   call: Call, summary: dict[str, Any]) -> None:
    """Write the video's error report (replacing its CSV and page) and tell the teacher, unless
    a newer upload supersedes it."""
    if not aws.jobs(settings).is_newest(video, sequencer):
        summary.update(status="superseded", output_key=None, error=reason)
        return
    report = error_key(video.key)
    _publish(settings.output_bucket, report, (output_key(video.key), page_key(video.key)),
             error_report(video.bucket, video.key, reason, call.request_id), "application/json", source)
    summary.update(status="error", output_key=report, error=reason)
    _notify(call, *error_message(video, reason, settings.output_bucket, report, course_of_key(video.key)))


def _notify(call: Call, subject: str, body: dict[str, Any]) -> None:
    """Best effort: a lost message is logged, never a reason to read the video again."""
    if call.notify_arn is None:
        return
    try:
        publish(aws.sns(), call.notify_arn, subject, body)
    except Exception as error:  # noqa: BLE001 - the result objects are written; only the message is lost
        log_json("ERROR", "notification failed", exc_info=True, request_id=call.request_id,
                 topic=call.notify_arn, key=body["video"]["key"], error=f"{type(error).__name__}: {error}")


def log_video(summary: dict[str, Any], request_id: str | None, timings: Mapping[str, float]) -> None:
    """The one line per video (or per segment) with its counts and timings; the timings are
    kept in the summary too (the handler returns it: the local stack and the bench read them)."""
    summary["timings"] = _rounded(timings)
    level = {"error": "ERROR", "ok": "WARNING" if summary.get("warnings") else "INFO"}.get(summary["status"], "INFO")
    message = {"error": "video rejected", "ok": "video processed", "split": "video split into segments",
               "superseded": "video superseded by a newer upload", "segment": "segment processed",
               "skipped": "segment skipped"}.get(summary["status"], "video")
    log_json(level, message, request_id=request_id, **summary)


def _rounded(timings: Mapping[str, float]) -> dict[str, float]:
    return {name: round(seconds, 4) for name, seconds in timings.items()}
