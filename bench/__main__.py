"""`python -m bench --help`: the Smart Classroom benchmark (see bench/README.md).

Keep this module's imports light: the worker processes are spawned, and spawning imports
this module again in each of them.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import click

from bench.paths import BUILD_DIR, REPO_ROOT, expected_people
from classroom.datasets import datasets_dir
from bench.pinning import ONE_THREAD_ENVIRONMENT, child_environment, default_cpu

QUICK_VIDEO = "test_7.mp4"  # the shortest clip (1 s, 25 frames)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _versions() -> dict:
    import cv2
    import dlib
    import numpy

    ffmpeg = "ffmpeg missing"
    try:
        out = subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True, text=True, check=True)
        ffmpeg = " ".join(out.stdout.split()[:3])
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "python": platform.python_version(), "numpy": numpy.__version__, "opencv": cv2.__version__,
        "dlib": dlib.__version__, "ffmpeg": ffmpeg,
    }


def _video_info(path: Path) -> dict:
    import cv2

    capture = cv2.VideoCapture(str(path))
    info = {
        "size": f"{int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))}x{int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))}",
        "fps": capture.get(cv2.CAP_PROP_FPS),
        "frames": int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
    }
    capture.release()
    return info


def _run_child(args: list[str], cpu: int | None) -> tuple[dict, float]:
    """`python -m bench.child ...` in a fresh process pinned to `cpu` (None: every CPU, with
    the numeric libraries' own defaults); its JSON and wall time."""
    started = time.perf_counter()
    env = child_environment()
    if cpu is None:
        for name in ONE_THREAD_ENVIRONMENT:
            env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", *args],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True,
        preexec_fn=None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu})),
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise click.ClickException(f"bench.child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def _pool(cpu: int, first_on_path: str | None = None):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bench.tasks import init_worker

    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker, initargs=(cpu, first_on_path))


def _default_settings() -> dict:
    from dataclasses import asdict

    from handler.settings import RecognitionSettings

    return asdict(RecognitionSettings())


def _median(values):
    from bench.results_table import median

    return median(values)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--videos-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of test_*.mp4 clips [default: $SMART_CLASSROOM_DATASETS/classroom/videos].")
@click.option("--video", "only", multiple=True, help="Run only these clips (file names); repeatable.")
@click.option("--repeat", type=click.IntRange(1), default=5, show_default=True,
              help="Repetitions of ours, the floor and the cold start (medians reported).")
@click.option("--baseline-repeat", type=click.IntRange(1), default=3, show_default=True,
              help="Repetitions of the original algorithm (slow; alternated with the first rounds of ours).")
@click.option("--long-repeat", type=click.IntRange(1), default=3, show_default=True,
              help="Repetitions of `all` mode on the long video (in one fresh process).")
@click.option("--skip-baseline", is_flag=True, help="Do not run the original algorithm (no ffmpeg needed).")
@click.option("--skip-long", is_flag=True, help="Do not build or run the long video.")
@click.option("--classroom-repeat", type=click.IntRange(1), default=3, show_default=True,
              help="Repetitions of the 60 s classroom of 30 people (in one fresh process, every CPU).")
@click.option("--skip-classroom", is_flag=True, help="Do not build or run the classroom.")
@click.option("--lecture-minutes", type=click.FloatRange(0.5), default=10.0, show_default=True,
              help="Length of the lecture run through the local stack with 1 and 2 workers (README's figure: 60).")
@click.option("--lecture-segment-seconds", type=click.FloatRange(10, 3600), default=120.0, show_default=True,
              help="segmentSeconds for the lecture (the stack's default is 120).")
@click.option("--skip-lecture", is_flag=True, help="Do not build or run the lecture through the local stack.")
@click.option("--quick", is_flag=True,
              help=f"Smoke-test size: one short clip ({QUICK_VIDEO}), a 6-second long video, a 1-minute lecture "
                   "in 20 s segments, one repetition.")
