"""Lambda entry point: every record of an S3 ObjectCreated event → one CSV or one error report.

Clients, models and the roster live at module level so a warm container reuses them.
Errors that retrying cannot fix (an unreadable video, a missing roster) end in an error report
beside where the CSV would go; transient AWS errors raise so that Lambda retries the event.
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.exceptions import ClientError

from handler.events import BadRecord, S3Location, error_key, output_key, records, video_location
from handler.faces import face_finder
from handler.logs import log_json
from handler.recognition import Recognition, recognise_video
from handler.result_files import attendance_csv, error_report
from handler.roster import Roster, RosterCache, RosterError
from handler.settings import Settings, load_settings
from handler.students import fetch_students
from handler.frames import UnreadableVideo
from handler.limits import Limits, OverLimit, check_disk

_roster_cache = RosterCache()
MISSING_OBJECT_CODES = {"NoSuchKey", "NoSuchBucket", "404"}


class VideoRejected(Exception):
    """This video can never give a CSV; the message is the plain reason for the report."""


@functools.cache
def _s3() -> Any:
    return boto3.client("s3")  # honours AWS_ENDPOINT_URL, so the emulator works unchanged


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _load_roster(settings: Settings) -> Roster:
    roster = settings.roster
    try:
        return _roster_cache.get(_s3(), roster.bucket, roster.key)
    except ClientError as error:
        if _error_code(error) in MISSING_OBJECT_CODES:
            raise VideoRejected(
                f"the roster {roster.uri} does not exist; upload one built with `python -m classroom roster build`"
            ) from None
        if _error_code(error) == "AccessDenied":  # what S3 answers for a missing key without s3:ListBucket
            raise VideoRejected(
                f"the roster {roster.uri} cannot be read (missing, or the function may not read it)"
            ) from None
        raise
    except RosterError as error:
        raise VideoRejected(f"the roster {roster.uri} is not a valid roster file: {error}") from None


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _download(video: S3Location, folder: Path, source: dict[str, str]) -> Path:
    """Copy the video into this record's own temporary folder (no shell, no key in a path);
    what was read (size, ETag, version) goes into `source`, for the result's metadata."""
    path = folder / ("video" + Path(video.key).suffix.lower()[:16])
    try:
        response = _s3().get_object(Bucket=video.bucket, Key=video.key)
    except ClientError as error:
        if _error_code(error) in MISSING_OBJECT_CODES:
            raise VideoRejected("the video was deleted before it could be read") from None
        raise
    source.update(video_size=str(response.get("ContentLength", "")), video_etag=str(response.get("ETag", "")).strip('"'))
    try:
        check_disk(int(response.get("ContentLength") or 0), _free_bytes(folder))
    except OverLimit:
        response["Body"].close()
        raise
    if response.get("VersionId") not in (None, "null"):
        source["video_version"] = str(response["VersionId"])
    with open(path, "wb") as file:
        for chunk in response["Body"].iter_chunks(1 << 20):
            file.write(chunk)
    return path


def _recognise(video: S3Location, settings: Settings, roster: Roster, timings: dict[str, float],
               source: dict[str, str], limits: Limits) -> Recognition:
    with tempfile.TemporaryDirectory(prefix="smart-classroom-") as folder:  # removed whatever happens
        try:
            tick = time.perf_counter()
            path = _download(video, Path(folder), source)
            timings["download"] = time.perf_counter() - tick
            tick = time.perf_counter()
            recognition = recognise_video(path, roster, settings.recognition, face_finder(), limits)
        except OverLimit as over:  # /tmp, memory or time: the report names the setting to raise
            raise VideoRejected(f"the video cannot be handled: {over}") from None
        except UnreadableVideo as error:
            raise VideoRejected(f"the file cannot be read as a video: {error}") from None
        timings["recognise"] = time.perf_counter() - tick
    return recognition


def _publish(bucket: str, key: str, replaces: str, body: str, content_type: str, source: dict[str, str]) -> None:
    """Write a video's result object, then remove the other kind of result of the same video.

    The object's metadata says which video it came from (key, size, ETag, version): two
    videos sharing a stem (`lesson.mp4`, `lesson.mov`) write the same result key, and the
    metadata shows which one a result is. S3 metadata is ASCII, so the key is URL-encoded.
    """
    metadata = {name.replace("_", "-"): value for name, value in source.items() if value}
    _s3().put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type, Metadata=metadata)
    _s3().delete_object(Bucket=bucket, Key=replaces)  # no error when there is none


