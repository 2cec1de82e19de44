"""A process's memory as Linux reports it in /proc/<pid>/status: what the local stack holds a
worker to (its resident memory, as Lambda holds a sandbox to memorySize) and what the benchmark
reports (its high-water mark, which starts afresh at exec, unlike getrusage's ru_maxrss)."""
from __future__ import annotations

RESIDENT, PEAK = "VmRSS", "VmHWM"


def memory_mb(field: str = RESIDENT, pid: int | str = "self") -> float | None:
    """The process's `field` (RESIDENT now, PEAK so far) in MB; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        return None
    return None
