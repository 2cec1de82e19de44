"""Build a roster: from a folder of photos, or from the original project's encoding.pickle."""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import cv2
import numpy as np

from handler.faces.detector import FaceFinder, face_finder
from handler.faces.roster import ENCODING_SIZE, Roster, RosterError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
# Photos are enrolled once, offline: detect at full size with one upsampling, so small faces count.
ENROL_UPSAMPLE = 1


class EnrolmentError(ValueError):
    """A photo or folder that cannot be enrolled (the message names it)."""


def _photos(person_dir: Path) -> list[Path]:
    return sorted(p for p in person_dir.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def encode_photo(photo: Path, finder: FaceFinder | None = None) -> np.ndarray:
    """The one face in a photo; a photo with none or several is refused, naming the photo."""
    finder = finder or face_finder()
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    if image is None:
        raise EnrolmentError(f"{photo}: not an image that can be read")
    boxes = finder.locate(image, upsample=ENROL_UPSAMPLE)
    if len(boxes) != 1:
        found = "no face" if not boxes else f"{len(boxes)} faces"
        raise EnrolmentError(f"{photo}: {found} found; each enrolment photo must show exactly one face")
    return finder.encode(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), boxes)[0]


def build_roster(folder: str | os.PathLike[str]) -> Roster:
    """Enrol `folder/<person>/*.jpg`: one roster row per photo, named after its folder."""
    root = Path(folder)
    if not root.is_dir():
        raise EnrolmentError(f"{root}: not a folder (expected {root}/<person>/<photo>.jpg)")
    names: list[str] = []
    encodings: list[np.ndarray] = []
    for person_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = _photos(person_dir)
        if not photos:
            raise EnrolmentError(f"{person_dir}: no photos ({', '.join(PHOTO_SUFFIXES)})")
        for photo in photos:
            encodings.append(encode_photo(photo))
            names.append(person_dir.name)
    if not names:
        raise EnrolmentError(f"{root}: no person folders (expected {root}/<person>/<photo>.jpg)")
    return Roster(tuple(names), np.stack(encodings))


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and plain containers; refuses every other class (no code runs)."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only numpy arrays and plain containers are allowed")
        return super().find_class(module, name)


def import_pickle(path: str | os.PathLike[str]) -> Roster:
    """Read the original project's `{"name": [...], "encoding": [...]}` pickle, safely."""
    source = Path(path)
    try:
        data = _ArraysOnlyUnpickler(io.BytesIO(source.read_bytes())).load()
    except FileNotFoundError:
        raise EnrolmentError(f"{source}: no such file") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise EnrolmentError(f"{source}: not a roster pickle we can read safely ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), list) or not isinstance(data.get("encoding"), list):
        raise EnrolmentError(f"{source}: expected a dict with lists 'name' and 'encoding'")
    try:
        encodings = np.array([np.asarray(e, dtype=np.float64).reshape(ENCODING_SIZE) for e in data["encoding"]])
        return Roster(tuple(data["name"]), encodings.reshape(-1, ENCODING_SIZE))
    except (ValueError, TypeError, RosterError) as error:
        raise EnrolmentError(f"{source}: {error}") from None
