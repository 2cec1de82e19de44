"""Face crops like the handler keeps (~96 px JPEG), made from the shared data sets' real photos.

Each enrolment photo's face is found with dlib's HOG detector on a reduced grey copy, cut with
some margin (hair, chin) and scaled to 96 px high; variants (mirrored, tighter) make more
distinct crops than there are photos, so a class of 30 gets 30 different faces. Nothing is
written to the repository.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np

CROP_HEIGHT = 96
JPEG_QUALITY = 85
DETECT_WIDTH = 480


def enrolment_photos(datasets: Path) -> list[Path]:
    photos = sorted(p for p in (datasets / "faces" / "enroll").glob("*/*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not photos:
        raise FileNotFoundError(f"no photos under {datasets / 'faces' / 'enroll'}")
    return photos


def _face_box(bgr: np.ndarray, detector) -> tuple[int, int, int, int]:
    """(top, right, bottom, left) of the largest face, or a centred square when none is found."""
    height, width = bgr.shape[:2]
    scale = min(1.0, DETECT_WIDTH / width)
    small = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    rects = detector(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), 1)
    if not rects:
        side = min(height, width) // 2
        top, left = (height - side) // 2, (width - side) // 2
        return top, left + side, top + side, left
    rect = max(rects, key=lambda r: r.width() * r.height())
    return (round(rect.top() / scale), round(rect.right() / scale), round(rect.bottom() / scale),
            round(rect.left() / scale))


def _cut(bgr: np.ndarray, box: tuple[int, int, int, int], margin: float) -> np.ndarray:
    top, right, bottom, left = box
    pad_y, pad_x = round((bottom - top) * margin), round((right - left) * margin)
    y0, y1 = max(0, top - pad_y), min(bgr.shape[0], bottom + pad_y)
    x0, x1 = max(0, left - pad_x), min(bgr.shape[1], right + pad_x)
    crop = bgr[y0:y1, x0:x1]
    width = max(1, round(crop.shape[1] * CROP_HEIGHT / crop.shape[0]))
    return cv2.resize(crop, (width, CROP_HEIGHT), interpolation=cv2.INTER_AREA)


def jpeg(bgr: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return data.tobytes()


def face_crops(datasets: Path) -> list[bytes]:
    """Distinct JPEG face crops, 96 px high: four variants of each enrolment photo's face."""
    detector = dlib.get_frontal_face_detector()
    crops = []
    for path in enrolment_photos(datasets):
        bgr = cv2.imread(str(path))
        assert bgr is not None, path
        box = _face_box(bgr, detector)
        for margin in (0.35, 0.2):
            cut = _cut(bgr, box, margin)
            crops.append(jpeg(cut))
            crops.append(jpeg(cv2.flip(cut, 1)))
    return crops
