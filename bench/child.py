"""Measurements that need a fresh process: `python -m bench.child {coldstart,long,profile} ...`.

Started by `bench` with the one-thread environment and pinned to one CPU (affinity set by
the parent before exec, so nothing is imported before the clock starts). Prints one JSON
object on stdout.
"""
from __future__ import annotations

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def _max_rss_mb() -> float:
    """Peak resident memory of this process since it was exec'ed.

    Linux keeps getrusage's ru_maxrss across fork and exec, so a child of a large parent
    would report the parent's peak; the memory map's own high-water mark (VmHWM) starts
    afresh at exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def cold_start(roster: str, detection_height: int) -> dict:
    """Import the Lambda module, load the roster file, load the models: each part timed."""
    entry = "handler.app"
    t0 = time.perf_counter()
    import handler.app  # noqa: F401  (the Lambda's entry module, as the runtime imports it)
    t1 = time.perf_counter()
    from handler.roster import Roster

    loaded = Roster.load(roster)
    t2 = time.perf_counter()
    from handler.faces import face_finder

    face_finder(detection_height)
    t3 = time.perf_counter()
    return {
        "entry": entry,
        "import_seconds": t1 - t0,
        "roster_seconds": t2 - t1,
        "models_seconds": t3 - t2,
        "total_seconds": t3 - t0,
        "interpreter_to_ready_seconds": t3 - _STARTED,
        "roster_rows": len(loaded.names),
        "max_rss_mb": _max_rss_mb(),
    }


def long_video(video: str, roster: str, repeat: int, detection_height: int, fps: float) -> dict:
    """Load everything (timed apart), then `all` mode on the long video `repeat` times."""
    import cv2

    cv2.setNumThreads(1)
    t0 = time.perf_counter()
    from handler.faces import face_finder
    from handler.recognition import RecognitionOptions, recognise_video
    from handler.roster import Roster

    loaded = Roster.load(roster)
    face_finder(detection_height)
    ready = time.perf_counter() - t0
    rss_ready = _max_rss_mb()
    options = RecognitionOptions(mode="all", frames_per_second=fps, detection_height=detection_height)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = recognise_video(video, loaded, options)
        runs.append({
            "seconds": time.perf_counter() - started,
            "sightings": [
                {"name": s.name, "first_seen_seconds": s.first_seen_seconds, "distance": s.distance}
                for s in result.sightings
            ],
            "frames_decoded": result.frames_decoded,
            "frames_sampled": result.frames_sampled,
            "faces_seen": result.faces_seen,
            "faces_unrecognised": result.faces_unrecognised,
            "faces_encoded": getattr(result, "faces_encoded", None),
            "timings": dict(result.timings),
        })
    return {"load_seconds": ready, "max_rss_mb_after_load": rss_ready, "max_rss_mb": _max_rss_mb(), "runs": runs}


def profile(runs: list[tuple[str, str]], roster: str, detection_height: int, top: int) -> dict:
    """cProfile of warm runs (models loaded first): the functions with the most own time."""
    import cProfile
    import pstats

    import cv2

    cv2.setNumThreads(1)
    from handler.faces import face_finder
    from handler.recognition import RecognitionOptions, recognise_video
    from handler.roster import Roster

    loaded = Roster.load(roster)
    face_finder(detection_height)
    out = {}
    for mode, video in runs:
        options = RecognitionOptions(mode=mode, detection_height=detection_height)
        recognise_video(video, loaded, options)  # warm the decoder paths
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(recognise_video, video, loaded, options)
        wall = time.perf_counter() - started
        stats = pstats.Stats(profiler)
        rows = []
        for (filename, line, name), (cc, nc, tottime, cumtime, _callers) in stats.stats.items():
            rows.append({
                "function": f"{os.path.basename(filename)}:{line}({name})" if line else name,
                "calls": nc, "tottime": round(tottime, 4), "cumtime": round(cumtime, 4),
            })
        rows.sort(key=lambda r: r["tottime"], reverse=True)
        out[f"{mode}:{os.path.basename(video)}"] = {"wall_seconds": wall, "top": rows[:top]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cold = sub.add_parser("coldstart")
    cold.add_argument("--roster", required=True)
    cold.add_argument("--detection-height", type=int, default=480)
    long = sub.add_parser("long")
    long.add_argument("--video", required=True)
    long.add_argument("--roster", required=True)
    long.add_argument("--repeat", type=int, default=1)
    long.add_argument("--detection-height", type=int, default=480)
    long.add_argument("--fps", type=float, default=2.0)
    prof = sub.add_parser("profile")
    prof.add_argument("--run", action="append", nargs=2, metavar=("MODE", "VIDEO"), required=True)
    prof.add_argument("--roster", required=True)
    prof.add_argument("--detection-height", type=int, default=480)
    prof.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    if args.command == "coldstart":
        result = cold_start(args.roster, args.detection_height)
    elif args.command == "long":
        result = long_video(args.video, args.roster, args.repeat, args.detection_height, args.fps)
    else:
        result = profile([tuple(r) for r in args.run], args.roster, args.detection_height, args.top)
    result["affinity"] = sorted(os.sched_getaffinity(0))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
