"""The local stack end to end on the original classroom sample: real handler, roster, students."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from classroom.local_stack import LocalStack
from classroom.results import CORRECT, ERROR, MISSING, load_expected, parse_result_csv
from classroom.workload_run import find_videos, run_workload

REPO = Path(__file__).resolve().parents[2]
AWS_CLI = Path(sys.executable).parent / "aws"


def wait_for_object(s3: Any, bucket: str, key: str, timeout_s: float = 120) -> bytes:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=key)
        if any(item["Key"] == key for item in listing.get("Contents", [])):
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        time.sleep(0.5)
    raise AssertionError(f"s3://{bucket}/{key} did not appear within {timeout_s} s")


def workload_command(stack: LocalStack, *args: str) -> list[str]:
    config = stack.config
    return [sys.executable, "-m", "classroom", "workload", "--endpoint-url", stack.endpoint_url,
            "--input-bucket", config.input_bucket, "--output-bucket", config.output_bucket, *args]


def test_eight_videos_uploaded_with_boto3_are_all_correct(
    classroom_stack: LocalStack, classroom_data: Path, cli_environment: dict[str, str], tmp_path: Path
) -> None:
    summary_path, plot_path = tmp_path / "summary.json", tmp_path / "latency.png"
    result = subprocess.run(
        workload_command(classroom_stack, "--videos", str(classroom_data / "videos"),
                         "--expected", str(classroom_data / "expected.csv"), "--prefix", "e2e/eight",
                         "--timeout", "240", "--json", str(summary_path), "--plot", str(plot_path)),
        cwd=REPO, env=cli_environment, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(summary_path.read_text())
    counts = {k: summary[k] for k in ("sent", "received", "correct", "wrong", "missing", "errors")}
    assert counts == {"sent": 8, "received": 8, "correct": 8, "wrong": 0, "missing": 0, "errors": 0}
    assert summary["ok"] is True
    assert 0 < summary["latency_p50_s"] <= summary["latency_p95_s"] <= summary["latency_max_s"]
    assert "correct           8" in result.stdout and "verdict           OK" in result.stdout
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The CSVs themselves, read back independently of the workload's own check.
    s3, output = classroom_stack.client("s3"), classroom_stack.config.output_bucket
    for video, rows in load_expected(classroom_data / "expected.csv").items():
        body = s3.get_object(Bucket=output, Key=f"e2e/eight/{Path(video).stem}.csv")["Body"].read().decode()
        assert parse_result_csv(body) == rows


def test_upload_and_download_with_the_real_aws_cli(
    classroom_stack: LocalStack, classroom_data: Path, cli_environment: dict[str, str]
) -> None:
    config, url = classroom_stack.config, classroom_stack.endpoint_url
    key = "cli/period 1+2.mp4"  # a space and a plus: S3 URL-encodes both in the event
    subprocess.run([str(AWS_CLI), "--endpoint-url", url, "s3", "cp", str(classroom_data / "videos" / "test_0.mp4"),
                    f"s3://{config.input_bucket}/{key}"], env=cli_environment, check=True, capture_output=True,
                   timeout=60)
    wait_for_object(classroom_stack.client("s3"), config.output_bucket, "cli/period 1+2.csv")
    download = subprocess.run([str(AWS_CLI), "--endpoint-url", url, "s3", "cp",
                               f"s3://{config.output_bucket}/cli/period 1+2.csv", "-"],
                              env=cli_environment, check=True, capture_output=True, text=True, timeout=60)
    assert parse_result_csv(download.stdout) == [("president_trump", "physics", "junior")]


def test_a_bad_upload_gets_its_error_report_and_the_others_complete(
    classroom_stack: LocalStack, classroom_data: Path, cli_environment: dict[str, str], tmp_path: Path
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("test_1.mp4", "test_2.mp4"):
        shutil.copy(classroom_data / "videos" / name, videos / name)
    (videos / "broken.mp4").write_bytes(b"not a video at all\n" * 64)
    config, s3 = classroom_stack.config, classroom_stack.client("s3")
    summary = run_workload(s3, config.input_bucket, config.output_bucket, find_videos(videos, config.video_suffixes),
                           load_expected(classroom_data / "expected.csv"), prefix="e2e/bad", timeout_s=240,
                           progress=False)
    verdicts = {o.video: o.verdict for o in summary.outcomes}
    assert verdicts == {"broken.mp4": ERROR, "test_1.mp4": CORRECT, "test_2.mp4": CORRECT}
    assert (summary.correct, summary.errors, summary.missing, summary.ok) == (2, 1, 0, False)
    report = json.loads(s3.get_object(Bucket=config.output_bucket, Key="e2e/bad/broken.error.json")["Body"].read())
    assert report["key"] == "e2e/bad/broken.mp4"
    assert "cannot be read as a video" in report["error"]
    # The handler returned normally for every video: nothing retried, nothing dead-lettered.
    failed = [inv for inv in classroom_stack.invoker.invocations if not inv.ok]
    assert failed == []

    # The command exits non-zero and says why.
    (videos / "test_1.mp4").unlink()
    (videos / "test_2.mp4").unlink()
    result = subprocess.run(workload_command(classroom_stack, "--videos", str(videos), "--prefix", "e2e/bad-cli",
                                             "--timeout", "120"),
                            cwd=REPO, env=cli_environment, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error reports     1" in result.stdout and "verdict           FAILED" in result.stdout
    assert "cannot be read as a video" in result.stdout


def test_uploads_the_suffix_filter_ignores_never_reach_the_handler(classroom_stack: LocalStack,
                                                                  classroom_data: Path, tmp_path: Path) -> None:
    odd = tmp_path / "test_4.mpeg4"  # not one of the stack's suffixes
    shutil.copy(classroom_data / "videos" / "test_4.mp4", odd)
    config = classroom_stack.config
    summary = run_workload(classroom_stack.client("s3"), config.input_bucket, config.output_bucket, [odd],
                           prefix="e2e/ignored", timeout_s=4, progress=False)
    assert [o.verdict for o in summary.outcomes] == [MISSING]
    assert (summary.sent, summary.received, summary.ok) == (1, 0, False)
