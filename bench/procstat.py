"""CPU time of processes from /proc, shared by the benches."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants that are still running."""
    return proc_cpu(pid) + sum(tree_cpu(child) for child in children(pid))


def stack_cpu(home: Path) -> dict[str, float]:
    """CPU seconds of every process of the stack (run/<name>.pid) with its children."""
    out = {}
    for pidfile in sorted((home / "run").glob("*.pid")):
        try:
            out[pidfile.stem] = tree_cpu(int(pidfile.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    return out
