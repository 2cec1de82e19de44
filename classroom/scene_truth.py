"""What a generated classroom must give, and how a result scores against it. Pure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from classroom.people import STUDENTS

if TYPE_CHECKING:
    from classroom.scene import Scene

@dataclass(frozen=True)
class Truth:
    """What a correct pipeline must and must not report for a scene."""

    scene: Scene
    seats: list[dict] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        """Enrolled people on screen at some point, in order of first arrival."""
        ordered = sorted((s for s in self.scene.seats if s.person in STUDENTS), key=lambda s: s.arrive)
        return list(dict.fromkeys(s.person for s in ordered))

    def required(self, min_face_px: int = 40) -> list[str]:
        """Students whose face is at least `min_face_px` tall: these must be found."""
        return [n for n in self.students if any(s.person == n and s.face_px >= min_face_px for s in self.scene.seats)]

    def presence(self, name: str) -> tuple[float, float]:
        """(first second on screen, last second on screen) of a person."""
        seats = [s for s in self.scene.seats if s.person == name]
        return min(s.arrive for s in seats), max(self.scene.seconds if s.leave is None else s.leave for s in seats)


def truth_of(scene: Scene) -> Truth:
    return Truth(scene, [asdict(seat) | {"enrolled": seat.person in STUDENTS} for seat in scene.seats])


def students_records(names: Sequence[str]) -> list[dict]:
    """Student records (the students file's format) for enrolled people."""
    return [{"id": 100 + i, "name": n, "major": STUDENTS[n].record[0], "year": STUDENTS[n].record[1]}  # type: ignore[index]
            for i, n in enumerate(sorted(names))]


# --- scoring a result against the truth ----------------------------------------------------------

SIZE_BANDS = ((32, 40), (40, 50), (50, 70), (70, 91))


def score(truth: Truth, present: Sequence[Mapping[str, object]]) -> dict:
    """Recall by face-size band, wrong names and presence error of one result.

    `present` holds one mapping per reported student (`name`, `first_seen_seconds`,
    `last_seen_seconds`, as in the CSV). A wrong name is a reported name that is nobody on
    screen: a stranger taken for a student, or an absent student.
    """
    reported = {str(p["name"]): p for p in present}
    on_screen = set(truth.students)
    bands = {}
    for low, high in SIZE_BANDS:
        names = sorted({s.person for s in truth.scene.seats if s.person in STUDENTS and low <= s.face_px < high})
        found = [n for n in names if n in reported]
        bands[f"{low}-{high - 1}px"] = {"students": len(names), "found": len(found),
                                        "missed": sorted(set(names) - set(found))}
    errors = []
    for name, row in reported.items():
        if name in on_screen:
            first, last = truth.presence(name)
            errors.append(max(abs(float(row["first_seen_seconds"]) - first),  # type: ignore[arg-type]
                              abs(float(row["last_seen_seconds"]) - last)))  # type: ignore[arg-type]
    required = truth.required()
    return {
        "required": required,
        "found_required": [n for n in required if n in reported],
        "recall_required": (sum(n in reported for n in required) / len(required)) if required else 1.0,
        "wrong_names": sorted(set(reported) - on_screen),
        "bands": bands,
        "presence_error_max_seconds": round(max(errors), 2) if errors else 0.0,
    }
