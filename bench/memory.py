"""A process's peak memory, as the benchmark reports it for the bot and each sweeper."""

from __future__ import annotations

from pathlib import Path


def peak_memory(pid: int | str = "self") -> float:
    """The process's peak resident memory in MB (VmHWM). Not ru_maxrss: Linux carries a
    child's maxrss over from the parent it was forked from (the benchmark's own process, which
    generated the workload and ran the in-process catch-up), so a sweeper would report that."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
