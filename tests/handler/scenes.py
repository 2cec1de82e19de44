"""Frames and videos made in the tests from the shared data sets (nothing is committed)."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import cv2
import numpy as np

from handler.faces import Box

GROUP_PHOTO_PLACES = {  # top-left corner of each photo in a 1920x1080 frame
    "2007_007763.jpg": (80, 120),
    "2008_002079.jpg": (80, 700),
    "2008_001009.jpg": (560, 400),
    "2008_001322.jpg": (560, 1000),
}


def group_photo_frame(datasets: Path, scale: float = 1.0) -> tuple[np.ndarray, list[Box]]:
    """The four real group photos pasted into a grey 1920x1080 frame (a wide classroom shot),
    scaled by `scale`, and every annotated face box of training.xml moved into the frame."""
    folder = datasets / "group-photos"
    frame = np.full((1080, 1920, 3), 128, np.uint8)
    truth: list[Box] = []
    for image in ElementTree.parse(folder / "training.xml").getroot().iter("image"):
        photo = cv2.imread(str(folder / image.get("file")))
        if scale != 1.0:
            photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        top, left = GROUP_PHOTO_PLACES[image.get("file")]
        frame[top:top + photo.shape[0], left:left + photo.shape[1]] = photo
        for box in image.iter("box"):
            y, x = top + int(box.get("top")) * scale, left + int(box.get("left")) * scale
            w, h = int(box.get("width")) * scale, int(box.get("height")) * scale
            truth.append((round(y), round(x + w), round(y + h), round(x)))
    return frame, truth


def group_photo_video(path: Path, datasets: Path, scale: float = 1.0, seconds: float = 5.0,
                      fps: int = 15, noise: float = 2.0) -> tuple[Path, list[Box]]:
    """The group-photo frame as an H.264 video: mild camera noise, the photos swaying by a pixel."""
    from classroom.scene import encode_h264

    frame, truth = group_photo_frame(datasets, scale)
    rng = np.random.default_rng(1)

    def frames():
        for index in range(round(seconds * fps)):
            shifted = np.roll(frame, round(np.sin(index / fps * 2.0)), axis=1)
            yield np.clip(shifted.astype(np.int16) + rng.normal(0, noise, frame.shape).astype(np.int16), 0, 255).astype(np.uint8)

    return encode_h264(path, frames(), fps), truth
