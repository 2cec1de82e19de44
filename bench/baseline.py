"""The original handler's method, reimplemented faithfully as the benchmark's baseline.

The old CDK project's Lambda, after writing the S3 object to /tmp:

1. ran `ffmpeg -i <video> -r 1 /tmp/frames/image-%3d.jpeg` (here: an argument list, never a
   shell string, into a fresh temporary folder);
2. for each JPEG in name order:
   - loaded the roster pickle file again (here through the restricted loader
     `handler.faces.enrol.import_pickle`, never a plain `pickle.load`: same file read and decode
     per frame, without the unsafe unpickler),
   - `face_recognition.load_image_file(jpeg)` (PIL decode to RGB),
   - `face_recognition.face_encodings(image)` with the library's defaults: HOG detection on
     the full-resolution frame upsampled once, then the landmarks and the 128-d encoding of
     every face found (face_recognition 1.3.0's default landmark model is "small", 5 points;
     its docstring says "large", the code says "small"; we call it with the defaults, as
     the original did),
   - if a face was found: `compare_faces(roster encodings, first encoding)` and the FIRST
     roster index that is True is the answer; stop at the first frame that gives one.

The S3 download is not part of the baseline: both sides read the same local file.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class FfmpegMissing(RuntimeError):
    """ffmpeg is not on PATH: run the benchmark's setup step."""


SETUP_HINT = "ffmpeg is not installed: run `sh setup-system.sh` (apt-get install -y ffmpeg) first"


def ffmpeg_path() -> str:
    """The ffmpeg binary, or FfmpegMissing with the setup command to run."""
    path = shutil.which("ffmpeg")
    if path is None:
        raise FfmpegMissing(SETUP_HINT)
    return path


@dataclass
class BaselineResult:
    """What one run of the original algorithm answered, and where its time went."""

    name: str | None
    seconds: float
    frames_extracted: int
    frames_examined: int
    timings: dict[str, float] = field(default_factory=dict)


def extract_frames(video: Path, folder: Path) -> list[Path]:
    """`ffmpeg -i video -r 1 folder/image-%3d.jpeg`, as the original did; the JPEGs in order."""
    command = [
        ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error",
        "-i", str(video), "-r", "1", str(folder / "image-%3d.jpeg"),
    ]
    subprocess.run(command, check=True)
    return sorted(folder.glob("image-*.jpeg"))


def recognise(video: Path, roster_pickle: Path, tolerance: float = 0.6) -> BaselineResult:
    """Run the original method on one video; time everything from ffmpeg to the answer."""
    import face_recognition  # loads all four dlib models at import, as the original Lambda did

    from handler.faces.enrol import import_pickle

    timings = {"extract": 0.0, "roster_reload": 0.0, "load_image": 0.0, "encodings": 0.0, "compare": 0.0}
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-frames-"))
    try:
        frames = extract_frames(video, folder)
        timings["extract"] = time.perf_counter() - start
        name: str | None = None
        examined = 0
        for jpeg in frames:
            examined += 1
            t0 = time.perf_counter()
            roster = import_pickle(roster_pickle)  # the original reloaded the roster every frame
            t1 = time.perf_counter()
            image = face_recognition.load_image_file(jpeg)
            t2 = time.perf_counter()
            encodings = face_recognition.face_encodings(image)
            t3 = time.perf_counter()
            timings["roster_reload"] += t1 - t0
            timings["load_image"] += t2 - t1
            timings["encodings"] += t3 - t2
            if encodings:
                matches = face_recognition.compare_faces(list(roster.encodings), encodings[0], tolerance)
                timings["compare"] += time.perf_counter() - t3
                for index, matched in enumerate(matches):
                    if matched:
                        name = roster.names[index]
                        break
                if name is not None:
                    break
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # clean-up is not timed
    return BaselineResult(name, seconds, len(frames), examined, timings)
