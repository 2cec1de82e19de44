"""`python -m classroom workload`: upload videos, wait for every result, check and time them.

Works the same against a deployed stack (normal AWS credentials) and the local stack
(`--endpoint-url`). Each run uploads under its own prefix, so runs never see each other's
results, and latency is measured from an upload completing to its result object appearing.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

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
    load_expected,
    parse_result_csv,
    summarise,
)
from handler.events import error_key, output_key

FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


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
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name.endswith(tuple(suffixes)))


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
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="video", desc="results", file=sys.stderr)

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
    outcomes = {u.key: VideoOutcome(key=u.key, video=u.path.name, sent_at=float("nan")) for u in uploads}
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
                    if sent_at != sent_at:  # NaN: the upload call has not returned yet; look again
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
    for outcome in outcomes.values():
        if outcome.sent_at != outcome.sent_at:
            outcome.sent_at = 0.0
    return summarise(outcomes.values(), wall_s=wall, checked=expected is not None)


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def _judge(s3: Any, bucket: str, result_key: str, video: str, expected: dict[str, list[Row]] | None) -> tuple[str, str]:
    """(verdict, detail) for one result object."""
    body = s3.get_object(Bucket=bucket, Key=result_key)["Body"].read().decode("utf-8", errors="replace")
    if result_key.endswith(".error.json"):
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


def write_plot(summary: Summary, path: Path) -> None:
    """Latency of every result against when its video was sent, and their distribution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    received = [o for o in summary.outcomes if o.latency_s is not None]
    fig, (timeline, histogram) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    colours = {CORRECT: "tab:green", WRONG: "tab:red", ERROR: "tab:orange"}
    for verdict in sorted({o.verdict for o in received}):
        group = [o for o in received if o.verdict == verdict]
        timeline.scatter([o.sent_at for o in group], [o.latency_s for o in group], label=verdict,
                         color=colours.get(verdict, "tab:blue"), s=18)
    timeline.set(xlabel="upload completed (s since start)", ylabel="latency to result (s)", title="Latency by upload time")
    if received:
        timeline.legend()
        histogram.hist([o.latency_s for o in received], bins=min(30, max(5, len(received) // 2)), color="tab:blue")
        for label, value, style in (("p50", summary.latency_p50_s, "--"), ("p95", summary.latency_p95_s, ":")):
            histogram.axvline(value, color="black", linestyle=style, label=f"{label} {value:.1f} s")
        histogram.legend()
    histogram.set(xlabel="latency (s)", ylabel="videos", title=f"{summary.received} of {summary.sent} results")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def s3_client(endpoint_url: str | None, region: str | None) -> Any:
    """Normal AWS credentials for a deployed stack; fake ones for an emulator if none are set."""
    import boto3

    session = boto3.session.Session(region_name=region)
    if endpoint_url and session.get_credentials() is None:
        session = boto3.session.Session(region_name=region, **FAKE_CREDENTIALS)
    return session.client("s3", endpoint_url=endpoint_url)


def report(summary: Summary, json_path: Path | None, plot_path: Path | None) -> None:
    """Print the table; write the JSON and the plot when asked."""
    click.echo(summary.table())
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(summary.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"summary written to {json_path}")
    if plot_path is not None:
        write_plot(summary, plot_path)
        click.echo(f"latency plot written to {plot_path}")


@click.command("workload")
@click.option("--videos", "videos_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of videos to upload (files ending in the stack's video suffixes).")
@click.option("--expected", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV `video,name,major,year` to check every result against.")
@click.option("--stack", default="dev", show_default=True,
              help="Take bucket names from Pulumi.<stack>.yaml (unless both bucket flags are given).")
@click.option("--input-bucket", help="Input bucket name (overrides the stack config).")
@click.option("--output-bucket", help="Output bucket name (overrides the stack config).")
@click.option("--endpoint-url", help="S3 endpoint, e.g. the local stack's http://127.0.0.1:PORT.")
@click.option("--region", help="AWS region (default: the stack's, else your AWS configuration's).")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 10000),
              help="Upload every video this many times under distinct keys.")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256),
              help="Uploads in flight at once.")
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait for results after the last upload.")
@click.option("--prefix", help="Key prefix for this run (default: workload/<time>-<random>).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the summary as JSON here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a latency plot (PNG) here.")
def workload(videos_dir: Path, expected: Path | None, stack: str, input_bucket: str | None, output_bucket: str | None,
             endpoint_url: str | None, region: str | None, repeat: int, concurrency: int, timeout_s: float,
             prefix: str | None, json_path: Path | None, plot_path: Path | None) -> None:
    """Upload a folder of videos to a stack, wait for every result, check and time them.

    Prints a summary table (sent, received, correct/wrong/missing, error reports, latency
    p50/p95/max, throughput) and exits 1 if any result is wrong, missing or an error report.
    Against the local stack add --endpoint-url (printed when it starts).
    """
    from infra.config import ConfigError, from_stack_file, project_defaults

    suffixes: Sequence[str] = project_defaults()["videoSuffixes"].split(",")  # as Pulumi.yaml declares
    if not (input_bucket and output_bucket):

        try:
            config = from_stack_file(stack)
        except ConfigError as error:
            raise click.ClickException(
                f"stack config {stack!r}: {error} (or pass --input-bucket and --output-bucket)") from None
        input_bucket = input_bucket or config.input_bucket
        output_bucket = output_bucket or config.output_bucket
        region = region or config.region
        suffixes = config.video_suffixes
    videos = find_videos(videos_dir, suffixes)
    if not videos:
        raise click.ClickException(f"no videos in {videos_dir} (looking for {', '.join(suffixes)})")
    try:
        expectation = load_expected(expected) if expected else None
    except ResultFormatError as error:
        raise click.ClickException(str(error)) from None
    summary = run_workload(
        s3_client(endpoint_url, region), input_bucket, output_bucket, videos, expectation,
        repeat=repeat, concurrency=concurrency, timeout_s=timeout_s, prefix=prefix,
    )
    report(summary, json_path, plot_path)
    sys.exit(0 if summary.ok else 1)
