"""The workload engine: upload videos to a stack, wait for every result object, check and time
each one. Works the same against a deployed stack (normal AWS credentials) and the local
stack (an endpoint URL). Each run uploads under its own prefix, so runs never see each
other's results; latency runs from an upload completing to its result object appearing.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classroom.emulator import EMULATOR_ENVIRONMENT
from classroom.results import (
    CORRECT,
    ERROR,
    MISSING,
    UNCHECKED,
    WRONG,
    ResultFormatError,
    Row,
    Summary,
    VideoOutcome,
    check_rows,
    parse_result_csv,
    summarise,
)
from handler.events import ERROR_SUFFIX, error_key, output_key


@dataclass(frozen=True)
class Upload:
    """One video to send and where its result will appear."""

    key: str
    path: Path

    @property
    def result_keys(self) -> tuple[str, str]:
        return output_key(self.key), error_key(self.key)


def find_videos(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """The videos in a folder (not recursive), sorted, by the suffixes that trigger the stack."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name.lower().endswith(tuple(suffixes)))


def plan_uploads(videos: Sequence[Path], repeat: int, prefix: str) -> list[Upload]:
    """Distinct keys for every copy: `<prefix>/<copy>/<name>` (no copy folder when repeat is 1)."""
    if repeat == 1:
        return [Upload(f"{prefix}/{video.name}", video) for video in videos]
    return [Upload(f"{prefix}/{copy:03d}/{video.name}", video) for copy in range(1, repeat + 1) for video in videos]


class _Progress:
    """A bar on a terminal, plain lines otherwise (CI logs, pipes)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.done = total, 0
        self.bar = None
        self.enabled = enabled
        self._redirect = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self.bar = tqdm(total=total, unit="video", desc="results", file=sys.stderr)
            # The local stack's log lines go through tqdm while the bar is up, so it stays whole.
            self._redirect = logging_redirect_tqdm(loggers=[logging.getLogger("classroom")])
            self._redirect.__enter__()

    def result(self, outcome: VideoOutcome) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            if outcome.verdict not in (CORRECT, UNCHECKED):
                self.bar.write(f"{outcome.verdict}: {outcome.key} {outcome.detail}", file=sys.stderr)
        else:
            latency = f"{outcome.latency_s:.1f} s" if outcome.latency_s is not None else "-"
            detail = f" ({outcome.detail})" if outcome.detail else ""
            print(f"[{self.done}/{self.total}] {outcome.verdict:<9} {outcome.key}  {latency}{detail}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._redirect is not None:
            self._redirect.__exit__(None, None, None)
        if self.bar is not None:
            self.bar.close()


def run_workload(
    s3: Any,
    input_bucket: str,
    output_bucket: str,
    videos: Sequence[Path],
    expected: dict[str, list[Row]] | None = None,
    *,
    repeat: int = 1,
    concurrency: int = 4,
    timeout_s: float = 600,
    poll_interval_s: float = 0.5,
    prefix: str | None = None,
    progress: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> Summary:
    """Upload every video (`repeat` times), wait for each result, check it, and summarise."""
    prefix = prefix or f"workload/{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    uploads = plan_uploads(videos, repeat, prefix)
    outcomes = {u.key: VideoOutcome(key=u.key, video=u.path.name, sent_at=None) for u in uploads}
    by_result = {result_key: u.key for u in uploads for result_key in u.result_keys}
    pending = set(outcomes)
    lock = threading.Lock()
    bar = _Progress(len(uploads), progress)
    bar.note(f"uploading {len(uploads)} video(s) to s3://{input_bucket}/{prefix}/ ({concurrency} at a time)")
    start = clock()

    def send(upload: Upload) -> None:
        s3.upload_file(str(upload.path), input_bucket, upload.key)
        with lock:
            outcomes[upload.key].sent_at = clock() - start

    last_result = start
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="upload") as pool:
            futures = [pool.submit(send, upload) for upload in uploads]
            deadline: float | None = None
            while pending:
                if deadline is None and all(f.done() for f in futures):
                    for future, upload in zip(futures, uploads):
                        if future.exception() is not None:  # never sent: nothing to wait for
                            outcome = outcomes[upload.key]
                            outcome.verdict, outcome.detail = MISSING, f"upload failed: {future.exception()}"
                            pending.discard(upload.key)
                    deadline = clock() + timeout_s
                if deadline is not None and clock() > deadline:
                    break
                for result_key in _list_keys(s3, output_bucket, prefix + "/"):
                    key = by_result.get(result_key)
                    if key is None or key not in pending:
                        continue
                    with lock:
                        sent_at = outcomes[key].sent_at
                    if sent_at is None:  # the upload call has not returned yet: look again
                        continue
                    outcome = outcomes[key]
                    seen = clock() - start
                    outcome.latency_s = max(0.0, seen - sent_at)
                    outcome.result_key = result_key
                    outcome.verdict, outcome.detail = _judge(s3, output_bucket, result_key, outcome.video, expected)
                    pending.discard(key)
                    last_result = start + seen
                    bar.result(outcome)
                if pending:
                    time.sleep(poll_interval_s)
    finally:
        bar.close()
    for key in pending:
        if outcomes[key].verdict == MISSING and not outcomes[key].detail:
            outcomes[key].detail = f"no result after waiting {timeout_s:g} s"
    wall = max(1e-9, last_result - start) if any(o.latency_s is not None for o in outcomes.values()) else clock() - start
    return summarise(outcomes.values(), wall_s=wall, checked=expected is not None)


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def _judge(s3: Any, bucket: str, result_key: str, video: str, expected: dict[str, list[Row]] | None) -> tuple[str, str]:
    """(verdict, detail) for one result object."""
    body = s3.get_object(Bucket=bucket, Key=result_key)["Body"].read().decode("utf-8", errors="replace")
    if result_key.endswith(ERROR_SUFFIX):
        try:
            reason = json.loads(body).get("error", body)
        except ValueError:
            reason = body
        return ERROR, str(reason)
    try:
        rows = parse_result_csv(body, source=result_key)
    except ResultFormatError as error:
        return WRONG, str(error)
    if expected is None:
        return UNCHECKED, f"{len(rows)} student(s)"
    return check_rows(expected.get(video), rows)


def s3_client(endpoint_url: str | None, region: str | None) -> Any:
    """Normal AWS credentials for a deployed stack; fake ones for an emulator if none are set."""
    import boto3

    session = boto3.session.Session(region_name=region)
    if endpoint_url and session.get_credentials() is None:
        session = boto3.session.Session(
            region_name=region,
            aws_access_key_id=EMULATOR_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        )
    return session.client("s3", endpoint_url=endpoint_url)
