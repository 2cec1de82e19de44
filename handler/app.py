"""Lambda entry point: every uploaded video → exactly one CSV or one error report.

Two kinds of event reach it. S3's upload events: a video no longer than one segment is
processed at once; a longer one is split, one SQS message per segment (the planner). The
segment queue's events (an event source mapping, partial batch failures): each segment is
recognised on its own and stored in the jobs table, and the segment that completes the set
merges them into the one CSV. Failures are classified in handler.failures: those retrying
cannot fix end in an error report beside where the CSV would go; the others raise (or are
reported as batch item failures) so that Lambda or SQS tries again, a bounded number of times.
An upload whose every try was stopped (out of memory, out of time) comes back as Lambda's
record of the failed invocation, through a third queue, and gets its error report then.
Clients, models and the roster live at module level (handler.aws) so a warm container
reuses them. The work itself is in handler.intake.uploads, handler.segments.segment_runs and
handler.results.publish; this module alone knows the shapes of the events.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from typing import Any

from handler.events import BadRecord, records, upload
from handler.intake.failed_invocations import FailedInvocation, failed_invocation, is_failed_invocation
from handler.intake.uploads import process_upload, report_failed_upload
from handler.logs import log_json
from handler.results.notify import topic_arn
from handler.results.publish import Call
from handler.segments.segment_runs import process_segment
from handler.segments.segment_tasks import SegmentRecord, is_queue_event, segment_record
from handler.settings import Settings, load_settings
from handler.video.limits import Limits


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
    if is_queue_event(event):
        return _handle_queue(event, context, settings, request_id)
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


def _handle_queue(event: Mapping[str, Any], context: Any, settings: Settings, request_id: str | None) -> dict[str, Any]:
    """A batch from one of the function's queues: the messages to try again are returned, the
    others are done. The segment queue's messages are segments; the failed-uploads queue's are
    Lambda's records of upload events it gave up on, each ending in its error report."""
    retry: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    for raw in event["Records"]:
        body = str(raw.get("body", ""))
        try:
            work = (partial(_report_failed_uploads, failed_invocation(body)) if is_failed_invocation(body)
                    else partial(_run_segment, segment_record(raw)))
        except BadRecord as error:  # not ours: nothing to retry, nowhere to report
            log_json("ERROR", "record ignored", request_id=request_id, error=str(error))
            continue
        try:
            results.extend(work(context, settings, request_id))
        except Exception:  # logged where it happened; SQS delivers the message again
            retry.append({"itemIdentifier": str(raw.get("messageId", ""))})
    return {"batchItemFailures": retry, "records": results}


def _run_segment(record: SegmentRecord, context: Any, settings: Settings, request_id: str | None) -> list[dict[str, Any]]:
    try:
        return process_segment(record, settings, _call(context, settings))
    except Exception as error:
        log_json("ERROR", "segment failed, will be retried", exc_info=True, request_id=request_id,
                 key=record.task.job.video.key, segment=record.task.index, attempt=record.receive_count,
                 error=f"{type(error).__name__}: {error}")
        raise


def _report_failed_uploads(failed: FailedInvocation, context: Any, settings: Settings,
                           request_id: str | None) -> list[dict[str, Any]]:
    """Each upload of an event Lambda gave up on → its error report (handler.intake.failed_invocations)."""
    results: list[dict[str, Any]] = []
    for record in records(failed.event):
        try:
            uploaded = upload(record)
        except BadRecord:  # the upload event's own bad record: nothing to report on
            continue
        if uploaded.video.bucket == settings.output_bucket:
            continue
        try:
            results.append(report_failed_upload(uploaded, failed, settings, _call(context, settings)))
        except Exception as error:
            log_json("ERROR", "failed upload not reported, will be retried", exc_info=True, request_id=request_id,
                     key=uploaded.video.key, error=f"{type(error).__name__}: {error}")
            raise
    return results
