"""Faces and rosters on the real photos: same encodings as face_recognition, safe imports."""
from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import face_recognition
import numpy as np
import pytest

from handler.faces.detector import FaceFinder
from handler.faces.enrol import EnrolmentError, build_roster, import_pickle


def test_encodings_equal_the_face_recognition_librarys(datasets: Path) -> None:
    photo = datasets / "faces" / "photos" / "obama_and_biden.jpg"
    image_bgr = cv2.imread(str(photo))
    finder = FaceFinder()
    boxes = finder.locate(image_bgr, upsample=1)
    rgb = face_recognition.load_image_file(str(photo))
    assert sorted(boxes) == sorted(face_recognition.face_locations(rgb, 1))
    ours = finder.encode(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), boxes)
    theirs = np.array(face_recognition.face_encodings(rgb, boxes, model="small"))
    assert ours.shape == (3, 128)
    assert np.abs(ours - theirs).max() < 1e-3


def test_build_roster_from_folders(datasets: Path) -> None:
    roster = build_roster(datasets / "faces" / "enroll")
    assert roster.people == ["alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie"]
    assert len(roster.names) == 9  # one row per photo
    # every photo's nearest other photo shows the same person (for people with two photos)
    for row, name in enumerate(roster.names):
        if roster.names.count(name) < 2:
            continue
        distances = np.linalg.norm(roster.encodings - roster.encodings[row], axis=1)
        distances[row] = np.inf
        assert roster.names[int(distances.argmin())] == name


def test_photo_with_two_faces_is_named(datasets: Path, tmp_path: Path) -> None:
    (tmp_path / "pair").mkdir()
    (tmp_path / "pair" / "both.jpg").write_bytes((datasets / "faces" / "photos" / "two_people.jpg").read_bytes())
    with pytest.raises(EnrolmentError, match=r"pair/both\.jpg: 2 faces found; each enrolment photo must show exactly one face"):
        build_roster(tmp_path)


def test_photo_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "a.jpg").write_text("not a jpeg")
    with pytest.raises(EnrolmentError, match=r"ann/a\.jpg: not an image"):
        build_roster(tmp_path)


def test_original_pickle_imports(datasets: Path) -> None:
    roster = import_pickle(datasets / "classroom" / "encoding.pickle")
    assert len(roster.people) == 11
    assert {"president_obama", "mr_bean", "floki"} <= set(roster.people)
    assert roster.encodings.shape == (11, 128)


class Exploit:
    def __reduce__(self):
        return (print, ("owned",))


def test_pickle_with_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"name": ["x"], "encoding": [Exploit()]}))
    with pytest.raises(EnrolmentError, match="refused to load builtins.print"):
        import_pickle(path)
    assert "owned" not in capsys.readouterr().out
