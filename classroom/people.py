"""The people a generated classroom may seat, where their pixels come from, and the roster
they are judged against. Never their enrolment photos:

- students of the original sample play as a frame of their own classroom clip;
- `faces/` people come from test photos, not their `enroll/` photos;
- the demo portraits (Grace Hopper, Eileen Collins) ship inside matplotlib and scikit-image;
- strangers, never enrolled: the 18 real faces of `group-photos/` and Lin-Manuel Miranda.
"""
from __future__ import annotations

import functools
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


# --- the roster scenes are judged against ---------------------------------------------------------

ROSTER_FROM_ENROL = ("alex_lacamoire", "kit_harington", "rose_leslie")
"""faces/enroll/ people added to the classroom pickle (biden and obama are in it already, as
president_biden and president_obama: enrolling them twice under two names would make one
person two students)."""


def build_scene_roster(datasets: Path):  # -> handler.faces.roster.Roster
    """The roster scenes are judged against: the original encoding.pickle (11 people), three
    `faces/enroll/` people from their enrolment photos, and the two demo portraits."""
    import cv2

    from classroom.demo_data import PEOPLE
    from handler.faces.enrol import encode_photo, import_pickle
    from handler.faces.roster import Roster

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
