"""`python -m classroom demo`: the whole system on one machine in one command.

Builds the demo data set if it is missing, starts the local stack in this process, runs the
workload against it with the expected file, then uploads the lecture hall again as a video of
the course cse546 and prints its attendance sheet (one student absent, one visitor) and where
its evidence page was saved, prints the summary table and stops. Exits 1 if any video is
wrong, missing or ends in an error report, so it doubles as a smoke test.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from classroom.demo_course import run_course_video
from classroom.demo_data import LECTURE_HALL, build_demo_data, is_complete
from classroom.local_stack import LocalStack, configure_logging, load_stack_config
from classroom.results import ResultFormatError, load_expected
from classroom.cli_options import local_stack_data, summary_outputs, upload_repeat_and_timeout
from classroom.workload_output import show_summary
from classroom.workload_run import find_videos, run_workload
from infra.errors import ConfigError


@click.command("demo")
@local_stack_data
@click.option("--data", "data_dir", default=Path("build/demo"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Demo data folder; built from packaged portraits if incomplete.")
@click.option("--rebuild", is_flag=True, help="Rebuild the demo data even if it is complete.")
@click.option("--videos", "videos_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Use these videos instead of DATA/videos (e.g. ../shared/datasets/classroom/videos).")
@click.option("--expected", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Expected file for --videos (default DATA/expected.csv).")
@upload_repeat_and_timeout
@summary_outputs
@click.option("--handler-logs", is_flag=True, help="Show the handler's JSON log lines too.")
def demo(stack: str, data_dir: Path, rebuild: bool, videos_dir: Path | None, expected: Path | None,
         roster_file: Path | None, students_file: Path | None, workers: int, repeat: int, timeout_s: float,
         json_path: Path | None, plot_path: Path | None, handler_logs: bool) -> None:
    """Build the demo data, run the local stack, upload the videos, check every result.

    With no options this needs nothing but the installed packages: the demo data is made
    from portraits shipped in matplotlib and scikit-image. Point --videos, --expected,
    --roster-file and --students-file at another data set to run that instead.
    """
    configure_logging()
    own_data = videos_dir is None
    if own_data and (rebuild or not is_complete(data_dir)):
        click.echo(f"building the demo data set in {data_dir} ...", err=True)
        build_demo_data(data_dir)
    videos_dir = videos_dir or data_dir / "videos"
    expected = expected or (data_dir / "expected.csv" if own_data else None)
    if own_data:
        roster_file = roster_file or data_dir / "roster.npz"
        students_file = students_file or data_dir / "students.json"
    try:
        config = load_stack_config(stack, roster_file, students_file)
        expectation = load_expected(expected) if expected else None
    except (ConfigError, ResultFormatError) as error:
        raise click.ClickException(str(error)) from None
    videos = find_videos(videos_dir, config.video_suffixes)
    if not videos:
        raise click.ClickException(f"no videos in {videos_dir}")
    click.echo(f"starting the local stack '{stack}' with {workers} worker(s) ...", err=True)
    with LocalStack.start(config, workers=workers, handler_logs=handler_logs) as running:
        click.echo(f"emulator at {running.endpoint_url}; input s3://{config.input_bucket}/, "
                   f"output s3://{config.output_bucket}/", err=True)
        summary = run_workload(running.client("s3"), config.input_bucket, config.output_bucket, videos, expectation,
                               repeat=repeat, concurrency=min(8, len(videos) * repeat), timeout_s=timeout_s,
                               prefix="demo")
        course_ok = True
        hall = videos_dir / LECTURE_HALL
        if own_data and hall.exists():  # the same class as a course video: the sheet a teacher gets
            course_ok = run_course_video(running, hall, data_dir / "pages").ok
            if not course_ok:
                click.echo("the course video's sheet is not the expected one", err=True)
    show_summary(summary, json_path, plot_path)
    sys.exit(0 if summary.ok and course_ok else 1)
