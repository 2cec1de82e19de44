"""A generated classroom: an H.264 1080p video of seated people, and the truth it must give.

Used by the tests, the benchmark and the demo (people: classroom.people). Each seat holds one
person whose face box (dlib's HOG box, the measure the detector uses) has a chosen height in
pixels; people arrive and leave at chosen times; every frame gets mild camera noise and a
one-pixel sway. The truth (who sits where, from when to when, at what size) is written beside
the video as JSON (classroom.scene_truth). Rendering is deterministic (seeded).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from classroom.people import GROUP_PHOTO_FACES, STUDENTS, Person, Sprite, _group_boxes, load_sprite, stranger
from classroom.scene_truth import Truth, truth_of

WIDTH, HEIGHT, FPS = 1920, 1080, 30


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


def write_scene(folder: Path, name: str, scene: Scene, datasets: Path) -> tuple[Path, Truth]:
    """`<name>.mp4` and `<name>.truth.json` in `folder`; returns the video's path and its truth."""
    video = write_video(folder / f"{name}.mp4", scene, datasets)
    truth = truth_of(scene)
    (folder / f"{name}.truth.json").write_text(
        json.dumps({"scene": asdict(scene), "students": truth.students, "required": truth.required()}, indent=1)
    )
    return video, truth


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
