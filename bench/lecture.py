"""`python -m bench.lecture`: a whole N-minute 1080p lecture through the local stack, upload to
CSV, with 1 and with 2 workers; the segments' times; the projection for AWS Lambda; the
CSV's names against the scene's truth (issue 9).

`python -m bench` runs this module in a fresh process (every CPU, the numeric libraries'
own thread defaults, as the function runs) and prints the same lines in its table. Nothing
here asserts a timing: the figures are measured and printed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from bench.paths import BUILD_DIR, REPO_ROOT

DISTURBED_SHARE = 0.1


def _cold_start(roster: Path) -> float:
    """Seconds from a fresh interpreter to a loaded handler, roster and models (bench.child)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.child", "coldstart", "--roster", str(roster)],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    json.loads(done.stdout.strip().splitlines()[-1])
    return time.perf_counter() - started


def run_in_child(minutes: float, segment_seconds: float, fps: int, json_path: Path) -> dict:
    """This section in a fresh process with every CPU and the libraries' own thread counts (the
    benchmark's one-thread settings removed), its progress on stderr; its JSON."""
    from bench.pinning import ONE_THREAD_ENVIRONMENT, child_environment

    env = {k: v for k, v in child_environment().items() if k not in ONE_THREAD_ENVIRONMENT}
    subprocess.run([sys.executable, "-m", "bench.lecture", "--minutes", f"{minutes:g}", "--segment-seconds",
                    f"{segment_seconds:g}", "--fps", str(fps), "--json", str(json_path)],
                   cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    return json.loads(json_path.read_text())


def measure(datasets: Path, minutes: float, segment_seconds: float, fps: int, workers: tuple[int, ...],
            log: Callable[[str], None] = print, wait_quiet: float = 0.0) -> dict:
    """Build (or reuse) the lecture, run it once per worker count (each after waiting up to
    `wait_quiet` seconds for the other processes to leave the cores alone), score it, project it."""
    from bench.cpu_share import wait_until_quiet
    from bench.classroom import judge
    from bench.lecture_projection import project
    from bench.lecture_run import run
    from bench.lecture_scene import build, describe

    files = build(datasets, minutes, fps, log=log)
    runs = []
    for count in workers:
        if wait_quiet:
            wait_until_quiet(DISTURBED_SHARE, wait_quiet, log)
        result = run(files, segment_seconds, count, log=log)
        result["score"] = judge(files.truth, result["csv_rows"])
        result["names"] = sorted(row["name"] for row in result["csv_rows"])
        runs.append(result)
    truth = json.loads(files.truth.read_text())
    out = {"scene": describe(files), "truth_students": sorted(truth["students"]), "runs": runs}
    base = min(runs, key=lambda r: r["workers"])  # the run whose segments had the cores to themselves
    seg = base["segment_invocation_seconds"]
    measured = {
        "workers": base["workers"], "planner_seconds": base["planner_seconds"], "merge_seconds": base["merge_seconds"],
        "segment_max": seg["max"], "segment_median": seg["median"],
        "segment_length": min(segment_seconds, files.minutes * 60.0), "max_rss_mb": max(r["max_rss_mb"] for r in runs),
        "s3_mb_per_segment": base["s3_megabytes_per_segment_max"],
    }
    log("lecture: cold start of a fresh handler process (for the projection's first round)")
    init = _cold_start(files.roster)
    out["measured_for_projection"] = {**measured, "init_seconds": init}
    out["projection"] = project(measured, stack_timeout=base["timeout"], memory_mb=base["memory_mb"], init_seconds=init,
                                also_concurrency=base["segment_concurrency"])
    out["correct"] = all(r["names"] == out["truth_students"] for r in runs)
    return out


def disturbed(run: dict) -> bool:
    """Other processes took over a tenth of the cores during the run: its times are inflated."""
    return run["cpu"]["others_share"] > DISTURBED_SHARE


def lines(lecture: dict) -> list[str]:
    """The section of the printed report."""
    sc = lecture["scene"]
    out = [
        f"7. Lecture through the local stack: {sc['minutes']:g} min, {sc['size']} H.264 at {sc['fps']} fps "
        f"(key frame every {sc['gop_seconds']:g} s, {sc['megabytes']:.0f} MB), {sc['students']} students and "
        f"{sc['strangers']} strangers (faces {sc['face_px'][0]}-{sc['face_px'][1]} px); "
        + ", ".join([*(f"{who} arrives at {t:g} s" for who, t in sc["late"]),
                     *(f"{who} leaves at {t:g} s" for who, t in sc["early"])]),
    ]
    for r in lecture["runs"]:
        seg, sc_ = r["segment_invocation_seconds"], r["score"]
        out += [
            f"   {r['workers']} worker(s): CSV {r['wall_seconds']:.1f} s after the upload (upload {r['upload_seconds']:.1f} s, "
            f"{r['upload_seconds'] + r['wall_seconds']:.1f} s in all); {r['segments']} segments of "
            f"{r['segment_seconds']:g} s, sampled at {r['frames_per_second']:g}/s; other processes took "
            f"{r['cpu']['others_share']:.0%} of the CPUs meanwhile{' (DISTURBED)' if disturbed(r) else ''}",
            f"      planner {r['planner_seconds']:.2f} s; segment invocations {seg['count']}: median "
            f"{seg['median']:.2f} s, max {seg['max']:.2f} s (total {seg['total']:.0f} s); merge "
            f"{r['merge_seconds']:.2f} s in the last one ({r['merging_invocation_seconds']:.2f} s); "
            f"failed invocations {r['failed_invocations']}, segments to retry {r['segments_to_retry']}; upload "
            f"invocations {r['upload_invocations']}; segments processed {r['segments_done']} for {r['segments']}; "
            f"worker peak memory {r['max_rss_mb']:.0f} MB",
            f"      S3: the segments read {r['s3_megabytes_total']:.0f} MB in all (the video is "
            f"{lecture['scene']['megabytes']:.0f} MB), one at most {r['s3_megabytes_per_segment_max']:.0f} MB in "
            f"{r['s3_requests_per_segment_max']} ranged GETs; "
            f"one ranged GET of this object takes {r['emulator_range_get_seconds'] * 1000:.0f} ms in moto, which copies "
            f"the whole object each time, so up to {r['s3_requests_per_segment_max'] * r['emulator_range_get_seconds']:.1f} s "
            f"of a segment is the emulator's",
            f"      CSV: {len(r['names'])} names; students >= 40 px found {len(sc_['found_required'])}/"
            f"{len(sc_['required'])} (recall {sc_['recall_required']:.0%}); wrong names {sc_['wrong_names'] or 'none'}; "
            f"first/last seen off by at most {sc_['presence_error_max_seconds']} s",
        ]
        out += [f"      error (the figures above include its retry): {error}" for error in r["errors"]]
    m = lecture["measured_for_projection"]
    base = next(r for r in lecture["runs"] if r["workers"] == m["workers"])
    out.append(f"   Projection for AWS Lambda (from the {m['workers']}-worker run"
               f"{', which was DISTURBED: too high' if disturbed(base) else ''}; init = a fresh process to a loaded "
               f"handler here, {m['init_seconds']:.1f} s, not counting the container image's load):")
    out += [f"   {text}" for text in lecture["projection"]["lines"]]
    return out


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--minutes", type=click.FloatRange(0.5), default=10.0, show_default=True,
              help="Length of the generated lecture (the README's figure: 60).")
