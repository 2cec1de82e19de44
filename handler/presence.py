"""Named tracks → presence per student: first and last time seen, seconds present. Pure."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Presence:
    """One recognised student over the whole video."""

    name: str
    first_seen_seconds: float
    last_seen_seconds: float
    seconds_present: float
    distance: float  # the closest encoding distance that supported the name


@dataclass(frozen=True)
class NamedTrack:
    """What presence needs of a track: whose it is, when it was on screen, how close."""

    name: str
    seen_at: tuple[float, ...]
    distance: float


def presence(tracks: Iterable[NamedTrack], sample_period: float) -> list[Presence]:
    """One Presence per name, in order of first appearance.

    Seconds present count the distinct sampled instants at which any track of the student
    was on screen, each standing for one sampling period; a student seen in every sample of
    a 60 s video at 2 frames/s is present 60 s.
    """
    seen: dict[str, set[float]] = {}
    closest: dict[str, float] = {}
    for track in tracks:
        seen.setdefault(track.name, set()).update(track.seen_at)
        closest[track.name] = min(track.distance, closest.get(track.name, track.distance))
    found = [
        Presence(
            name,
            round(min(times), 3),
            round(max(times), 3),
            round(len(times) * sample_period, 3),
            round(closest[name], 4),
        )
        for name, times in seen.items()
        if times
    ]
    return sorted(found, key=lambda p: (p.first_seen_seconds, p.name))
