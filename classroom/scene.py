"""A generated classroom: an H.264 1080p video of seated people, with the answer it must give.

Used by the tests, the benchmark and the demo. People come from the shared data sets and from
portraits that ship inside installed packages, never from their enrolment photos:

- students of the original sample play as frames of their own classroom clip;
- `faces/` people come from test photos, not their `enroll/` photos;
- the demo portraits (Grace Hopper, Eileen Collins);
- strangers, never enrolled: the 18 real faces of `group-photos/` (at their own size or
  scaled) and Lin-Manuel Miranda.

Each seat holds one person whose face box (dlib's HOG box, the measure the detector uses)
has a chosen height in pixels; people arrive and leave at chosen times; every frame gets mild
camera noise and a one-pixel sway. The truth (who sits where, from when to when, at what
size) is written beside the video as JSON, and an expected CSV in the workload's format
(`video,name,major,year`) lists the enrolled people. Rendering is deterministic (seeded).
"""
from __future__ import annotations

import functools
import json
import os
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS = 1920, 1080, 30
REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_VARIABLE = "SMART_CLASSROOM_DATASETS"


class DatasetsMissing(FileNotFoundError):
    """The shared data sets are not where they are looked for (the message says where)."""


def datasets_dir() -> Path:
    """The shared data sets: $SMART_CLASSROOM_DATASETS, or ../shared/datasets beside the repository."""
    path = Path(os.environ.get(DATASETS_VARIABLE, REPO_ROOT.parent / "shared" / "datasets"))
    if not (path / "classroom" / "expected.csv").is_file():
        raise DatasetsMissing(f"data sets not found at {path}: set {DATASETS_VARIABLE} to the shared datasets folder")
    return path.resolve()


@dataclass(frozen=True)
class Person:
    """Where one person's pixels come from, and their student record (None: a stranger)."""

    key: str
    path: str  # relative to the data sets folder, or "package:<name>" for a bundled portrait
    record: tuple[str, str] | None = None  # (major, year); None: a stranger
    face: str = "largest"  # which face of the source: "largest", "leftmost" or "box:<index>"
    frame_seconds: float = 0.5  # for clips: the moment whose frame is used

    @property
    def enrolled(self) -> bool:
        return self.record is not None


def _record(major: str, year: str) -> tuple[str, str]:
    return (major, year)


STUDENTS: dict[str, Person] = {
    p.key: p
    for p in (
        Person("president_trump", "classroom/videos/test_0.mp4", _record("physics", "junior")),
        Person("president_biden", "classroom/videos/test_1.mp4", _record("history", "sophomore")),
        Person("johnny_dep", "classroom/videos/test_4.mp4", _record("computer_science", "senior")),
        Person("morgan_freeman", "classroom/videos/test_7.mp4", _record("math", "senior")),
        Person("president_obama", "classroom/videos/test_8.mp4", _record("electrical_engineering", "senior")),
        Person("mr_bean", "classroom/videos/test_2.mp4", _record("lawyer", "freshmen")),
        Person("kit_harington", "faces/photos/johnsnow_test1.jpg", _record("drama", "senior")),
        Person("rose_leslie", "faces/photos/kit_with_rose.jpg", _record("drama", "junior"), face="leftmost"),
        Person("alex_lacamoire", "faces/video/alex-lacamoire.png", _record("music", "sophomore")),
        Person("grace_hopper", "package:grace_hopper", _record("computer_science", "senior")),
        Person("eileen_collins", "package:eileen_collins", _record("aerospace_engineering", "junior")),
    )
}
"""Enrolled people a scene may seat, with the records the students file gets for them."""

GROUP_PHOTO_FACES = 18


def stranger(index: int) -> Person:
    """Stranger number `index`: a real face of `group-photos/` (0-17), or Lin-Manuel Miranda (18)."""
    if index == GROUP_PHOTO_FACES:
        return Person("stranger-18", "faces/video/lin-manuel-miranda.png")
    return Person(f"stranger-{index}", "group-photos", face=f"box:{index}")


