"""The face a name was given for, kept as a small JPEG: the evidence a teacher checks. Pure.

A track keeps, for each person its encodings pointed at, the crop of its closest encoding to
them (an array, cheap to hold); only the crop supporting the name it earns is ever encoded as
JPEG (~3 KB at 96 px).
"""
from __future__ import annotations

import cv2
import numpy as np

from handler.faces.detector import Box

CROP_HEIGHT = 96
CROP_MARGIN = 0.35
"""Share of the face size kept around the box: hair, ears and chin, so a person recognises it."""
JPEG_QUALITY = 85


def face_crop(rgb: np.ndarray, box: Box, height: int = CROP_HEIGHT) -> np.ndarray:
    """The face of `box` (top, right, bottom, left) with a margin, scaled to `height` rows (RGB)."""
    top, right, bottom, left = box
    margin = round(max(bottom - top, right - left) * CROP_MARGIN)
    frame_height, frame_width = rgb.shape[:2]
    y0, x0 = max(0, top - margin), max(0, left - margin)
    y1, x1 = min(frame_height, bottom + margin), min(frame_width, right + margin)
    crop = rgb[y0:y1, x0:x1]
    if crop.size == 0:
        return np.zeros((height, height, 3), np.uint8)
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    interpolation = cv2.INTER_AREA if crop.shape[0] > height else cv2.INTER_CUBIC
    return cv2.resize(crop, (width, height), interpolation=interpolation)


def jpeg(crop_rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """An RGB crop as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the crop could not be encoded as JPEG")
    return data.tobytes()
