"""Evidence about one tracked face → a name, or nobody. Pure: no pixels, no AWS.

A name is given only on evidence that holds: small faces give noisy encodings, and with a
tolerance of 0.6 a stranger's small face lands within it of somebody now and then. Measured
on generated classrooms (faces 28-104 px, 16 people enrolled): enrolled faces lie 0.18-0.58
from their own encodings with a margin of 0.15-0.52 to the next person; strangers lie 0.61-0.85
from the nearest student with a margin under 0.09. A stricter distance for small faces cost
recall (students of 35-42 px lie at 0.53-0.58) where the margin separated the two groups
cleanly. So an encoding counts as a vote only when it is within the tolerance *and* clearly
nearer to that person than to anyone else; a track is named after two agreeing votes that are
most of its encodings, or at once by one very close match.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from handler.faces.roster import Nearest

MIN_MARGIN = 0.1
"""An encoding must be this much nearer to its person than to the next one to count."""
CLOSE_MATCH_BELOW_TOLERANCE = 0.2
CLOSE_MATCH_MARGIN = 0.2
"""One encoding decides alone when it is this much inside the tolerance with this margin."""
VOTES_NEEDED = 2
ENCODE_AFTER_SECONDS = (0.0, 0.5, 5.0, 15.0)
"""When a track's next encoding is due, counted from its previous one (by how many it has):
two quickly, so a student is named within a second, then rarely, so that a stranger (who
never earns a name) costs a few encodings per minute, not one per sampled frame."""
MAX_ENCODINGS = len(ENCODE_AFTER_SECONDS)
"""A face that has not earned a name after this many encodings is nobody we know."""


@dataclass(frozen=True)
class Vote:
    """One encoding of a track, read against the roster."""

    nearest: Nearest
    seconds: float


@dataclass
class Identity:
    """What is known of one track: the encodings read so far and the decision, if any."""

    votes: list[Vote] = field(default_factory=list)
    name: str | None = None
    distance: float = float("inf")  # closest distance to `name` among its votes

    @property
    def fresh(self) -> bool:
        """Still in its first, quick encodings: neither named nor encoded twice."""
        return self.name is None and len(self.votes) < 2

    @property
    def settled(self) -> bool:
        """Nothing more to learn: named, or given up on."""
        return self.name is not None or len(self.votes) >= MAX_ENCODINGS

    def due(self, seconds: float, pace: float = 1.0) -> bool:
        """Whether this track should be encoded again at `seconds`; `pace` < 1 runs the schedule
        faster, for a video too short for it (a 0.1 s clip still gets its two encodings)."""
        if self.settled:
            return False
        if not self.votes:
            return True
        return seconds - self.votes[-1].seconds >= ENCODE_AFTER_SECONDS[len(self.votes)] * pace - 1e-6

    def add(self, vote: Vote, tolerance: float) -> str | None:
        """Record an encoding; returns the name when this one decides it."""
        self.votes.append(vote)
        if self.name is None:
            self.name = decide(self.votes, tolerance)
            if self.name is not None:
                self.distance = min(v.nearest.distance for v in self.votes if v.nearest.name == self.name)
                return self.name
        elif vote.nearest.name == self.name:
            self.distance = min(self.distance, vote.nearest.distance)
        return None


def counts(vote: Vote, tolerance: float) -> bool:
    """Whether one encoding is evidence for its nearest person."""
    nearest = vote.nearest
    return (
        nearest.name is not None
        and nearest.distance <= tolerance
        and nearest.margin >= MIN_MARGIN
    )


def is_close_match(vote: Vote, tolerance: float) -> bool:
    """One encoding so close, and so clearly one person's, that it decides alone."""
    nearest = vote.nearest
    return (
        counts(vote, tolerance)
        and nearest.distance <= tolerance - CLOSE_MATCH_BELOW_TOLERANCE
        and nearest.margin >= CLOSE_MATCH_MARGIN
    )


def decide(votes: list[Vote], tolerance: float) -> str | None:
    """The name the evidence supports, or None.

    A name needs VOTES_NEEDED agreeing votes and more than half of all encodings of the track
    (a face that is somebody only now and then is not that person), or one very close match
    with no vote against it.
    """
    valid = [v.nearest.name for v in votes if counts(v, tolerance)]
    if not valid:
        return None
    tally = Counter(valid)
    name, agreeing = tally.most_common(1)[0]
    if len(tally) > 1:
        return None if agreeing <= sum(tally.values()) - agreeing else _majority(name, agreeing, votes)
    if any(is_close_match(v, tolerance) for v in votes if v.nearest.name == name):
        return name
    return _majority(name, agreeing, votes)


def _majority(name: str, agreeing: int, votes: list[Vote]) -> str | None:
    return name if agreeing >= VOTES_NEEDED and agreeing * 2 > len(votes) else None