@dataclass(frozen=True)
class Seat:
    """One person in the room: face centre (fractions of the frame), face height, time on screen."""

    person: str  # a key of STUDENTS, or "stranger-N"
    x: float
    y: float
    face_px: int
    arrive: float = 0.0
    leave: float | None = None  # None: stays to the end

    def present(self, t: float, seconds: float) -> bool:
        return self.arrive <= t < (seconds if self.leave is None else self.leave)


@dataclass(frozen=True)
class Scene:
    """A whole video: its length, frame rate, key-frame interval, noise and seats."""

    seats: tuple[Seat, ...]
    seconds: float = 10.0
    fps: int = FPS
    width: int = WIDTH
    height: int = HEIGHT
    gop_seconds: float = 2.0
    noise: float = 2.0  # standard deviation of the per-frame camera noise, in grey levels
    seed: int = 0
    crf: int = 23

    def person(self, key: str) -> Person:
        return STUDENTS[key] if key in STUDENTS else stranger(int(key.split("-", 1)[1]))


# --- ground truth -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What a correct pipeline must and must not report for a scene."""

    scene: Scene
    seats: list[dict] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        """Enrolled people on screen at some point, in order of first arrival."""
        ordered = sorted((s for s in self.scene.seats if s.person in STUDENTS), key=lambda s: s.arrive)
        return list(dict.fromkeys(s.person for s in ordered))

    def required(self, min_face_px: int = 40) -> list[str]:
        """Students whose face is at least `min_face_px` tall: these must be found."""
        return [n for n in self.students if any(s.person == n and s.face_px >= min_face_px for s in self.scene.seats)]

    def presence(self, name: str) -> tuple[float, float]:
        """(first second on screen, last second on screen) of a person."""
        seats = [s for s in self.scene.seats if s.person == name]
        return min(s.arrive for s in seats), max(self.scene.seconds if s.leave is None else s.leave for s in seats)


def truth_of(scene: Scene) -> Truth:
    return Truth(scene, [asdict(seat) | {"enrolled": seat.person in STUDENTS} for seat in scene.seats])


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sprite:
    """A head-and-shoulders crop (BGR) and its face box height and centre, in crop pixels."""

    image: np.ndarray
    face_height: float
    centre: tuple[float, float]


def _package_portrait(name: str) -> np.ndarray:
    """The demo portraits that ship in matplotlib and scikit-image (BGR)."""
    from classroom.demo_data import PEOPLE

    person = next(p for p in PEOPLE if p.name == name)
    return np.ascontiguousarray(person.portrait_rgb()[:, :, ::-1])


def _clip_frame(path: Path, seconds: float) -> np.ndarray:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
        ok, frame = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise RuntimeError(f"cannot read a frame of {path}")
    return frame


@functools.cache
def _group_boxes(datasets: Path) -> list[tuple[str, int, int, int, int]]:
    """(file, top, left, width, height) of every annotated face of group-photos/training.xml."""
    root = ElementTree.parse(datasets / "group-photos" / "training.xml").getroot()
    return [
        (image.get("file"), int(b.get("top")), int(b.get("left")), int(b.get("width")), int(b.get("height")))
        for image in root.iter("image")
        for b in image.iter("box")
    ]


def _crop(image: np.ndarray, top: float, left: float, width: float, height: float) -> Sprite:
    """Head and shoulders around a face box, clamped to the image."""
    h, w = image.shape[:2]
    cx = left + width / 2
    x0, x1 = max(0, int(cx - 1.1 * width)), min(w, int(cx + 1.1 * width))
    y0, y1 = max(0, int(top - 0.7 * height)), min(h, int(top + height + 0.9 * height))
    return Sprite(np.ascontiguousarray(image[y0:y1, x0:x1]), float(height), (cx - x0, top + height / 2 - y0))


