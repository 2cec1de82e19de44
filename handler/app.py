"""Lambda entry point: every uploaded video → exactly one CSV or one error report.

Two kinds of event reach it. S3's upload events: a video no longer than one segment is
processed at once; a longer one is split, one SQS message per segment (the planner). The
segment queue's events (an event source mapping, partial batch failures): each segment is
recognised on its own and stored in the jobs table, and the segment that completes the set
merges them into the one CSV. Failures are classified in handler.failures: those retrying
cannot fix end in an error report beside where the CSV would go; the others raise (or are
reported as batch item failures) so that Lambda or SQS tries again, a bounded number of times.
Clients, models and the roster live at module level so a warm container reuses them.
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
from botocore.exceptions import ClientError

from handler.courses import course_of_key, fetch_course
from handler.events import BadRecord, S3Location, Upload, error_key, output_key, page_key, records, upload
from handler.evidence_page import render_page
from handler.faces import face_finder
from handler.failures import REPLACED, RosterUnavailable, classify, error_code
from handler.frames import probe
from handler.jobs import FAILED, MERGED, MERGING, RUNNING, Job, Jobs
from handler.limits import Limits, check_length
from handler.logs import log_json
from handler.notify import error_message, publish, result_message, topic_arn
from handler.recognition import recognise_span
from handler.result_files import attendance_csv, error_report
from handler.roster import Roster, RosterCache, RosterError
from handler.s3_video import S3VideoFile
from handler.segment_contract import SEGMENT_ATTEMPTS
from handler.segment_queue import send_segments
from handler.segment_tasks import SegmentRecord, SegmentTask, is_segment_event, segment_record
from handler.settings import Settings, load_settings
from handler.sheet import Sheet, attendance_sheet
from handler.span_result import Recognition, SpanResult, merge
from handler.students import fetch_students
from handler.timeline import WHOLE, segments

_roster_cache = RosterCache()


@dataclass(frozen=True)
class Call:
    """What one invocation knows of itself: its request id, its means, where to notify."""

    request_id: str | None
    limits: Limits
    notify_arn: str | None  # the results topic (handler.notify.topic_arn); None: no function ARN to derive it
ROSTER_ATTEMPTS = 3
"""Tries of an upload whose roster cannot be read (Lambda's two async retries, a minute or
more apart) before its error report blames the roster: a roster replaced for a moment does
not fail the videos uploaded meanwhile."""


@functools.cache
def _s3() -> Any:
    return boto3.client("s3")  # honours AWS_ENDPOINT_URL, so the emulator works unchanged


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


@functools.cache
def _sqs() -> Any:
    return boto3.client("sqs")


@functools.cache
def _sns() -> Any:
    return boto3.client("sns")


def _jobs(settings: Settings) -> Jobs:
    return Jobs(_dynamodb(), settings.jobs_table)


def _load_roster(settings: Settings) -> Roster:
    roster = settings.roster
    try:
        return _roster_cache.get(_s3(), roster.bucket, roster.key)
    except ClientError as error:
        code = error_code(error)
        if code in ("NoSuchKey", "NoSuchBucket", "404"):
            raise RosterUnavailable(
                f"the roster {roster.uri} does not exist; upload one built with `python -m classroom roster build`"
            ) from None
        if code == "AccessDenied":  # what S3 answers for a missing key without s3:ListBucket
            raise RosterUnavailable(f"the roster {roster.uri} cannot be read (missing, or the function may not read it)") from None
        raise
    except RosterError as error:
        raise RosterUnavailable(f"the roster {roster.uri} is not a valid roster file: {error}") from None


def _source_metadata(video: S3Location, size: int, etag: str, version: str | None) -> dict[str, str]:
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
    _s3().put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type, Metadata=metadata)
    for other in replaces:
        _s3().delete_object(Bucket=bucket, Key=other)  # no error when there is none


def _sheet(video: S3Location, recognition: Recognition, roster: Roster, settings: Settings,
           summary: dict[str, Any], timings: dict[str, float]) -> Sheet:
    """The video's attendance sheet: its course's list (one Query) when its key names a course,
    the records of everyone on it (one BatchGetItem), and the warnings a teacher should see."""
    tick = time.perf_counter()
    course_id = course_of_key(video.key)
    course = fetch_course(_dynamodb(), settings.students_table, course_id) if course_id else None
    timings["course"] = time.perf_counter() - tick
    tick = time.perf_counter()
    wanted = list(dict.fromkeys([*recognition.names, *(course.students if course else ())]))
    found = fetch_students(_dynamodb(), settings.students_table, wanted)
    timings["lookup"] = time.perf_counter() - tick
    missing = [name for name in recognition.names if name not in found]
    warnings = [f"{name} was recognised but is not in table {settings.students_table}" for name in missing]
    sheet = attendance_sheet(video.key, recognition.present, found, course, roster.names, recognition.seconds,
                             recognition.faces_unrecognised, warnings)
    summary.update(students=recognition.names, course=sheet.course, **recognition.log_fields())
    if sheet.course:
        summary.update(enrolled=sheet.enrolled_count, present_enrolled=sheet.present_enrolled_count,
                       absent=[row.name for row in sheet.absent])
    if sheet.warnings:
        summary["warnings"] = list(sheet.warnings)
    return sheet


def _publish_attendance(video: S3Location, sequencer: str, source: dict[str, str], recognition: Recognition,
                        roster: Roster, settings: Settings, call: Call, summary: dict[str, Any],
                        timings: dict[str, float]) -> None:
    """Write the CSV and its evidence page and tell the teacher, unless a newer upload of the
    key has been recorded since (its result is the one that counts). The page goes first, so
    a CSV never points at a page that is not there yet."""
    sheet = _sheet(video, recognition, roster, settings, summary, timings)
    if not _jobs(settings).is_newest(video, sequencer):
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


def _publish_error(video: S3Location, sequencer: str, source: dict[str, str], reason: str, settings: Settings,
                   call: Call, summary: dict[str, Any]) -> None:
    """Write the video's error report (replacing its CSV and page) and tell the teacher, unless
    a newer upload supersedes it."""
    if not _jobs(settings).is_newest(video, sequencer):
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
        publish(_sns(), call.notify_arn, subject, body)
    except Exception as error:  # noqa: BLE001 - the result objects are written; only the message is lost
        log_json("ERROR", "notification failed", exc_info=True, request_id=call.request_id,
                 topic=call.notify_arn, key=body["video"]["key"], error=f"{type(error).__name__}: {error}")


def _log_video(summary: dict[str, Any], request_id: str | None, timings: Mapping[str, float]) -> None:
    """The one line per video (or per segment) with its counts and timings."""
    level = {"error": "ERROR", "ok": "WARNING" if summary.get("warnings") else "INFO"}.get(summary["status"], "INFO")
    message = {"error": "video rejected", "ok": "video processed", "split": "video split into segments",
               "superseded": "video superseded by a newer upload", "segment": "segment processed",
               "skipped": "segment skipped"}.get(summary["status"], "video")
    log_json(level, message, request_id=request_id, **summary, timings=_rounded(timings))


def process_upload(event: Upload, settings: Settings, call: Call) -> dict[str, Any]:
    """One uploaded video → its CSV or error report now, or its segments sent (the planner)."""
    video, jobs = event.video, _jobs(settings)
    request_id, limits = call.request_id, call.limits
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": video.bucket, "key": video.key, "mode": settings.mode}
    source = _source_metadata(video, 0, "", None)
    if not jobs.register_upload(video, event.sequencer):
        summary.update(status="superseded", output_key=None)
        _log_video(summary, request_id, timings)
        return summary
    attempt = jobs.count_attempt(video, event.attempt_key)
    try:
        tick = time.perf_counter()
        roster = _load_roster(settings)
        timings["roster"] = time.perf_counter() - tick
        tick = time.perf_counter()
        file = S3VideoFile.open(_s3(), video)
        source = _source_metadata(video, file.facts.size, file.facts.etag, file.facts.version)
        facts = probe(file)
        check_length(facts.duration, settings.recognition.max_video_minutes)
        if facts.width:
            limits.check_frame(facts.width, facts.height)
        timings["open"] = time.perf_counter() - tick
        spans = segments(facts.duration, settings.recognition.segment_seconds)
        if len(spans) > 1:
            job = Job(video, file.facts.etag, file.facts.size, file.facts.version, event.sequencer, len(spans))
            planned = jobs.start(job)
            if planned:
                send_segments(_sqs(), settings.segment_queue,
                              [SegmentTask(job, index, span) for index, span in enumerate(spans)])
                jobs.mark_sent(job.id)
            summary.update(status="split", job=job.id, segments=len(spans), video_seconds=facts.duration,
                           segment_seconds=settings.recognition.segment_seconds, sent=planned)
            _log_video(summary, request_id, timings)
            return summary
        tick = time.perf_counter()
        part = recognise_span(file, roster, settings.recognition, face_finder(), limits, WHOLE, facts.duration)
        timings["recognise"] = time.perf_counter() - tick
        summary.update(s3_requests=file.counts.requests, s3_bytes=file.counts.bytes)
    except Exception as error:
        failure = classify(error)
        if failure.kind == REPLACED:
            summary.update(status="superseded", output_key=None, error=failure.reason)
            _log_video(summary, request_id, timings)
            return summary
        if failure.retry and (failure.kind != "bad roster" or attempt < ROSTER_ATTEMPTS):
            raise
        reason = failure.reason if not failure.retry else f"{failure.reason} (tried {attempt} times)"
        _publish_error(video, event.sequencer, source, reason, settings, call, summary)
        summary["failure"] = failure.kind
        _log_video(summary, request_id, timings)
        return summary
    recognition = merge([part], settings.mode == "first")
    _publish_attendance(video, event.sequencer, source, recognition, roster, settings, call, summary, timings)
    _log_video(summary, request_id, timings)
    return summary


def process_segment(record: SegmentRecord, settings: Settings, call: Call) -> list[dict[str, Any]]:
    """One segment of a split video → its partial result; the segment that completes the set
    merges. Returns the segment's summary, then the video's when this segment ended it (merged
    or failed it). Raises for a failure worth another attempt (SQS redelivers the message)."""
    task, jobs = record.task, _jobs(settings)
    job, span = task.job, task.span
    request_id, limits = call.request_id, call.limits
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "job": job.id,
                               "segment": task.index, "segments": job.segments, "span": span.label}
    status = jobs.status(job.id)
    if status != RUNNING:
        # MERGING: this very message claimed the merge and was cut short, so it merges again.
        ended = _merge(job, record.message_id, settings, call) if status == MERGING else None
        summary.update(status="skipped", job_status=status)
        _log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    if record.receive_count > SEGMENT_ATTEMPTS:
        reason = jobs.last_failure(job.id, task.index) or "its invocation was stopped each time (out of time or memory)"
        ended = _fail_job(job, f"the segment {span.label} failed {SEGMENT_ATTEMPTS} times: {reason}", settings, call)
        summary.update(status="skipped", job_status=FAILED)
        _log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    try:
        tick = time.perf_counter()
        roster = _load_roster(settings)
        file = S3VideoFile.open(_s3(), job.video, etag=job.etag)
        part = recognise_span(file, roster, settings.recognition, face_finder(), limits, span)
        timings["recognise"] = time.perf_counter() - tick
    except Exception as error:
        failure = classify(error)
        if failure.retry:
            jobs.note_failure(job.id, task.index, failure.reason)
            raise
        ended = None
        if failure.kind == REPLACED:  # the newer upload has its own job and result
            jobs.fail(job.id)
            jobs.remove_partials(job.id)
        else:
            ended = _fail_job(job, f"the segment {span.label}: {failure.reason}", settings, call)
        summary.update(status="skipped", job_status=FAILED, error=failure.reason)
        _log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    complete = jobs.save_segment(job.id, task.index, part.to_bytes())
    summary.update(status="segment", s3_requests=file.counts.requests, s3_bytes=file.counts.bytes,
                   **{name: value for name, value in part.counts.items()})
    _log_video(summary, request_id, timings)
    if complete is None:  # the job failed or merged meanwhile: this partial is of no use
        jobs.remove_partials(job.id)
    ended = _merge(job, record.message_id, settings, call) if complete else None
    return [summary] + ([ended] if ended else [])


def _merge(job: Job, claimer: str, settings: Settings, call: Call) -> dict[str, Any] | None:
    """Every segment is in: merge them into the one CSV, once. Returns the video's summary
    (None for a claimer that lost the race)."""
    jobs = _jobs(settings)
    if not jobs.claim_merge(job.id, claimer):
        return None
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "mode": settings.mode, "job": job.id}
    tick = time.perf_counter()
    parts = [SpanResult.from_bytes(data) for data in jobs.partials(job.id)]
    recognition = merge(parts, settings.mode == "first")
    timings["merge"] = time.perf_counter() - tick
    source = _source_metadata(job.video, job.size, job.etag, job.version)
    _publish_attendance(job.video, job.sequencer, source, recognition, _load_roster(settings), settings, call,
                        summary, timings)
    jobs.finish(job.id, MERGED)
    _log_video(summary, call.request_id, timings)
    return summary


def _fail_job(job: Job, reason: str, settings: Settings, call: Call) -> dict[str, Any] | None:
    """End a split video in its error report: once, by whichever segment failed it first.
    Returns the video's summary (None when another segment had failed it already)."""
    jobs = _jobs(settings)
    if not jobs.fail(job.id):
        return None
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "mode": settings.mode, "job": job.id}
    source = _source_metadata(job.video, job.size, job.etag, job.version)
    _publish_error(job.video, job.sequencer, source, reason, settings, call, summary)
    jobs.remove_partials(job.id)
    _log_video(summary, call.request_id, {})
    return summary


