"""An uploaded video: read at once when it is no longer than a segment, else planned (its
segments sent to the segment queue). The S3 event's shape stays in handler.app."""
from __future__ import annotations

import time
from typing import Any

from handler import aws
from handler.events import Upload
from handler.faces.detector import face_finder
from handler.failures import BAD_ROSTER, REPLACED, classify
from handler.intake.failed_invocations import RETRIES_EXHAUSTED, FailedInvocation, failure_reason
from handler.results.publish import Call, log_video, publish_attendance, publish_error, source_metadata
from handler.segments.jobs import Job
from handler.segments.segment_queue import send_segments
from handler.segments.segment_tasks import SegmentTask
from handler.settings import Settings
from handler.tracks.recognition import recognise_span
from handler.tracks.span_result import merge
from handler.video.frames import probe
from handler.video.limits import check_length
from handler.video.s3_video import S3VideoFile
from handler.video.timeline import WHOLE, segments

ROSTER_ATTEMPTS = 3
"""Tries of an upload whose roster cannot be read (Lambda's two async retries, a minute or
more apart) before its error report blames the roster: a roster replaced for a moment does
not fail the videos uploaded meanwhile."""


def process_upload(event: Upload, settings: Settings, call: Call) -> dict[str, Any]:
    """One uploaded video → its CSV or error report now, or its segments sent (the planner).
    Raises for a failure worth another try; an upload that returns is marked handled."""
    summary = _process_upload(event, settings, call)
    aws.jobs(settings).mark_handled(event.video, event.attempt_key)
    return summary


def report_failed_upload(event: Upload, failed: FailedInvocation, settings: Settings, call: Call) -> dict[str, Any]:
    """An upload whose every try Lambda stopped or saw fail → its error report, saying why;
    nothing when one of the tries had handled it (another record of the same event failed)."""
    video, jobs = event.video, aws.jobs(settings)
    summary: dict[str, Any] = {"bucket": video.bucket, "key": video.key, "mode": settings.mode,
                               "failed_request": failed.request_id, "tries": failed.tries}
    if jobs.was_handled(video, event.attempt_key):
        summary.update(status="handled", output_key=None)
    else:
        publish_error(video, event.sequencer, source_metadata(video, event.size, event.etag, None),
                      failure_reason(failed), settings, call, summary)
        summary["failure"] = "stopped" if failed.condition == RETRIES_EXHAUSTED else "dropped"
        jobs.mark_handled(video, event.attempt_key)
    log_video(summary, call.request_id, {})
    return summary


def _process_upload(event: Upload, settings: Settings, call: Call) -> dict[str, Any]:
    video, jobs = event.video, aws.jobs(settings)
    request_id, limits = call.request_id, call.limits
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": video.bucket, "key": video.key, "mode": settings.mode}
    source = source_metadata(video, 0, "", None)
    if not jobs.register_upload(video, event.sequencer):
        summary.update(status="superseded", output_key=None)
        log_video(summary, request_id, timings)
        return summary
    try:
        tick = time.perf_counter()
        roster = aws.load_roster(settings)
        timings["roster"] = time.perf_counter() - tick
        tick = time.perf_counter()
        file = S3VideoFile.open(aws.s3(), video)
        source = source_metadata(video, file.facts.size, file.facts.etag, file.facts.version)
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
                send_segments(aws.sqs(), settings.segment_queue,
                              [SegmentTask(job, index, span) for index, span in enumerate(spans)])
                jobs.mark_sent(job.id)
            summary.update(status="split", job=job.id, segments=len(spans), video_seconds=facts.duration,
                           segment_seconds=settings.recognition.segment_seconds, sent=planned)
            log_video(summary, request_id, timings)
            return summary
        tick = time.perf_counter()
        part = recognise_span(file, roster, settings.recognition, face_finder(), limits, WHOLE, facts.duration)
        timings["recognise"] = time.perf_counter() - tick
        summary.update(s3_requests=file.counts.requests, s3_bytes=file.counts.bytes)
    except Exception as error:
        failure = classify(error)
        if failure.kind == REPLACED:
            summary.update(status="superseded", output_key=None, error=failure.reason)
            log_video(summary, request_id, timings)
            return summary
        # A roster fault is the deployment's: its tries are counted (only then) and bounded.
        attempt = jobs.count_attempt(video, event.attempt_key) if failure.kind == BAD_ROSTER else 0
        if failure.retry and (failure.kind != BAD_ROSTER or attempt < ROSTER_ATTEMPTS):
            raise
        reason = failure.reason if not failure.retry else f"{failure.reason} (tried {attempt} times)"
        publish_error(video, event.sequencer, source, reason, settings, call, summary)
        summary["failure"] = failure.kind
        log_video(summary, request_id, timings)
        return summary
    recognition = merge([part], settings.mode == "first")
    publish_attendance(video, event.sequencer, source, recognition, roster, settings, call, summary, timings)
    log_video(summary, request_id, timings)
    return summary