@functools.cache
def load_sprite(person: Person, datasets: Path) -> Sprite:
    """Find the person's face in their source (dlib HOG at full size, upsample 1) and crop it."""
    import cv2
    import dlib

    if person.face.startswith("box:"):
        file, top, left, width, height = _group_boxes(datasets)[int(person.face[4:])]
        image = cv2.imread(str(datasets / "group-photos" / file), cv2.IMREAD_COLOR)
        return _crop(image, top, left, width, height)
    if person.path.startswith("package:"):
        image = _package_portrait(person.path.split(":", 1)[1])
    elif person.path.endswith(".mp4"):
        image = _clip_frame(datasets / person.path, person.frame_seconds)
    else:
        image = cv2.imread(str(datasets / person.path), cv2.IMREAD_COLOR)
    if image is None:
        raise RuntimeError(f"cannot read {person.path}")
    rects = list(dlib.get_frontal_face_detector()(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), 1))
    if not rects:
        raise RuntimeError(f"no face found in {person.path}")
    rect = min(rects, key=lambda r: r.left()) if person.face == "leftmost" else max(rects, key=lambda r: r.area())
    return _crop(image, rect.top(), rect.left(), rect.width(), rect.height())


# --- rendering --------------------------------------------------------------------------------


def classroom_background(width: int = WIDTH, height: int = HEIGHT, seed: int = 7) -> np.ndarray:
    """A plain classroom: wall, whiteboard, window, door and two rows of desks (BGR)."""
    import cv2

    rng = np.random.default_rng(seed)
    wall = np.linspace(205, 170, height, dtype=np.float32)[:, None, None]
    canvas = np.broadcast_to(wall * np.array([0.93, 1.0, 1.02], np.float32), (height, width, 3)).copy()
    canvas[int(height * 0.78):] = np.array([95, 110, 125], np.float32)  # floor
    canvas += rng.normal(0, 3, canvas.shape).astype(np.float32)
    img = np.clip(canvas, 0, 255).astype(np.uint8)
    sx, sy = width / WIDTH, height / HEIGHT
    p = lambda x, y: (round(x * sx), round(y * sy))  # noqa: E731
    cv2.rectangle(img, p(560, 40), p(1360, 200), (245, 245, 240), -1)  # whiteboard
    cv2.rectangle(img, p(560, 40), p(1360, 200), (120, 120, 120), 6)
    cv2.rectangle(img, p(60, 60), p(360, 260), (230, 200, 160), -1)  # window
    cv2.rectangle(img, p(1600, 120), p(1780, 600), (60, 90, 130), -1)  # door
    for row, y in enumerate((560, 760, 930)):  # rows of desks
        for k in range(6):
            x = 60 + k * 310 + row * 30
            cv2.rectangle(img, p(x, y), p(x + 260, y + 36), (40, 80, 140), -1)
    return img


def _alpha(height: int, width: int) -> np.ndarray:
    """A soft-edged ellipse: 1 inside, fading to 0 at the crop's border."""
    y, x = np.ogrid[:height, :width]
    d = ((x - width / 2) / (width / 2)) ** 2 + ((y - height / 2) / (height / 2)) ** 2
    return np.clip((1.0 - d) / 0.3, 0.0, 1.0).astype(np.float32)[..., None]


@dataclass
class _Placed:
    """A sprite scaled for one seat: pixels, alpha and top-left corner in the frame."""

    seat: Seat
    image: np.ndarray
    alpha: np.ndarray
    x: int
    y: int

    def paste(self, canvas: np.ndarray, dx: int) -> None:
        h, w = self.image.shape[:2]
        H, W = canvas.shape[:2]
        x, y = self.x + dx, self.y
        cx0, cy0, cx1, cy1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
        if cx0 >= cx1 or cy0 >= cy1:
            return
        region = canvas[cy0:cy1, cx0:cx1].astype(np.float32)
        patch = self.image[cy0 - y:cy1 - y, cx0 - x:cx1 - x]
        alpha = self.alpha[cy0 - y:cy1 - y, cx0 - x:cx1 - x]
        canvas[cy0:cy1, cx0:cx1] = (region + (patch - region) * alpha).astype(np.uint8)