def _rounded(timings: Mapping[str, float]) -> dict[str, float]:
    return {name: round(seconds, 4) for name, seconds in timings.items()}


def _call(context: Any, settings: Settings) -> Call:
    """This invocation's Call: its deadline and memory from Lambda's context, the results topic
    from the function's own ARN."""
    function_arn = str(getattr(context, "invoked_function_arn", "") or "")
    return Call(getattr(context, "aws_request_id", None), _limits(context),
                topic_arn(settings.notify_topic, function_arn) if function_arn else None)


def _limits(context: Any) -> Limits:
    """The function's memory and the time this invocation has left, from Lambda's context."""
    memory = int(getattr(context, "memory_limit_in_mb", 0) or os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 3008))
    return Limits.from_lambda(memory, context.get_remaining_time_in_millis())


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Process every record; a bad record never stops the others, a transient error still raises
    (an upload) or is reported as a batch item failure (a segment)."""
    settings = load_settings(os.environ)
    request_id = getattr(context, "aws_request_id", None)
    if event.get("Event") == "s3:TestEvent":  # sent once when a notification is configured
        return {"records": []}
    if is_segment_event(event):
        return _handle_segments(event, context, settings, request_id)
    results: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    for record in records(event):
        try:
            uploaded = upload(record)
        except BadRecord as error:
            log_json("ERROR", "record ignored", request_id=request_id, error=str(error))
            results.append({"status": "ignored", "error": str(error)})
            continue
        video = uploaded.video
        if video.bucket == settings.output_bucket:  # a result must never trigger more work
            log_json("ERROR", "record ignored", request_id=request_id, bucket=video.bucket, key=video.key,
                     error="the object is in the output bucket; refusing to loop")
            results.append({"status": "ignored", "key": video.key, "error": "object is in the output bucket"})
            continue
        try:
            results.append(process_upload(uploaded, settings, _call(context, settings)))
        except Exception as error:  # transient: finish the other records, then let Lambda retry
            log_json("ERROR", "video failed, will be retried", exc_info=True, request_id=request_id, bucket=video.bucket,
                     key=video.key, error=f"{type(error).__name__}: {error}")
            results.append({"status": "failed", "key": video.key, "error": f"{type(error).__name__}: {error}"})
            failures.append(error)
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(results)} records failed and will be retried") from failures[0]
    return {"records": results}


def _handle_segments(event: Mapping[str, Any], context: Any, settings: Settings, request_id: str | None) -> dict[str, Any]:
    """The segment queue's batch: the messages to try again are returned, the others are done."""
    retry: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    for raw in event["Records"]:
        try:
            record = segment_record(raw)
        except BadRecord as error:  # not ours: nothing to retry, nowhere to report
            log_json("ERROR", "record ignored", request_id=request_id, error=str(error))
            continue
        try:
            results.extend(process_segment(record, settings, _call(context, settings)))
        except Exception as error:
            log_json("ERROR", "segment failed, will be retried", exc_info=True, request_id=request_id,
                     key=record.task.job.video.key, segment=record.task.index, attempt=record.receive_count,
                     error=f"{type(error).__name__}: {error}")
            retry.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": retry, "records": results}
