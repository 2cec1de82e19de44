"""One segment of a split video: recognised on its own and stored in the jobs table; the segment
that completes the set merges them into the video's one result, and a segment that cannot be
read ends the video in an error report naming its time range."""
from __future__ import annotations

import time
from typing import Any

from handler import aws
from handler.faces.detector import face_finder
from handler.failures import REPLACED, classify
from handler.results.publish import Call, log_video, publish_attendance, publish_error, source_metadata
from handler.segments.jobs import FAILED, MERGED, MERGING, RUNNING, Job
from handler.segments.segment_contract import SEGMENT_ATTEMPTS
from handler.segments.segment_tasks import SegmentRecord
from handler.settings import Settings
from handler.tracks.recognition import recognise_span
from handler.tracks.span_result import SpanResult, merge
from handler.video.s3_video import S3VideoFile


def process_segment(record: SegmentRecord, settings: Settings, call: Call) -> list[dict[str, Any]]:
    """One segment of a split video → its partial result; the segment that completes the set
    merges. Returns the segment's summary, then the video's when this segment ended it (merged
    or failed it). Raises for a failure worth another attempt (SQS redelivers the message)."""
    task, jobs = record.task, aws.jobs(settings)
    job, span = task.job, task.span
    request_id, limits = call.request_id, call.limits
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "job": job.id,
                               "segment": task.index, "segments": job.segments, "span": span.label}
    status = jobs.status(job.id)
    if status != RUNNING:
        # MERGING: this very message claimed the merge and was cut short, so it merges again.
        ended = merge_job(job, record.message_id, settings, call) if status == MERGING else None
        summary.update(status="skipped", job_status=status)
        log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    if record.receive_count > SEGMENT_ATTEMPTS:
        reason = jobs.last_failure(job.id, task.index) or "its invocation was stopped each time (out of time or memory)"
        ended = fail_job(job, f"the segment {span.label} failed {SEGMENT_ATTEMPTS} times: {reason}", settings, call)
        summary.update(status="skipped", job_status=FAILED)
        log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    try:
        tick = time.perf_counter()
        roster = aws.load_roster(settings)
        file = S3VideoFile.open(aws.s3(), job.video, etag=job.etag)
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
            ended = fail_job(job, f"the segment {span.label}: {failure.reason}", settings, call)
        summary.update(status="skipped", job_status=FAILED, error=failure.reason)
        log_video(summary, request_id, timings)
        return [summary] + ([ended] if ended else [])
    complete = jobs.save_segment(job.id, task.index, part.to_bytes())
    summary.update(status="segment", s3_requests=file.counts.requests, s3_bytes=file.counts.bytes,
                   **{name: value for name, value in part.counts.items()})
    log_video(summary, request_id, timings)
    if complete is None:  # the job failed or merged meanwhile: this partial is of no use
        jobs.remove_partials(job.id)
    ended = merge_job(job, record.message_id, settings, call) if complete else None
    return [summary] + ([ended] if ended else [])


def merge_job(job: Job, claimer: str, settings: Settings, call: Call) -> dict[str, Any] | None:
    """Every segment is in: merge them into the one CSV, once. Returns the video's summary
    (None for a claimer that lost the race)."""
    jobs = aws.jobs(settings)
    if not jobs.claim_merge(job.id, claimer):
        return None
    timings: dict[str, float] = {}
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "mode": settings.mode, "job": job.id}
    tick = time.perf_counter()
    parts = [SpanResult.from_bytes(data) for data in jobs.partials(job.id)]
    recognition = merge(parts, settings.mode == "first")
    timings["merge"] = time.perf_counter() - tick
    source = source_metadata(job.video, job.size, job.etag, job.version)
    publish_attendance(job.video, job.sequencer, source, recognition, aws.load_roster(settings), settings, call,
                        summary, timings)
    jobs.finish(job.id, MERGED)
    log_video(summary, call.request_id, timings)
    return summary


def fail_job(job: Job, reason: str, settings: Settings, call: Call) -> dict[str, Any] | None:
    """End a split video in its error report: once, by whichever segment failed it first.
    Returns the video's summary (None when another segment had failed it already)."""
    jobs = aws.jobs(settings)
    if not jobs.fail(job.id):
        return None
    summary: dict[str, Any] = {"bucket": job.video.bucket, "key": job.video.key, "mode": settings.mode, "job": job.id}
    source = source_metadata(job.video, job.size, job.etag, job.version)
    publish_error(job.video, job.sequencer, source, reason, settings, call, summary)
    jobs.remove_partials(job.id)
    log_video(summary, call.request_id, {})
    return summary
