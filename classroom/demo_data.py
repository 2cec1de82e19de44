"""`python -m classroom demo-data`: a complete demo data set built locally, with no download.

The two people are portraits that ship inside PyPI packages already installed for the
project: Grace Hopper (matplotlib's `grace_hopper.jpg` sample) and Eileen Collins
(scikit-image's `astronaut`). They are enrolled with the handler's own enrolment code, given
student records, and rendered into short videos — alone, together (Hopper first, Collins
joins later, so the order of first appearance is fixed) and an empty room with no face at all
— with the results a correct pipeline must return. Rendering uses no randomness, so every
machine builds the same videos.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from classroom.results import Row, format_expected

WIDTH, HEIGHT, FPS = 1280, 720, 15
PORTRAIT_HEIGHT = 440


@dataclass(frozen=True)
class Person:
    """A portrait from a package, the crop that holds exactly one face, and the student record."""

    name: str
    caption: str
    major: str
    year: str
    load: Callable[[], np.ndarray]  # RGB image
    crop: tuple[int, int, int, int]  # top, bottom, left, right (pixels of the loaded image)

    def portrait_rgb(self) -> np.ndarray:
        top, bottom, left, right = self.crop
        return np.ascontiguousarray(self.load()[top:bottom, left:right])


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as file:  # ships in matplotlib's mpl-data
        return np.asarray(Image.open(file).convert("RGB"))


def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()  # ships in scikit-image's wheel (no download)


def _empty_room_posters() -> list[np.ndarray]:
    from skimage import data

    return [data.chelsea(), data.coffee()]  # a cat and a cup: no human face


PEOPLE = (
    # The astronaut crop stops above the mission patch, which dlib's detector takes for a face.
    Person("grace_hopper", "Grace Hopper", "computer_science", "senior", _grace_hopper, (29, 455, 80, 466)),
    Person("eileen_collins", "Eileen Collins", "aerospace_engineering", "junior", _astronaut, (23, 229, 127, 313)),
)


@dataclass(frozen=True)
class Scene:
    """One demo video: who is on screen from which second."""

    file: str
    seconds: float
    cast: tuple[tuple[str, float], ...]  # (person name, first second on screen), in order of entry


SCENES = (
    Scene("hopper_alone.mp4", 4, (("grace_hopper", 0.0),)),
    Scene("collins_alone.mp4", 4, (("eileen_collins", 0.0),)),
    # Collins joins 2 s in, so any sampling rate of 0.5 frames/s or more sees Hopper first.
    Scene("hopper_then_collins.mp4", 5, (("grace_hopper", 0.0), ("eileen_collins", 2.0))),
    Scene("empty_room.mp4", 4, ()),
)


def _background() -> np.ndarray:
    """A brick wall (scikit-image's `brick` texture), tinted warm: the same on every machine."""
    import cv2
    from skimage import data

    brick = data.brick()
    tiles = np.tile(brick, (math.ceil(HEIGHT / brick.shape[0]), math.ceil(WIDTH / brick.shape[1])))[:HEIGHT, :WIDTH]
    shade = (tiles.astype(np.float32) / 255.0) * 0.5 + 0.35
    tint = np.array([150, 170, 205], dtype=np.float32)  # BGR
    wall = np.clip(shade[..., None] * tint, 0, 255).astype(np.uint8)
    cv2.rectangle(wall, (0, HEIGHT - 90), (WIDTH, HEIGHT), (60, 70, 80), thickness=-1)  # a desk edge
    return wall


def _framed(image_rgb: np.ndarray, height: int, caption: str | None) -> np.ndarray:
    """The picture scaled to `height`, with a white frame and an optional caption, as BGR."""
    import cv2

    scale = height / image_rgb.shape[0]
    picture = cv2.resize(image_rgb, (round(image_rgb.shape[1] * scale), height), interpolation=cv2.INTER_CUBIC)
    picture = cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)
    framed = cv2.copyMakeBorder(picture, 12, 48 if caption else 12, 12, 12, cv2.BORDER_CONSTANT, value=(245, 245, 245))
    if caption:
        cv2.putText(framed, caption, (16, framed.shape[0] - 16), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (40, 40, 40), 2, cv2.LINE_AA)
    return framed