@click.option("--segment-seconds", type=click.FloatRange(10, 3600), default=120.0, show_default=True,
              help="segmentSeconds of the stack (the default is the deployed one).")
@click.option("--fps", type=click.IntRange(1, 30), default=5, show_default=True, help="Frame rate of the generated video.")
@click.option("--workers", type=click.IntRange(1), multiple=True, default=(1, 2), show_default=True,
              help="Worker counts to run with (repeatable).")
@click.option("--wait-quiet", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Before each run, wait up to this many seconds for other processes to leave the CPUs alone.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=BUILD_DIR / "lecture.json", show_default=True, help="Where to write the results.")
def main(minutes: float, segment_seconds: float, fps: int, workers: tuple[int, ...], wait_quiet: float,
         json_path: Path) -> None:
    """Time a generated lecture from upload to CSV on the local stack and project it to Lambda."""
    from classroom.datasets import datasets_dir

    if minutes * 60.0 <= segment_seconds * 1.2:
        raise click.BadParameter("the lecture must be longer than 1.2 segments, or it is not split", param_hint="--minutes")
    started = time.perf_counter()
    log = lambda message: click.echo(f"[{time.perf_counter() - started:6.1f} s] {message}", err=True)  # noqa: E731
    lecture = measure(datasets_dir(), minutes, segment_seconds, fps, tuple(sorted(set(workers))), log=log,
                      wait_quiet=wait_quiet)
    lecture["wall_seconds"] = time.perf_counter() - started
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(lecture, indent=2, default=str) + "\n")
    click.echo("\n".join(lines(lecture)))
    click.echo(f"\nlecture section wall time {lecture['wall_seconds']:.0f} s; JSON: {json_path}")


if __name__ == "__main__":
    main()
