"""Pixels → face boxes → 128-d encodings, with dlib's HOG detector and ResNet encoder.

The same models and maths as the face_recognition library's `face_locations` and
`face_encodings` (model="small"), so rosters stay valid, but it loads only the two model
files it uses (31 MB, not 130 MB), detects on grey images (30 % cheaper than RGB, same
recall) scaled so that the smallest face wanted fills the detector's window, in bands or
regions on every core, and encodes on a crop around each face.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np

SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
ENCODER_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
# Room around a face box, in box sizes, so that the aligned 150×150 chip lies inside the crop.
CROP_MARGIN = 0.6

T, R = TypeVar("T"), TypeVar("R")
Box = tuple[int, int, int, int]  # top, right, bottom, left in full-frame pixels (face_recognition's order)


def models_dir() -> Path:
    """Where face_recognition_models keeps its files, found without importing pkg_resources."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face_recognition_models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class FaceModels:
    """The three dlib models, loaded once per process."""

    detector: dlib.fhog_object_detector
    shape_predictor: dlib.shape_predictor
    encoder: dlib.face_recognition_model_v1


def detector_file() -> Path:
    """Where the HOG detector is kept in dlib's file format (named per dlib version)."""
    return models_dir() / f"hog_frontal_face_detector-{dlib.__version__}.svm"


def save_detector(path: Path | None = None) -> Path:
    """Write the detector to a file: loading it takes 3 ms, building it 0.5 s (the image does this)."""
    path = path or detector_file()
    dlib.get_frontal_face_detector().save(str(path))
    return path


def load_detector() -> dlib.fhog_object_detector:
    """The same detector as dlib.get_frontal_face_detector(), from its file when there is one."""
    path = detector_file()
    if path.is_file():
        return dlib.fhog_object_detector(str(path))
    try:
        save_detector(path)  # once per installation; read-only file systems just pay the 0.5 s
    except (OSError, RuntimeError):
        return dlib.get_frontal_face_detector()
    return dlib.fhog_object_detector(str(path))


@functools.cache
def load_models() -> FaceModels:
    folder = models_dir()
    return FaceModels(
        detector=load_detector(),
        shape_predictor=dlib.shape_predictor(str(folder / SHAPE_MODEL)),
        encoder=dlib.face_recognition_model_v1(str(folder / ENCODER_MODEL)),
    )


DETECTOR_WINDOW = 80
"""dlib's frontal HOG detector slides an 80×80 window: at scale 1 its smallest faces are about
this tall. Looking for faces of h pixels means detecting on the image scaled by 80 / h."""
MAX_SCALE = 3.0
"""Never enlarge more than this: below ~27 px a face carries too little for its encoding."""
BAND_OVERLAP = 0.2
"""Full scans split the frame into horizontal bands (one per thread) that overlap by this
share of the frame height; a face taller than the overlap is found by a coarse whole-frame pass."""


def detection_scale(min_face_px: float) -> float:
    """How much to scale an image so that faces `min_face_px` tall fill the detector's window."""
    return min(MAX_SCALE, DETECTOR_WINDOW / max(1.0, min_face_px))

REFIND_FACE_PX = 100
REFIND_MARGIN = 0.7
"""A face looked for again is searched in its box grown by this share on each side, scaled so
the face is REFIND_FACE_PX tall."""


