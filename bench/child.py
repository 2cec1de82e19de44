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
from pathlib import Path  # noqa: E402

from classroom.process_memory import PEAK, memory_mb  # noqa: E402


def _max_rss_mb() -> float:
    """Peak resident memory of this process since it was exec'ed (a child of a large parent
    would report the parent's peak through getrusage, which Linux keeps across exec)."""
    peak = memory_mb(PEAK)
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cold_start(roster: str) -> dict:
    """Import the Lambda module, load the roster file, load the models: each part timed."""
    entry = "handler.app"
    t0 = time.perf_counter()
    import handler.app  # noqa: F401  (the Lambda's entry module, as the runtime imports it)
    t1 = time.perf_counter()
    from handler.faces.roster import Roster

    loaded = Roster.load(roster)
    t2 = time.perf_counter()
    from handler.faces.detector import face_finder

    face_finder()
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


def long_video(video: str, roster: str, repeat: int) -> dict:
    """Load everything (timed apart), then `all` mode with the default settings `repeat` times.

    Uses every CPU this process may run on (the parent pins it, or not).
    """
    t0 = time.perf_counter()
    from handler.faces.detector import face_finder
    from handler.tracks.recognition import recognise_video
    from handler.faces.roster import Roster
    from handler.settings import RecognitionSettings

    loaded = Roster.load(roster)
    face_finder()
    ready = time.perf_counter() - t0
    rss_ready = _max_rss_mb()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = recognise_video(video, loaded, RecognitionSettings(mode="all"))
        runs.append({
            "seconds": time.perf_counter() - started,
            "present": [
                {"name": p.name, "first_seen_seconds": p.first_seen_seconds, "last_seen_seconds": p.last_seen_seconds,
                 "seconds_present": p.seconds_present, "distance": p.distance}
                for p in result.present
            ],
            "video_seconds": result.seconds,
            **{key: getattr(result, key) for key in (
                "frames_decoded", "frames_sampled", "faces_seen", "faces_unrecognised", "faces_encoded",
                "full_scans", "region_scans", "timings")},
        })
    return {"load_seconds": ready, "max_rss_mb_after_load": rss_ready, "max_rss_mb": _max_rss_mb(), "runs": runs}


def detector_costs(datasets: str, repeat: int) -> dict:
    """What each way of finding faces costs on a 1080p frame (the group photos at their own
    size, 18 faces of 37-90 px): median milliseconds of `repeat` runs, and faces found."""
    import statistics

    import cv2

    from handler.faces.detector import FaceFinder, available_cores
    from handler.settings import RecognitionSettings
    from classroom.scene import group_photo_frame

    frame, truth = group_photo_frame(Path(datasets))
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    min_face = RecognitionSettings().min_face_px(gray.shape[0])
    one, every = FaceFinder(threads=1), FaceFinder()

    def timed(call) -> tuple[float, object]:
        times, out = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            out = call()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times), out

    region = (truth[0][0] - 60, truth[0][1] + 60, truth[0][2] + 60, truth[0][3] - 60)
    rows = {}
    for label, call in (
        ("whole frame, faces >= 80 px (scale 1, as dlib's upsample 0)", lambda: one.scan(gray, 80)),
        ("whole frame, faces >= 40 px (scale 2, as dlib's upsample 1)", lambda: one.scan(gray, 40)),
        (f"whole frame, faces >= {min_face:.0f} px (the default), 1 thread", lambda: one.scan(gray, min_face)),
        (f"whole frame, faces >= {min_face:.0f} px (the default), {available_cores()} threads (bands)",
         lambda: every.scan(gray, min_face)),
        ("one changed region (~160x160 px) at the default scale", lambda: one.scan_regions(gray, [region], min_face)),
        ("one known face looked for again near its place", lambda: one.refind(gray, [truth[0]])),
        ("one face encoded (5-point shape + ResNet descriptor)", lambda: one.encode(rgb, [truth[0]])),
    ):
        ms, out = timed(call)
        rows[label] = {"ms": round(ms, 1), "found": len(out) if isinstance(out, list) else None}
    return {"faces_in_frame": len(truth), "repeat": repeat, "costs": rows}


def profile(runs: list[tuple[str, str]], roster: str, top: int) -> dict:
    """cProfile of warm runs (models loaded first): the functions with the most own time."""
    import cProfile
    import pstats

    from handler.faces.detector import face_finder
    from handler.tracks.recognition import recognise_video
    from handler.faces.roster import Roster
    from handler.settings import RecognitionSettings

    loaded = Roster.load(roster)
    face_finder()
    out = {}
    for mode, video in runs:
        options = RecognitionSettings(mode=mode)  # type: ignore[arg-type]
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
    long = sub.add_parser("long")
    long.add_argument("--video", required=True)
    long.add_argument("--roster", required=True)
    long.add_argument("--repeat", type=int, default=1)
    costs = sub.add_parser("detector")
    costs.add_argument("--datasets", required=True)
    costs.add_argument("--repeat", type=int, default=5)
    prof = sub.add_parser("profile")
    prof.add_argument("--run", action="append", nargs=2, metavar=("MODE", "VIDEO"), required=True)
    prof.add_argument("--roster", required=True)
    prof.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    if args.command == "coldstart":
        result = cold_start(args.roster)
    elif args.command == "detector":
        result = detector_costs(args.datasets, args.repeat)
    elif args.command == "long":
        result = long_video(args.video, args.roster, args.repeat)
    else:
        result = profile([tuple(r) for r in args.run], args.roster, args.top)
    result["affinity"] = sorted(os.sched_getaffinity(0))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