@click.option("--profile", is_flag=True, help="Also cProfile `first` mode on each clip and `all` mode on the long video.")
@click.option("--cpu", type=int, default=None, help="CPU to pin the timed parts to [default: the highest allowed].")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=BUILD_DIR / "results.json", show_default=True, help="Where to write the results.")
def main(videos_dir, only, repeat, baseline_repeat, long_repeat, classroom_repeat, skip_classroom, skip_baseline,
         skip_long, lecture_minutes, lecture_segment_seconds, skip_lecture, quick, profile, cpu, json_path):
    """Time the handler against the original algorithm, the floor, a long video, a classroom
    of 30 people, a cold start, and a whole lecture from upload to CSV on the local stack.

    Everything timed runs pinned to one CPU with single-threaded numeric libraries, except
    the classroom, which uses every CPU as the function does. The original algorithm needs
    ffmpeg: run `sh setup-system.sh` once (apt-get install ffmpeg).
    """
    started = time.perf_counter()
    os.environ.update(ONE_THREAD_ENVIRONMENT)
    datasets = datasets_dir()
    videos_dir = videos_dir or datasets / "classroom" / "videos"
    expected = expected_people(datasets)
    names = list(only) or ([QUICK_VIDEO] if quick else sorted(p.name for p in videos_dir.glob("test_*.mp4")))
    if not names:
        raise click.ClickException(f"no test_*.mp4 videos in {videos_dir}")
    if quick:
        repeat = baseline_repeat = long_repeat = classroom_repeat = 1
        lecture_minutes, lecture_segment_seconds = 1.0, 20.0
    baseline_repeat = 0 if skip_baseline else min(baseline_repeat, repeat)
    if baseline_repeat:
        from bench.baseline import FfmpegMissing, ffmpeg_path

        try:
            ffmpeg_path()
        except FfmpegMissing as error:
            raise click.ClickException(str(error)) from None
    cpu = default_cpu() if cpu is None else cpu
    log = lambda message: click.echo(f"[{time.perf_counter() - started:6.1f} s] {message}", err=True)  # noqa: E731

    results: dict = {
        "machine": {
            "cpu_model": _cpu_model(), "cpus": os.cpu_count(), "pinned_cpu": cpu, **_versions(),
            "load_average_start": os.getloadavg()[0],
        },
        "settings": {
            "repeat": repeat, "baseline_repeat": baseline_repeat, "long_repeat": long_repeat, "quick": quick, "datasets": str(datasets),
            "videos_dir": str(videos_dir), "mode_compared": "first", "recognition": _default_settings(),
            "one_core": True, "classroom_repeat": classroom_repeat,
            "lecture_minutes": None if skip_lecture else lecture_minutes,
            "lecture_segment_seconds": lecture_segment_seconds,
            "thread_environment": ONE_THREAD_ENVIRONMENT,
        },
    }
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    roster_pickle = str(datasets / "classroom" / "encoding.pickle")

    long_path = answer = None
    if not skip_long:
        from bench import long_video

        log("long video: building or reusing the cached one")
        long_path, answer = long_video.build(datasets, quick=quick, log=log)
    classroom_files = None
    if not skip_classroom:
        from bench import classroom

        classroom_files = classroom.build(datasets, quick=quick, log=log)

    # The original algorithm runs with the prebuilt dlib-bin wheel it was measured with (the
    # faster dlib we compile is part of what is compared); `make setup` installs it apart.
    original_dlib = Path(sys.prefix) / "dlib-bin"
    if baseline_repeat and not (original_dlib / "dlib").is_dir():
        raise click.ClickException(f"the dlib-bin wheel is not installed in {original_dlib}: run `make setup`")
    ours_pool = _pool(cpu)
    base_pool = _pool(cpu, str(original_dlib)) if baseline_repeat else None
    try:
        rosters = ours_pool.submit(
            __import__("bench.tasks", fromlist=["save_rosters"]).save_rosters,
            roster_pickle, str(datasets / "faces" / "enroll"), str(BUILD_DIR),
        ).result()
        results["rosters"] = rosters
        from bench import tasks

        paths = {name: str(videos_dir / name) for name in names}
        log("warming up (imports, models, one untimed run per side)")
        results["warm_up_seconds"] = {"ours": ours_pool.submit(tasks.warm_ours, roster_pickle, paths[names[0]]).result()}
        if base_pool:
            results["warm_up_seconds"]["original"] = base_pool.submit(tasks.warm_baseline).result()
        floor_frames = {}
        for name in names:
            floor_frames[name] = ours_pool.submit(tasks.floor_frame, paths[name], roster_pickle, expected.get(name)).result()
        runs = {name: {"baseline": [], "ours": [], "floor": []} for name in names}
        for rep in range(repeat):
            for name in names:
                log(f"round {rep + 1}/{repeat}: {name}")
                if rep < baseline_repeat:
                    runs[name]["baseline"].append(base_pool.submit(tasks.run_baseline, paths[name], roster_pickle).result())
                runs[name]["ours"].append(ours_pool.submit(tasks.run_ours, paths[name], roster_pickle).result())
                if floor_frames[name] is not None:
                    runs[name]["floor"].append(ours_pool.submit(tasks.run_floor, paths[name], floor_frames[name]).result())
    finally:
        ours_pool.shutdown()
        if base_pool:
            base_pool.shutdown()

    videos = []
    for name in names:
        r = runs[name]
        row = {"video": name, "expected": expected.get(name), **_video_info(Path(paths[name]))}
        o = r["ours"]
        row["ours"] = {
            "median": _median([x["seconds"] for x in o]), "min": min(x["seconds"] for x in o),
            "seconds": [x["seconds"] for x in o],
            "answer": o[-1]["answer"], "answers": sorted({x["answer"] or "" for x in o}),
            **{k: o[-1][k] for k in ("frames_decoded", "frames_sampled", "faces_seen", "faces_encoded", "timings")},
        }
        if r["baseline"]:
            b = r["baseline"]
            row["baseline"] = {
                "median": _median([x["seconds"] for x in b]), "min": min(x["seconds"] for x in b),
                "seconds": [x["seconds"] for x in b],
                "answer": b[-1]["answer"], "answers": sorted({x["answer"] or "" for x in b}),
                **{k: b[-1][k] for k in ("frames_extracted", "frames_examined", "timings")},
            }
            row["speedup"] = row["baseline"]["median"] / row["ours"]["median"]
            row["same_answer"] = row["baseline"]["answer"] == row["ours"]["answer"]
        f = r["floor"]
        row["floor"] = {
            "frame_index": floor_frames[name], "median": _median([x["seconds"] for x in f]),
            "seconds": [x["seconds"] for x in f], "timings": f[-1]["timings"] if f else None,
        }
        if f:
            row["floor_ratio"] = row["ours"]["median"] / row["floor"]["median"]
        row["ours_correct"] = row["ours"]["answer"] == row["expected"]
        videos.append(row)
    results["videos"] = videos
    summary = {
        "median_ours": _median([v["ours"]["median"] for v in videos]),
        "median_floor": _median([v["floor"]["median"] for v in videos]),
        "median_floor_ratio": _median([v.get("floor_ratio") for v in videos]),
        "ours_correct": all(v["ours_correct"] for v in videos),
    }
    if baseline_repeat:
        summary.update(
            median_baseline=_median([v["baseline"]["median"] for v in videos]),
            median_speedup=_median([v["speedup"] for v in videos]),
            same_answers=all(v["same_answer"] for v in videos),
            baseline_correct=all(v["baseline"]["answer"] == v["expected"] for v in videos),
        )
    results["summary"] = summary

    if long_path is not None:
        from bench.long_video import score

        log(f"long video: `all` mode x{long_repeat} in a fresh pinned process")
        out, _wall = _run_child(
            ["long", "--video", str(long_path), "--roster", rosters["combined"], "--repeat", str(long_repeat)], cpu
        )
        last = out["runs"][-1]
        found = [s["name"] for s in last["present"]]
        processing = _median([run["seconds"] for run in out["runs"]])
        results["long_video"] = {
            "path": str(long_path), "seconds": answer["seconds"], "width": answer["width"],
            "height": answer["height"], "fps": answer["fps"], "fourcc": answer["fourcc"],
            "frames_per_second": 2.0, "required": answer["required"], "allowed": answer["allowed"],
            "found": found, "present": last["present"],
            "answers_stable": len({tuple(sorted(s["name"] for s in run["present"])) for run in out["runs"]}) == 1,
            **score(found, answer),
            "processing_seconds": processing, "runs_seconds": [run["seconds"] for run in out["runs"]],
            "realtime_factor": answer["seconds"] / processing,
            **{k: last[k] for k in ("frames_decoded", "frames_sampled", "faces_seen", "faces_unrecognised",
                                    "faces_encoded", "timings")},
            "load_seconds": out["load_seconds"], "max_rss_mb": out["max_rss_mb"],
            "max_rss_mb_after_load": out["max_rss_mb_after_load"],
        }

    if classroom_files is not None:
        from bench.classroom import judge

        video, truth, roster = classroom_files
        log(f"classroom: `all` mode x{classroom_repeat} in a fresh process on every CPU")
        out, _wall = _run_child(["long", "--video", str(video), "--roster", str(roster),
                                 "--repeat", str(classroom_repeat)], None)
        processing = _median([run["seconds"] for run in out["runs"]])
        last = out["runs"][-1]
        judged = [judge(truth, run["present"]) for run in out["runs"]]
        results["classroom"] = {
            "path": str(video), "seconds": last["video_seconds"], "cpus": len(out["affinity"]),
            "processing_seconds": processing, "runs_seconds": [run["seconds"] for run in out["runs"]],
            "realtime_factor": last["video_seconds"] / processing,
            "score": judged[-1], "recall_required_min": min(j["recall_required"] for j in judged),
            "wrong_names_any": sorted({n for j in judged for n in j["wrong_names"]}),
            "present": last["present"],
            **{k: last[k] for k in ("frames_decoded", "frames_sampled", "faces_seen", "faces_unrecognised",
                                    "faces_encoded", "full_scans", "region_scans", "timings")},
            "load_seconds": out["load_seconds"], "max_rss_mb": out["max_rss_mb"],
        }

    log("detector costs on a 1080p frame (fresh process, every CPU)")
    results["detector"], _ = _run_child(["detector", "--datasets", str(datasets), "--repeat", str(repeat)], None)

    log(f"cold start: {repeat} fresh process(es)")
    colds = []
    for _ in range(repeat):
        out, wall = _run_child(["coldstart", "--roster", rosters["classroom"]], cpu)
        out["process_wall_seconds"] = wall
        colds.append(out)
    pick = sorted(colds, key=lambda c: c["total_seconds"])[len(colds) // 2]  # the median run, parts included
    results["cold_start"] = {**pick, "repeat": repeat, "all_totals": [c["total_seconds"] for c in colds]}

    if not skip_lecture:
        from bench.lecture import run_in_child

        log(f"lecture: {lecture_minutes:g} minutes through the local stack, 1 then 2 workers (fresh process, every CPU)")
        try:
            results["lecture"] = run_in_child(lecture_minutes, lecture_segment_seconds, 2 if quick else 5,
                                              json_path.with_name("lecture.json"))
        except subprocess.CalledProcessError:
            raise click.ClickException("the lecture section failed (its error is above)") from None

    if profile:
        log("profiling (cProfile, not part of the timings)")
        run_args = []
        for name in names:
            run_args += ["--run", "first", paths[name]]
        if long_path is not None:
            run_args += ["--run", "all", str(long_path)]
        results["profile"], _ = _run_child(["profile", *run_args, "--roster", rosters["combined"]], cpu)

    from bench.results_table import table, targets, write_json

    results["machine"]["load_average_end"] = os.getloadavg()[0]
    results["targets"] = targets(results)
    results["wall_seconds"] = time.perf_counter() - started
    results["json_path"] = str(json_path)
    write_json(results, json_path)
    click.echo(table(results))
    if profile:
        for key, prof in results["profile"].items():
            if key == "affinity":
                continue
            click.echo(f"\nprofile {key} (wall {prof['wall_seconds']:.3f} s under cProfile), top own time:")
            for row in prof["top"]:
                click.echo(f"  {row['tottime']:8.3f} s {row['calls']:>7}  {row['function']}")


if __name__ == "__main__":
    main()
