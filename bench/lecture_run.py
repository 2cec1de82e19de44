"""One lecture through the local stack: upload, wait for the CSV, read what each invocation did.

The stack is the one `make demo` runs (moto, S3 → SQS → worker processes, the segment queue
polled as Lambda's event source mapping polls it), started afresh for every run so that runs
with 1 and 2 workers share nothing. The workers run `bench.lecture_handler.handler`, the real
handler whose answer also carries its logged errors and the worker's peak memory.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.cpu_share import CpuShare
from bench.lecture_scene import LectureFiles
from classroom.invocations import UPLOAD

HANDLER = "bench.lecture_handler.handler"
KEY = "bench/lecture.mp4"


def _one_put() -> Any:
    """Upload in one PUT: moto announces a multipart upload twice (ObjectCreated:Put and
    :CompleteMultipartUpload, where S3 sends the latter only), and the second planner it
    starts would be work AWS never does."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=5 * 1024**3)


def stack_config(files: LectureFiles, segment_seconds: float) -> Any:
    """The dev stack's config with the lecture's roster and students, `segment_seconds`, and a
    timeout the stack accepts for them (the dev stack's own, or the minimum if that is more)."""
    from classroom.local_stack import load_stack_config
    from infra.capacity import check_segment_fits, minimum_timeout

    config = load_stack_config("dev", roster_file=files.roster, students_file=files.students)
    recognition = dataclasses.replace(config.recognition, segment_seconds=segment_seconds)
    timeout = max(config.timeout, minimum_timeout(segment_seconds))
    check_segment_fits(timeout, segment_seconds)
    return dataclasses.replace(config, recognition=recognition, timeout=timeout)


def _wait_for_result(s3: Any, bucket: str, timeout_s: float) -> tuple[str, bytes]:
    """("csv" or "error", body) of the lecture's result, polled every 0.2 s."""
    keys = {"csv": KEY.rsplit(".", 1)[0] + ".csv", "error": KEY.rsplit(".", 1)[0] + ".error.json"}
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        listed = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="bench/").get("Contents", [])}
        for kind, key in keys.items():
            if key in listed:
                return kind, s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        time.sleep(0.2)
    raise TimeoutError(f"no result for s3://{bucket}/{KEY} within {timeout_s:.0f} s")


def run(files: LectureFiles, segment_seconds: float, workers: int, log: Callable[[str], None] = print) -> dict:
    """Upload the lecture to a fresh local stack with `workers` workers; time it to the CSV."""
    from classroom.local_stack import LocalStack
    from infra.contract import segment_queue_attributes

    config = stack_config(files, segment_seconds)
    video_seconds = files.minutes * 60.0
    with LocalStack.start(config, workers=workers, handler_path=HANDLER, handler_logs=False) as stack:
        s3 = stack.client("s3")
        log(f"lecture: {workers} worker(s): uploading {files.video.stat().st_size / 1e6:.0f} MB")
        started, cpu = time.perf_counter(), CpuShare.now()
        s3.upload_file(str(files.video), config.input_bucket, KEY, Config=_one_put())
        uploaded = time.perf_counter()
        # Long enough for a segment to fail once and come back after its visibility timeout.
        patience = max(300.0, 2.0 * video_seconds) + segment_queue_attributes(config.timeout)["visibility_timeout"]
        kind, body = _wait_for_result(s3, config.output_bucket, patience)
        done, cpu_taken = time.perf_counter(), cpu.since()
        stack.invoker.wait_idle(60)  # the merging invocation returns just after its CSV is written
        range_get = _range_get_seconds(s3, config.input_bucket, files.video.stat().st_size)
        invocations = list(stack.invoker.invocations)
    if kind != "csv":
        raise RuntimeError(f"the lecture gave an error report instead of a CSV: {body.decode()[:500]}")
    log(f"lecture: {workers} worker(s): CSV {done - uploaded:.1f} s after the upload")
    return {
        "workers": workers, "timeout": config.timeout, "segment_seconds": segment_seconds,
        "frames_per_second": config.recognition.frames_per_second, "memory_mb": config.memory_size,
        "upload_seconds": uploaded - started, "wall_seconds": done - uploaded,
        "cpu": cpu_taken,  # what this run and other processes took of the cores meanwhile
        "segment_concurrency": config.segment_concurrency,
        "emulator_range_get_seconds": range_get,
        "csv_rows": list(csv.DictReader(io.StringIO(body.decode()))),
        **invocation_figures(invocations),
    }