def _place(seat: Seat, sprite: Sprite, width: int, height: int) -> _Placed:
    import cv2

    scale = seat.face_px / sprite.face_height
    h, w = sprite.image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    image = cv2.resize(sprite.image, size, interpolation=interpolation).astype(np.float32)
    x = round(seat.x * width - sprite.centre[0] * scale)
    y = round(seat.y * height - sprite.centre[1] * scale)
    return _Placed(seat, image, _alpha(size[1], size[0]), x, y)


def frames(scene: Scene, datasets: Path) -> Iterable[np.ndarray]:
    """Every frame of the scene (BGR), people pasted in seat order, with noise and sway."""
    background = classroom_background(scene.width, scene.height)
    placed = [_place(s, load_sprite(scene.person(s.person), datasets), scene.width, scene.height) for s in scene.seats]
    rng = np.random.default_rng(scene.seed)
    noise_bank = [rng.normal(0, scene.noise, background.shape).astype(np.int16) for _ in range(8)] if scene.noise else []
    total = round(scene.seconds * scene.fps)
    for index in range(total):
        t = index / scene.fps
        canvas = background.copy()
        for item in placed:
            if item.seat.present(t, scene.seconds):
                sway = round(np.sin(t * 0.7 + item.x) * 1.0)  # people shift a little in their seats
                item.paste(canvas, sway)
        if noise_bank:
            canvas = np.clip(canvas.astype(np.int16) + noise_bank[index % len(noise_bank)], 0, 255).astype(np.uint8)
        yield canvas


def write_video(path: Path, scene: Scene, datasets: Path) -> Path:
    """Render the scene and encode it as H.264."""
    return encode_h264(path, frames(scene, datasets), scene.fps, scene.gop_seconds, scene.crf)