def _paste(canvas: np.ndarray, picture: np.ndarray, centre_x: float, top: float) -> None:
    height, width = picture.shape[:2]
    x0, y0 = round(centre_x - width / 2), round(top)
    xa, ya = max(0, x0), max(0, y0)
    xb, yb = min(WIDTH, x0 + width), min(HEIGHT, y0 + height)
    if xb > xa and yb > ya:
        canvas[ya:yb, xa:xb] = picture[ya - y0:yb - y0, xa - x0:xb - x0]


def render_scene(scene: Scene, portraits: dict[str, np.ndarray], path: Path) -> None:
    """Write one video: the cast drifts gently (as people do), entering at their cue."""
    import cv2

    wall = _background()
    slots = {1: [WIDTH / 2], 2: [WIDTH * 0.3, WIDTH * 0.7]}[max(1, len(scene.cast))]
    posters = [_framed(p, 300, None) for p in _empty_room_posters()] if not scene.cast else []
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise click.ClickException(f"OpenCV cannot write {path} with the mp4v codec")
    try:
        for index in range(round(scene.seconds * FPS)):
            t = index / FPS
            frame = wall.copy()
            for slot, (name, cue) in enumerate(scene.cast):
                if t >= cue:
                    dx = 18 * math.sin(2 * math.pi * (t - cue) / 3 + slot)
                    dy = 8 * math.sin(2 * math.pi * (t - cue) / 2.2 + slot)
                    _paste(frame, portraits[name], slots[slot] + dx, 60 + dy)
            for slot, poster in enumerate(posters):
                dx = 12 * math.sin(2 * math.pi * t / 3 + slot)
                _paste(frame, poster, WIDTH * (0.3 + 0.4 * slot) + dx, 120)
            writer.write(frame)
    finally:
        writer.release()


def expected_results(people: tuple[Person, ...] = PEOPLE, scenes: tuple[Scene, ...] = SCENES) -> dict[str, list[Row]]:
    """What a correct pipeline returns for every scene: the cast in order of entry."""
    records = {p.name: (p.name, p.major, p.year) for p in people}
    return {scene.file: [records[name] for name, _ in sorted(scene.cast, key=lambda c: c[1])] for scene in scenes}


LECTURE_HALL = "lecture_hall.mp4"
COURSE = "cse546"
"""The demo's course: Grace Hopper and Kit Harington are on its list; the lecture hall, uploaded
under `cse546/...`, shows Grace Hopper present, Kit Harington absent and Eileen Collins, who is
not on the list, as a visitor."""
COURSE_ABSENTEE = "kit_harington"  # enrolled from the shared data sets' photos of him


