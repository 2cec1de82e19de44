"""What the benchmark's pinned worker processes run (top-level functions, so they pickle).

Two warm workers, one per side, both pinned to the same CPU and never busy at the same
time: one runs the original algorithm, the other our handler and the floor. "Warm" means
what a warm Lambda container has: modules imported and models loaded; the roster is the
handler's cached one (ours) or re-read every frame (the original, as it did).
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

from bench.pinning import pin_this_process


def init_worker(cpu: int, first_on_path: str | None = None) -> None:
    """ProcessPoolExecutor initializer: pin to one core before anything heavy is imported
    (and, for the original algorithm, put the prebuilt dlib-bin wheel first on the path)."""
    if first_on_path:
        import sys

        sys.path.insert(0, first_on_path)
    pin_this_process(cpu)


# --- our handler ------------------------------------------------------------------------


@functools.cache
def _roster(path: str):
    from handler.faces.enrol import import_pickle
    from handler.faces.roster import Roster

    return import_pickle(path) if path.endswith(".pickle") else Roster.load(path)


def warm_ours(roster_path: str, video: str) -> float:
    """Import the handler, load the models and the roster, run one video untimed."""
    started = time.perf_counter()
    from handler.faces.detector import face_finder
    from handler.tracks.recognition import recognise_video
    from handler.settings import RecognitionSettings

    face_finder()
    recognise_video(video, _roster(roster_path), RecognitionSettings(mode="first"))
    return time.perf_counter() - started


def run_ours(video: str, roster_path: str, mode: str = "first") -> dict:
    """One timed `recognise_video` call with a warm finder and roster, default settings."""
    from handler.tracks.recognition import recognise_video
    from handler.settings import RecognitionSettings

    roster = _roster(roster_path)
    started = time.perf_counter()
    result = recognise_video(video, roster, RecognitionSettings(mode=mode))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "answer": result.names[0] if result.names else None,
        "names": result.names,
        "frames_decoded": result.frames_decoded,
        "frames_sampled": result.frames_sampled,
        "faces_seen": result.faces_seen,
        "faces_encoded": result.faces_encoded,
        "timings": dict(result.timings),
    }


def floor_frame(video: str, roster_path: str, expected: str | None) -> int | None:
    """Untimed: the first frame in which our finder sees the expected person."""
    from bench.floor import first_answering_frame
    from handler.faces.detector import face_finder

    return first_answering_frame(Path(video), face_finder(), _roster(roster_path), expected)


def run_floor(video: str, frame_index: int) -> dict:
    """One timed floor measurement (decode to the frame, one detection, one encode)."""
    from bench.floor import measure
    from handler.faces.detector import face_finder

    result = measure(Path(video), frame_index, face_finder())
    return {"seconds": result.seconds, "frame_index": result.frame_index, "timings": result.timings}


def save_rosters(classroom_pickle: str, enroll_dir: str, out_dir: str) -> dict:
    """Untimed: the classroom roster as .npz, and classroom + faces/enroll combined."""
    import numpy as np

    from handler.faces.enrol import build_roster, import_pickle
    from handler.faces.roster import Roster

    classroom = import_pickle(classroom_pickle)
    enrolled = build_roster(enroll_dir)
    combined = Roster(classroom.names + enrolled.names, np.vstack([classroom.encodings, enrolled.encodings]))
    out = Path(out_dir)
    classroom.save(out / "roster_classroom.npz")
    combined.save(out / "roster_combined.npz")
    return {
        "classroom": str(out / "roster_classroom.npz"),
        "combined": str(out / "roster_combined.npz"),
        "classroom_people": classroom.people,
        "combined_people": combined.people,
    }


# --- the original algorithm -------------------------------------------------------------


def warm_baseline() -> float:
    """Import face_recognition (loads its four models, as the original Lambda did at import)."""
    started = time.perf_counter()
    import numpy as np
    import face_recognition

    face_recognition.face_encodings(np.zeros((64, 64, 3), dtype=np.uint8))
    return time.perf_counter() - started


def run_baseline(video: str, roster_pickle: str) -> dict:
    """One timed run of the original method."""
    from bench.baseline import recognise

    result = recognise(Path(video), Path(roster_pickle))
    return {
        "seconds": result.seconds,
        "answer": result.name,
        "frames_extracted": result.frames_extracted,
        "frames_examined": result.frames_examined,
        "timings": result.timings,
    }