def encode_h264(path: Path, images: Iterable[np.ndarray], fps: int = FPS, gop_seconds: float = 2.0,
                crf: int = 23) -> Path:
    """BGR frames → H.264 (libx264 inside PyAV's wheel), yuv420p, a key frame every `gop_seconds`."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = None
        gop = max(1, round(gop_seconds * fps))
        for image in images:
            if stream is None:
                stream = container.add_stream("libx264", rate=fps)
                stream.height, stream.width = image.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast", "g": str(gop), "keyint_min": str(gop),
                                  "sc_threshold": "0"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    return path


# --- everything a test or the benchmark needs --------------------------------------------------


def students_records(names: Sequence[str]) -> list[dict]:
    """Student records (the students file's format) for enrolled people."""
    return [{"id": 100 + i, "name": n, "major": STUDENTS[n].record[0], "year": STUDENTS[n].record[1]}  # type: ignore[index]
            for i, n in enumerate(sorted(names))]


def expected_rows(video_name: str, truth: Truth, min_face_px: int = 40) -> list[dict[str, str]]:
    """The workload's expected rows (`video,name,major,year`) for the students that must be found."""
    rows = [{"video": video_name, "name": n, "major": STUDENTS[n].record[0], "year": STUDENTS[n].record[1]}  # type: ignore[index]
            for n in truth.required(min_face_px)]
    return rows or [{"video": video_name, "name": "", "major": "", "year": ""}]


def write_scene(folder: Path, name: str, scene: Scene, datasets: Path) -> tuple[Path, Truth]:
    """`<name>.mp4` and `<name>.truth.json` in `folder`; returns the video's path and its truth."""
    video = write_video(folder / f"{name}.mp4", scene, datasets)
    truth = truth_of(scene)
    (folder / f"{name}.truth.json").write_text(
        json.dumps({"scene": asdict(scene), "students": truth.students, "required": truth.required()}, indent=1)
    )
    return video, truth


ROSTER_FROM_ENROL = ("alex_lacamoire", "kit_harington", "rose_leslie")
"""faces/enroll/ people added to the classroom pickle (biden and obama are in it already, as
president_biden and president_obama: enrolling them twice under two names would make one
person two students)."""


def build_scene_roster(datasets: Path):  # -> handler.roster.Roster
    """The roster scenes are judged against: the original encoding.pickle (11 people), three
    `faces/enroll/` people from their enrolment photos, and the two demo portraits."""
    import cv2

    from classroom.demo_data import PEOPLE
    from handler.enrol import encode_photo, import_pickle
    from handler.roster import Roster

    base = import_pickle(datasets / "classroom" / "encoding.pickle")
    names, encodings = list(base.names), [base.encodings]
    for person in ROSTER_FROM_ENROL:
        for photo in sorted((datasets / "faces" / "enroll" / person).iterdir()):
            encodings.append(encode_photo(photo)[None, :])
            names.append(person)
    with tempfile.TemporaryDirectory() as folder:
        for person in PEOPLE:
            photo = Path(folder) / f"{person.name}.jpg"
            cv2.imwrite(str(photo), cv2.cvtColor(person.portrait_rgb(), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            encodings.append(encode_photo(photo)[None, :])
            names.append(person.name)
    return Roster(tuple(names), np.concatenate(encodings))


# --- the group photos as a wide shot: real small faces with their annotated boxes ------------------

GROUP_PHOTO_PLACES = {  # top-left corner of each photo in a 1920x1080 frame
    "2007_007763.jpg": (80, 120),
    "2008_002079.jpg": (80, 700),
    "2008_001009.jpg": (560, 400),
    "2008_001322.jpg": (560, 1000),
}


def group_photo_frame(datasets: Path, scale: float = 1.0) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The four real group photos pasted into a grey 1920x1080 frame (a wide classroom shot),
    scaled by `scale`, and every annotated face box of training.xml moved into the frame."""
    import cv2

    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    for file, (top, left) in GROUP_PHOTO_PLACES.items():
        photo = cv2.imread(str(datasets / "group-photos" / file))
        if scale != 1.0:
            photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame[top:top + photo.shape[0], left:left + photo.shape[1]] = photo
    truth = []
    for file, y, x, w, h in _group_boxes(datasets):  # (top, right, bottom, left) in the frame
        top, left = GROUP_PHOTO_PLACES[file]
        truth.append((round(top + y * scale), round(left + (x + w) * scale), round(top + (y + h) * scale),
                      round(left + x * scale)))
    return frame, truth


def group_photo_video(path: Path, datasets: Path, scale: float = 1.0, seconds: float = 5.0,
                      fps: int = 15, noise: float = 2.0) -> tuple[Path, list[tuple[int, int, int, int]]]:
    """The group-photo frame as an H.264 video: mild camera noise, the photos swaying by a pixel."""
    frame, truth = group_photo_frame(datasets, scale)
    rng = np.random.default_rng(1)

    def frames():
        for index in range(round(seconds * fps)):
            shifted = np.roll(frame, round(np.sin(index / fps * 2.0)), axis=1)
            yield np.clip(shifted.astype(np.int16) + rng.normal(0, noise, frame.shape).astype(np.int16), 0, 255).astype(np.uint8)

    return encode_h264(path, frames(), fps), truth


# --- the classrooms the tests, the benchmark and the demo use ----------------------------------

ROW_Y = (0.22, 0.36, 0.52, 0.68, 0.86)
ROW_FACE_PX = ((32, 34, 36, 38, 33, 35), (40, 42, 44, 41, 43, 40), (48, 52, 56, 50, 54, 49),
               (60, 64, 68, 72, 62, 66), (78, 82, 86, 90, 80, 88))
"""A wide shot: five rows of six seats, faces smaller towards the back (32-38 px in the last
row, 78-90 px in the first)."""


def lecture_hall(
    students: Sequence[str],
    strangers: Sequence[int],
    seconds: float = 60.0,
    late: Sequence[tuple[str, float]] = (),
    early: Sequence[tuple[str, float]] = (),
    back_row: Sequence[str] = (),
    seed: int = 0,
) -> Scene:
    """Seat the people in a 5×6 room: students in `back_row` (and strangers) fill the back row
    of 32-38 px faces first, then everyone else takes the next free seat from the back.
    `late` people arrive at the given second, `early` ones leave at it."""
    arrive, leave = dict(late), dict(early)
    order = [*back_row, *(f"stranger-{i}" for i in strangers)]
    order += [s for s in students if s not in back_row]
    if len(order) > 30:
        raise ValueError("a lecture hall has 30 seats")
    seats = []
    rng = np.random.default_rng(seed)
    cells = [(r, c) for r in range(5) for c in range(6)]
    back = [cell for cell in cells if cell[0] == 0]
    rest = [cell for cell in cells if cell[0] > 0]
    rng.shuffle(rest)
    for person, (row, column) in zip(order, back + rest):
        x = 0.09 + column * 0.164 + (0.03 if row % 2 else 0.0)
        seats.append(Seat(person, round(x, 3), ROW_Y[row], ROW_FACE_PX[row][column],
                          arrive=arrive.get(person, 0.0), leave=leave.get(person)))
    return Scene(tuple(seats), seconds=seconds, seed=seed)


def benchmark_classroom(seconds: float = 60.0) -> Scene:
    """The benchmark's class: 30 people, 11 students (one in the 32-38 px back row) and 19
    strangers at every size; two students arrive late and one leaves early."""
    students = list(STUDENTS)
    return lecture_hall(
        students, range(GROUP_PHOTO_FACES + 1), seconds,
        late=[("morgan_freeman", seconds * 0.25), ("rose_leslie", seconds * 0.5)],
        early=[("president_biden", seconds * 0.6)],
        back_row=["president_obama"],
    )


# --- scoring a result against the truth ----------------------------------------------------------

SIZE_BANDS = ((32, 40), (40, 50), (50, 70), (70, 91))


def score(truth: Truth, present: Sequence[Mapping[str, object]]) -> dict:
    """Recall by face-size band, wrong names and presence error of one result.

    `present` holds one mapping per reported student (`name`, `first_seen_seconds`,
    `last_seen_seconds`, as in the CSV). A wrong name is a reported name that is nobody on
    screen: a stranger taken for a student, or an absent student.
    """
    reported = {str(p["name"]): p for p in present}
    on_screen = set(truth.students)
    bands = {}
    for low, high in SIZE_BANDS:
        names = sorted({s.person for s in truth.scene.seats if s.person in STUDENTS and low <= s.face_px < high})
        found = [n for n in names if n in reported]
        bands[f"{low}-{high - 1}px"] = {"students": len(names), "found": len(found),
                                        "missed": sorted(set(names) - set(found))}
    errors = []
    for name, row in reported.items():
        if name in on_screen:
            first, last = truth.presence(name)
            errors.append(max(abs(float(row["first_seen_seconds"]) - first),  # type: ignore[arg-type]
                              abs(float(row["last_seen_seconds"]) - last)))  # type: ignore[arg-type]
    required = truth.required()
    return {
        "required": required,
        "found_required": [n for n in required if n in reported],
        "recall_required": (sum(n in reported for n in required) / len(required)) if required else 1.0,
        "wrong_names": sorted(set(reported) - on_screen),
        "bands": bands,
        "presence_error_max_seconds": round(max(errors), 2) if errors else 0.0,
    }