def lecture_hall_scene():  # -> classroom.scene.Scene (imported late: it imports this module's PEOPLE)
    """A wide 1080p shot of a class: the two students small among twelve strangers (the real
    faces of the shared group photos), Eileen Collins coming in late, a stranger leaving."""
    from classroom.scene import Scene as Shot
    from classroom.scene import Seat

    strangers = [Seat(f"stranger-{i}", 0.08 + (k % 6) * 0.168, 0.25 + (k // 6) * 0.3, size,
                      leave=9.0 if k == 4 else None)
                 for k, (i, size) in enumerate(zip((0, 3, 4, 6, 9, 11, 12, 13, 14, 15, 16, 17),
                                                   (34, 38, 42, 46, 50, 56, 62, 70, 78, 86, 40, 48)))]
    students = [Seat("grace_hopper", 0.33, 0.72, 44), Seat("eileen_collins", 0.70, 0.72, 52, arrive=6.0)]
    return Shot(tuple(strangers + students), seconds=15.0, seed=11)


def build_demo_data(out: Path) -> dict[str, Path]:
    """Write enroll/, roster.npz, students.json, videos/ and expected.csv under `out`.

    expected.csv is written last, so its presence means the data set is complete.
    """
    import cv2

    from handler.faces.enrol import build_roster

    out = Path(out)
    (out / "expected.csv").unlink(missing_ok=True)
    enroll, videos = out / "enroll", out / "videos"
    portraits: dict[str, np.ndarray] = {}
    for person in PEOPLE:
        folder = enroll / person.name
        folder.mkdir(parents=True, exist_ok=True)
        portrait = person.portrait_rgb()
        cv2.imwrite(str(folder / "portrait.jpg"), cv2.cvtColor(portrait, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        portraits[person.name] = _framed(portrait, PORTRAIT_HEIGHT, person.caption)
    students = [{"id": i, "name": p.name, "major": p.major, "year": p.year} for i, p in enumerate(PEOPLE, start=1)]
    students[0]["courses"] = [COURSE]  # grace_hopper
    absentee = _course_absentee(enroll)
    if absentee:
        students.append({"id": len(students) + 1, **absentee, "courses": [COURSE]})
    build_roster(enroll).save(out / "roster.npz")
    (out / "students.json").write_text(json.dumps(students, indent=2) + "\n", encoding="utf-8")
    videos.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        render_scene(scene, portraits, videos / scene.file)
    expected = expected_results()
    hall = _lecture_hall(videos / LECTURE_HALL)
    if hall:
        expected[LECTURE_HALL] = hall
    (out / "expected.csv").write_text(format_expected(expected), encoding="utf-8")
    return {
        "enroll": enroll,
        "roster": out / "roster.npz",
        "students": out / "students.json",
        "videos": videos,
        "expected": out / "expected.csv",
    }


def _course_absentee(enroll: Path) -> dict[str, str] | None:
    """Enrol the course's absent student from the shared data sets' photos (copied into the
    build folder, never into the repository); his record, or None without the data sets."""
    import shutil

    from classroom.datasets import DatasetsMissing, datasets_dir
    from classroom.people import STUDENTS

    try:
        photos = datasets_dir() / "faces" / "enroll" / COURSE_ABSENTEE
    except DatasetsMissing:
        return None
    folder = enroll / COURSE_ABSENTEE
    folder.mkdir(parents=True, exist_ok=True)
    for photo in sorted(photos.iterdir()):
        shutil.copyfile(photo, folder / photo.name)
    major, year = STUDENTS[COURSE_ABSENTEE].record
    return {"name": COURSE_ABSENTEE, "major": str(major), "year": str(year)}


def _lecture_hall(path: Path) -> list[Row]:
    """Render the lecture hall (its strangers come from the shared data sets); its expected rows."""
    from classroom.datasets import DatasetsMissing, datasets_dir
    from classroom.scene import write_video
    from classroom.scene_truth import truth_of

    try:
        datasets = datasets_dir()
    except DatasetsMissing as missing:
        click.echo(f"no lecture hall in the demo: {missing}", err=True)
        return []
    scene = lecture_hall_scene()
    write_video(path, scene, datasets)
    records = {p.name: (p.name, p.major, p.year) for p in PEOPLE}
    return [records[name] for name in truth_of(scene).students]


def is_complete(out: Path) -> bool:
    """Whether a previous build finished (expected.csv is written last)."""
    return all((Path(out) / name).exists() for name in ("roster.npz", "students.json", "videos", "expected.csv"))


@click.command("demo-data")
@click.option("--out", default=Path("build/demo"), show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the data set into.")
def demo_data(out: Path) -> None:
    """Build the demo data set from portraits shipped in matplotlib and scikit-image.

    Writes OUT/enroll/<person>/portrait.jpg, OUT/roster.npz (enrolled with the handler's
    code), OUT/students.json, OUT/videos/*.mp4 and OUT/expected.csv. No download needed;
    the default dev stack (Pulumi.dev.yaml) reads build/demo/students.json and roster.npz.
    """
    paths = build_demo_data(out)
    for label, path in paths.items():
        click.echo(f"{label:<9} {path}")
