"""`python -m classroom workload`: the command line of the workload engine (classroom.workload_run)."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from classroom.cli_options import summary_outputs, upload_repeat_and_timeout
from classroom.results import ResultFormatError, load_expected
from classroom.workload_output import show_summary
from classroom.workload_run import find_videos, run_workload, s3_client


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
@upload_repeat_and_timeout
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256),
              help="Uploads in flight at once.")
@click.option("--prefix", help="Key prefix for this run (default: workload/<time>-<random>).")
@summary_outputs
def workload(videos_dir: Path, expected: Path | None, stack: str, input_bucket: str | None, output_bucket: str | None,
             endpoint_url: str | None, region: str | None, repeat: int, concurrency: int, timeout_s: float,
             prefix: str | None, json_path: Path | None, plot_path: Path | None) -> None:
    """Upload a folder of videos to a stack, wait for every result, check and time them.

    Prints a summary table (sent, received, correct/wrong/missing, error reports, latency
    p50/p95/max, throughput) and exits 1 if any result is wrong, missing or an error report.
    Against the local stack add --endpoint-url (printed when it starts).
    """
    from infra.config import from_stack_file, parse_suffixes, project_defaults
    from infra.errors import ConfigError

    suffixes: Sequence[str] = parse_suffixes(project_defaults()["videoSuffixes"])  # as Pulumi.yaml declares
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
    show_summary(summary, json_path, plot_path)
    sys.exit(0 if summary.ok else 1)