class FaceFinder:
    """Finds faces on grey images at a chosen scale, using every core, and encodes them.

    dlib's HOG detector releases the GIL but is not thread-safe, so each thread of the pool
    gets its own detector (loading one from its file takes 3 ms). The encoder holds the GIL
    and runs in the calling thread.
    """

    def __init__(self, threads: int | None = None, models: FaceModels | None = None) -> None:
        self.models = models or load_models()
        self.threads = threads or available_cores()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="hog") if self.threads > 1 else None

    def _detector(self) -> dlib.fhog_object_detector:
        detector = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = load_detector()
        return detector

    def _detect(self, gray: np.ndarray, region: Box, scale: float) -> list[Box]:
        """Faces inside `region` (frame pixels) of the grey frame, found at `scale`."""
        top, right, bottom, left = region
        crop = gray[top:bottom, left:right]
        if crop.size == 0:
            return []
        if scale != 1.0:
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            if min(size) < DETECTOR_WINDOW:
                return []
            interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
            crop = cv2.resize(crop, size, interpolation=interpolation)
        elif min(crop.shape) < DETECTOR_WINDOW:
            return []
        boxes: list[Box] = []
        height, width = gray.shape[:2]
        for rect in self._detector()(np.ascontiguousarray(crop), 0):
            box = (
                max(0, top + round(rect.top() / scale)),
                min(width, left + round(rect.right() / scale)),
                min(height, top + round(rect.bottom() / scale)),
                max(0, left + round(rect.left() / scale)),
            )
            if box[2] > box[0] and box[1] > box[3]:
                boxes.append(box)
        return boxes

    def _map(self, work: Callable[[T], R], items: list[T]) -> list[R]:
        """`work` on every item, on the pool's threads when there is more than one item."""
        if self._pool is None or len(items) <= 1:
            return [work(item) for item in items]
        return list(self._pool.map(work, items))

    def _run(self, jobs: list[tuple[Box, float]], gray: np.ndarray) -> list[Box]:
        found = self._map(lambda job: self._detect(gray, *job), jobs)
        return merge_boxes([box for boxes in found for box in boxes])

    def scan(self, gray: np.ndarray, min_face_px: float) -> list[Box]:
        """Every face of at least `min_face_px` in the whole frame (the expensive pass)."""
        height, width = gray.shape[:2]
        scale = detection_scale(min_face_px)
        bands = self.threads if height * scale >= 4 * DETECTOR_WINDOW * self.threads else 1
        if bands == 1:
            return self._run([((0, width, height, 0), scale)], gray)
        overlap = round(height * BAND_OVERLAP)
        step = (height - overlap) / bands
        jobs = [((round(i * step), width, min(height, round(i * step + step + overlap)), 0), scale) for i in range(bands)]
        coarse = detection_scale(overlap)
        if coarse < scale:
            jobs.append(((0, width, height, 0), coarse))
        return self._run(jobs, gray)

    def scan_regions(self, gray: np.ndarray, regions: list[Box], min_face_px: float) -> list[Box]:
        """Faces of at least `min_face_px` inside the given regions only (the cheap pass)."""
        if not regions:
            return []
        scale = detection_scale(min_face_px)
        return self._run([(region, scale) for region in regions], gray)

    def refind(self, gray: np.ndarray, boxes: list[Box]) -> list[Box | None]:
        """Each face again, near where it was: a crop around its box, enlarged so that the
        face fills the detector window well (~2-3 ms a face), for tracks a region scan missed."""
        height, width = gray.shape[:2]

        def one(box: Box) -> Box | None:
            size = max(box[2] - box[0], box[1] - box[3])
            margin = round(size * REFIND_MARGIN)
            region = (max(0, box[0] - margin), min(width, box[1] + margin), min(height, box[2] + margin), max(0, box[3] - margin))
            found = self._detect(gray, region, min(MAX_SCALE, REFIND_FACE_PX / size))
            best = max(found, key=lambda b: overlap(b, box), default=None)
            return best if best is not None and overlap(best, box) > 0 else None

        return self._map(one, boxes)

    def locate(self, image_bgr: np.ndarray, upsample: int = 0) -> list[Box]:
        """Every face of a photo at full size, with dlib's own upsampling (enrolment; face_recognition's way)."""
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        boxes: list[Box] = []
        for rect in self._detector()(rgb, upsample):
            box = (max(0, rect.top()), min(width, rect.right()), min(height, rect.bottom()), max(0, rect.left()))
            if box[2] > box[0] and box[1] > box[3]:
                boxes.append(box)
        return boxes

    def encode(self, rgb: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """One 128-d encoding per box (k×128), computed on a crop around each face of an RGB image."""
        encodings = np.empty((len(boxes), 128), dtype=np.float64)
        height, width = rgb.shape[:2]
        for row, (top, right, bottom, left) in enumerate(boxes):
            margin = round(max(bottom - top, right - left) * CROP_MARGIN)
            y0, x0 = max(0, top - margin), max(0, left - margin)
            y1, x1 = min(height, bottom + margin), min(width, right + margin)
            crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            rect = dlib.rectangle(left - x0, top - y0, right - x0, bottom - y0)
            shape = self.models.shape_predictor(crop, rect)
            encodings[row] = np.asarray(self.models.encoder.compute_face_descriptor(crop, shape, 1))
        return encodings


def available_cores() -> int:
    """The CPUs this process may run on (Lambda: about 2 at 3008 MB, 6 at 10240 MB)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def box_area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[1] - box[3])


def merge_boxes(boxes: list[Box], threshold: float = 0.3) -> list[Box]:
    """One box per face when bands, regions or scales found it twice (the larger box is kept)."""
    kept: list[Box] = []
    for box in sorted(boxes, key=box_area, reverse=True):
        if all(overlap(box, other) < threshold for other in kept):
            kept.append(box)
    return sorted(kept)


@functools.cache
def face_finder() -> FaceFinder:
    """The FaceFinder shared by every invocation of a warm container."""
    return FaceFinder()
