"""Prints, as JSON, what the installed dlib answers on fixed inputs: run once per dlib build
(`PYTHONPATH=<dlib-bin folder> python -m tests.handler.dlib_answers DATASETS`) and compare."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import dlib

from classroom.scene import group_photo_frame
from handler.faces.detector import FaceFinder


def answers(datasets: Path) -> dict:
    finder = FaceFinder(threads=1)
    photo = cv2.imread(str(datasets / "faces" / "photos" / "obama_and_biden.jpg"))
    boxes = sorted(finder.locate(photo, upsample=1))
    rgb = cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)
    frame, _truth = group_photo_frame(datasets)
    scanned = sorted(finder.scan(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), 32))
    return {
        "dlib": dlib.__file__,
        "photo_boxes": boxes,
        "photo_encodings": finder.encode(rgb, boxes).tolist(),
        "scene_boxes": scanned,
        "scene_encodings": finder.encode(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), scanned).tolist(),
    }


if __name__ == "__main__":
    json.dump(answers(Path(sys.argv[1])), sys.stdout)
