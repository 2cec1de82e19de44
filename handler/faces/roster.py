"""The known faces: a NumPy .npz of names and 128-d encodings, and closest-match lookup."""
from __future__ import annotations

import functools
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from botocore.exceptions import ClientError

ENCODING_SIZE = 128


class RosterError(ValueError):
    """The roster file is missing its arrays or they do not fit together."""


@dataclass(frozen=True)
class Match:
    """The closest enrolled person to a face, and how close (Euclidean distance)."""

    name: str
    distance: float


@dataclass(frozen=True)
class Nearest:
    """The closest enrolled person to one face and the runner-up (another person)."""

    name: str | None
    distance: float
    second_name: str | None
    second_distance: float

    @property
    def margin(self) -> float:
        return self.second_distance - self.distance


@dataclass(frozen=True, eq=False)
class Roster:
    """Names and encodings, row for row; a person may have several rows (several photos)."""

    names: tuple[str, ...]
    encodings: np.ndarray

    def __post_init__(self) -> None:
        encodings = np.asarray(self.encodings, dtype=np.float64)
        if encodings.ndim != 2 or encodings.shape[1] != ENCODING_SIZE:
            raise RosterError(f"encodings must be N×{ENCODING_SIZE}, got shape {encodings.shape}")
        if encodings.shape[0] != len(self.names):
            raise RosterError(f"{len(self.names)} names but {encodings.shape[0]} encodings")
        if not np.isfinite(encodings).all():
            raise RosterError("encodings contain NaN or infinite values")
        if any(not isinstance(name, str) or not name.strip() for name in self.names):
            raise RosterError("every name must be a non-empty string")
        object.__setattr__(self, "encodings", encodings)

    @property
    def people(self) -> list[str]:
        """Distinct names, in roster order."""
        return list(dict.fromkeys(self.names))

    @functools.cached_property
    def _person_of_row(self) -> np.ndarray:
        """For each row, the index of its person in `people` (worked out once per roster)."""
        index = {name: i for i, name in enumerate(self.people)}
        return np.array([index[name] for name in self.names], dtype=np.intp)

    def match(self, encodings: np.ndarray, tolerance: float) -> list[Match | None]:
        """For each face, the closest roster row if it is within `tolerance`, else None.

        Closest, not first: a face that lies within tolerance of two people belongs to the
        nearer one.
        """
        faces = np.asarray(encodings, dtype=np.float64).reshape(-1, ENCODING_SIZE)
        if len(self.names) == 0 or len(faces) == 0:
            return [None] * len(faces)
        distances = np.linalg.norm(faces[:, None, :] - self.encodings[None, :, :], axis=2)
        best = distances.argmin(axis=1)
        matches: list[Match | None] = []
        for face, row in enumerate(best):
            distance = float(distances[face, row])
            matches.append(Match(self.names[row], distance) if distance <= tolerance else None)
        return matches

    def nearest_two(self, encodings: np.ndarray) -> list[Nearest]:
        """For each face, the closest enrolled person and the closest other person, by distance.

        The second person is the margin a decision needs: a face almost as close to two
        people says little about either.
        """
        faces = np.asarray(encodings, dtype=np.float64).reshape(-1, ENCODING_SIZE)
        people = self.people
        if not people or len(faces) == 0:
            return [Nearest(None, math.inf, None, math.inf) for _ in range(len(faces))]
        distances = np.linalg.norm(faces[:, None, :] - self.encodings[None, :, :], axis=2)
        rows_of = self._person_of_row
        per_person = np.full((len(faces), len(people)), np.inf)
        for column in range(len(people)):
            per_person[:, column] = distances[:, rows_of == column].min(axis=1)
        order = np.argsort(per_person, axis=1)
        found: list[Nearest] = []
        for face in range(len(faces)):
            first = int(order[face, 0])
            second = int(order[face, 1]) if len(people) > 1 else None
            found.append(Nearest(
                people[first], float(per_person[face, first]),
                people[second] if second is not None else None,
                float(per_person[face, second]) if second is not None else math.inf,
            ))
        return found

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the .npz the handler reads (plain arrays: it loads with allow_pickle=False)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as file:
            np.savez(file, names=np.array(self.names, dtype=str), encodings=self.encodings)

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes | BinaryIO) -> Roster:
        """Read a roster .npz from a path, bytes or a file object, never unpickling anything."""
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        try:
            with np.load(source, allow_pickle=False) as data:
                if "names" not in data or "encodings" not in data:
                    raise RosterError("the .npz must hold two arrays, 'names' and 'encodings'")
                names = data["names"]
                encodings = data["encodings"]
        except (ValueError, OSError, EOFError) as error:
            if isinstance(error, RosterError):
                raise
            raise RosterError(f"not a roster .npz file ({error})") from None
        if names.ndim != 1 or names.dtype.kind != "U":
            raise RosterError("'names' must be a 1-D array of strings")
        return cls(tuple(str(name) for name in names), encodings)


class RosterCache:
    """The roster from S3, fetched once per container and again only when its ETag changes.

    A conditional GET (If-None-Match) costs one request and no body while the roster is
    unchanged, so a new roster takes effect on the next video without a new image.
    """

    def __init__(self) -> None:
        self._uri: str | None = None
        self._etag: str | None = None
        self._roster: Roster | None = None

    def get(self, s3: Any, bucket: str, key: str) -> Roster:
        uri = f"s3://{bucket}/{key}"
        conditional = {"IfNoneMatch": self._etag} if self._uri == uri and self._etag else {}
        try:
            response = s3.get_object(Bucket=bucket, Key=key, **conditional)
        except ClientError as error:
            if conditional and error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 304:
                assert self._roster is not None
                return self._roster
            raise
        roster = Roster.load(response["Body"].read())
        self._uri, self._etag, self._roster = uri, response.get("ETag"), roster
        return roster
