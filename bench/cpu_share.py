"""How much CPU other processes took while a timed run went on (Linux /proc).

The load average cannot tell the benchmark's own threads from someone else's test suite; the
machine's busy CPU time minus this process tree's can. A run during which others took a
noticeable share of the cores is disturbed, and the report says so.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every core has spent not idle since boot (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def tree_seconds(root: int | None = None) -> float:
    """CPU seconds of a process and every live descendant, plus the children it has reaped."""
    root = os.getpid() if root is None else root
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        times[pid] = (utime + stime + cutime + cstime) / _TICK
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0.0)
        stack += [child for child, parent in parents.items() if parent == pid]
    return total


@dataclass
class CpuShare:
    """A snapshot at the start of a run; `since()` gives the CPU seconds taken meanwhile."""

    busy: float
    ours: float
    wall: float

    @classmethod
    def now(cls) -> "CpuShare":
        return cls(machine_busy_seconds(), tree_seconds(), time.monotonic())

    def since(self) -> dict:
        """Ours, others' and the cores' capacity over the interval, in CPU seconds."""
        wall = time.monotonic() - self.wall
        ours = tree_seconds() - self.ours
        others = max(0.0, machine_busy_seconds() - self.busy - ours)
        capacity = wall * (os.cpu_count() or 1)  # /proc/stat counts every CPU
        return {"ours_cpu_seconds": round(ours, 1), "others_cpu_seconds": round(others, 1),
                "capacity_cpu_seconds": round(capacity, 1), "others_share": round(others / capacity, 3) if capacity else 0.0}


def wait_until_quiet(share: float, patience_s: float, log: Callable[[str], None] = print) -> bool:
    """Wait (up to `patience_s`) for a 5-second window in which other processes take at most
    `share` of the cores; False when the machine never quietened."""
    end = time.monotonic() + patience_s
    while True:
        start = CpuShare.now()
        time.sleep(5.0)
        taken = start.since()["others_share"]
        if taken <= share:
            return True
        if time.monotonic() >= end:
            log(f"other processes still take {taken:.0%} of the CPUs; going on (the figures will show it)")
            return False
        log(f"other processes take {taken:.0%} of the CPUs: waiting for a quieter moment")
        time.sleep(25.0)
