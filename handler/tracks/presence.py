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
    intervals: tuple[tuple[float, float], ...] = ()  # when on screen: (from, to) seconds, in order
    crop: bytes | None = None  # the face of the closest match (JPEG), the evidence for the name


@dataclass(frozen=True)
class NamedTrack:
    """What presence needs of a track: whose it is, when it was on screen, how close, and the
    face (JPEG) of its closest encoding."""

    name: str
    seen_at: tuple[float, ...]
    distance: float
    crop: bytes | None = None


def intervals(times: set[float], sample_period: float) -> tuple[tuple[float, float], ...]:
    """Sampled instants → the stretches of time they cover: instants less than 1.5 periods
    apart join; each stretch ends one period after its last instant."""
    stretches: list[list[float]] = []
    for t in sorted(times):
        if stretches and t - stretches[-1][1] <= 1.5 * sample_period + 1e-6:
            stretches[-1][1] = t
        else:
            stretches.append([t, t])
    return tuple((round(a, 3), round(b + sample_period, 3)) for a, b in stretches)


def presence(tracks: Iterable[NamedTrack], sample_period: float) -> list[Presence]:
    """One Presence per name, in order of first appearance.

    Seconds present count the distinct sampled instants at which any track of the student
    was on screen, each standing for one sampling period; a student seen in every sample of
    a 60 s video at 2 frames/s is present 60 s.
    """
    seen: dict[str, set[float]] = {}
    closest: dict[str, NamedTrack] = {}
    for track in tracks:
        seen.setdefault(track.name, set()).update(track.seen_at)
        best = closest.get(track.name)
        if best is None or track.distance < best.distance or (best.crop is None and track.distance == best.distance):
            closest[track.name] = track
    found = [
        Presence(
            name,
            round(min(times), 3),
            round(max(times), 3),
            round(len(times) * sample_period, 3),
            round(closest[name].distance, 4),
            intervals(times, sample_period),
            closest[name].crop,
        )
        for name, times in seen.items()
        if times
    ]
    return sorted(found, key=lambda p: (p.first_seen_seconds, p.name))