def process_video(video: S3Location, settings: Settings, request_id: str | None, limits: Limits) -> dict[str, Any]:
    """One video → one result object; returns the summary that is also logged."""
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": video.bucket, "key": video.key, "mode": settings.mode}
    source = {"video_bucket": video.bucket, "video_key": quote(video.key, safe="/")}
    try:
        tick = time.perf_counter()
        roster = _load_roster(settings)
        timings["roster"] = time.perf_counter() - tick
        recognition = _recognise(video, settings, roster, timings, source, limits)
    except VideoRejected as rejected:
        summary.update(status="error", output_key=error_key(video.key), error=str(rejected))
        _publish(settings.output_bucket, error_key(video.key), output_key(video.key),
                 error_report(video.bucket, video.key, str(rejected), request_id), "application/json", source)
        log_json("ERROR", "video rejected", request_id=request_id, **summary, timings=_rounded(timings))
        return summary

    tick = time.perf_counter()
    found = fetch_students(_dynamodb(), settings.students_table, recognition.names)
    timings["lookup"] = time.perf_counter() - tick
    missing = [name for name in recognition.names if name not in found]
    tick = time.perf_counter()
    _publish(settings.output_bucket, output_key(video.key), error_key(video.key),
             attendance_csv(recognition.present, found), "text/csv; charset=utf-8", source)
    timings["upload"] = time.perf_counter() - tick

    summary.update(
        status="ok",
        output_key=output_key(video.key),
        students=recognition.names,
        frames_decoded=recognition.frames_decoded,
        frames_sampled=recognition.frames_sampled,
        faces_seen=recognition.faces_seen,
        faces_unrecognised=recognition.faces_unrecognised,
        faces_encoded=recognition.faces_encoded,
        full_scans=recognition.full_scans,
        region_scans=recognition.region_scans,
        video_seconds=recognition.seconds,
        recognition_timings=recognition.timings,
    )
    warnings = [f"{name} was recognised but is not in table {settings.students_table}" for name in missing]
    if warnings:
        summary["warnings"] = warnings
    log_json("WARNING" if warnings else "INFO", "video processed", request_id=request_id, **summary, timings=_rounded(timings))
    return summary


def _rounded(timings: Mapping[str, float]) -> dict[str, float]:
    return {name: round(seconds, 4) for name, seconds in timings.items()}


def _limits(context: Any) -> Limits:
    """The function's memory and the time this invocation has left, from Lambda's context."""
    memory = int(getattr(context, "memory_limit_in_mb", 0) or os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 3008))
    return Limits.from_lambda(memory, context.get_remaining_time_in_millis())


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Process every record; a bad record never stops the others, a transient error still raises."""
    settings = load_settings(os.environ)
    request_id = getattr(context, "aws_request_id", None)
    if event.get("Event") == "s3:TestEvent":  # sent once when a notification is configured
        return {"records": []}
    results: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    for record in records(event):
        try:
            video = video_location(record)
        except BadRecord as error:
            log_json("ERROR", "record ignored", request_id=request_id, error=str(error))
            results.append({"status": "ignored", "error": str(error)})
            continue
        if video.bucket == settings.output_bucket:  # a result must never trigger more work
            log_json("ERROR", "record ignored", request_id=request_id, bucket=video.bucket, key=video.key,
                     error="the object is in the output bucket; refusing to loop")
            results.append({"status": "ignored", "key": video.key, "error": "object is in the output bucket"})
            continue
        try:
            results.append(process_video(video, settings, request_id, _limits(context)))
        except Exception as error:  # transient: finish the other records, then let Lambda retry
            log_json("ERROR", "video failed, will be retried", exc_info=True, request_id=request_id, bucket=video.bucket,
                     key=video.key, error=f"{type(error).__name__}: {error}")
            results.append({"status": "failed", "key": video.key, "error": f"{type(error).__name__}: {error}"})
            failures.append(error)
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(results)} records failed and will be retried") from failures[0]
    return {"records": results}