def _range_get_seconds(s3: Any, bucket: str, size: int) -> float:
    """What one 256 KB ranged GET of the lecture costs in the emulator (median of 5): moto
    copies the whole object for each, so its cost grows with the video, unlike S3's."""
    middle, times = size // 2, []
    for _ in range(5):
        started = time.perf_counter()
        s3.get_object(Bucket=bucket, Key=KEY, Range=f"bytes={middle}-{middle + (256 << 10) - 1}")["Body"].read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _stats(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "median": None, "max": None, "min": None, "total": 0.0}
    return {"count": len(values), "median": statistics.median(values), "max": max(values), "min": min(values),
            "total": sum(values)}


def _records(invocation: Any) -> list[dict]:
    result = invocation.result if isinstance(invocation.result, dict) else {}
    return [r for r in result.get("records") or [] if isinstance(r, dict)]


def _log_lines(invocation: Any) -> list[dict]:
    result = invocation.result if isinstance(invocation.result, dict) else {}
    return list((result.get("bench") or {}).get("logged", []))


def _timings(invocation: Any, status: str) -> dict:
    """The timings of the invocation's record with this status (the handler returns them)."""
    return next((r.get("timings") or {} for r in _records(invocation) if r.get("status") == status), {})


def invocation_figures(invocations: list[Any]) -> dict:
    """The planner's time, the segments' times (median, max), the merge's, failures, memory."""
    planners = [inv for inv in invocations if inv.ok and not inv.segment
                and any(r.get("status") == "split" and r.get("sent") for r in _records(inv))]
    segments = [inv for inv in invocations if inv.ok and inv.segment
                and any(r.get("status") == "segment" for r in _records(inv))]
    merging = [inv for inv in segments if any(r.get("status") == "ok" for r in _records(inv))]
    split = next((r for inv in planners for r in _records(inv) if r.get("status") == "split"), {})
    segment_records = [r for inv in segments for r in _records(inv) if r.get("status") == "segment"]
    merge_timings = _timings(merging[0], "ok") if merging else {}
    ok_record = next((r for inv in merging for r in _records(inv) if r.get("status") == "ok"), {})
    return {
        "planner_seconds": planners[0].duration_s if planners else None,
        "planner_timings": _timings(planners[0], "split") if planners else {},
        "segments": split.get("segments"), "video_seconds": split.get("video_seconds"),
        "segment_invocation_seconds": _stats([inv.duration_s for inv in segments]),
        "segment_seconds_each": [round(inv.duration_s, 2) for inv in segments],
        "merging_invocation_seconds": merging[0].duration_s if merging else None,
        "merge_seconds": sum(merge_timings.values()) if merge_timings else None,
        "merge_timings": merge_timings,
        "segments_done": len(segment_records),
        "upload_invocations": sum(1 for inv in invocations if inv.source == UPLOAD),
        "failed_invocations": sum(1 for inv in invocations if not inv.ok),
        "segments_to_retry": sum(len(inv.result.get("batchItemFailures") or []) for inv in invocations
                                 if inv.ok and isinstance(inv.result, dict)),
        "errors": [inv.error for inv in invocations if not inv.ok]
                  + [f"{line.get('message')}: {line['error']}" for inv in invocations for line in _log_lines(inv)
                     if line.get("error")],
        "skipped_records": sum(1 for inv in invocations for r in _records(inv) if r.get("status") == "skipped"),
        "s3_megabytes_per_segment_max": round(max((r.get("s3_bytes", 0) for r in segment_records), default=0) / 1e6, 1),
        "s3_megabytes_total": round(sum(r.get("s3_bytes", 0) for r in segment_records) / 1e6, 1),
        "s3_requests_per_segment_max": max((r.get("s3_requests", 0) for r in segment_records), default=0),
        "max_rss_mb": max((inv.result.get("bench", {}).get("max_rss_mb", 0.0) for inv in invocations
                           if inv.ok and isinstance(inv.result, dict)), default=None),
        "recognition": {k: ok_record.get(k) for k in ("frames_decoded", "frames_sampled", "faces_seen",
                                                       "faces_encoded", "full_scans", "region_scans")},
    }
