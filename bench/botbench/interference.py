"""How much CPU other processes took while a measurement ran.

The figures assume the server has CPU 0 and the load generator CPU 1 to themselves. On a shared
machine that is not guaranteed, so each measured window records the CPU time the whole machine
spent minus what the server and the harness's own children (the load generator) spent.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from botbench.process import ServerProcess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal
NOISY_SHARE = 0.05


@dataclass(frozen=True)
class Snapshot:
    at: float
    machine_busy_s: float
    server_cpu_s: float
    harness_cpu_s: float


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (from the first line of /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(fields[index]) for index in BUSY_FIELDS) / CLOCK_TICKS


def _harness_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def snapshot(server: ServerProcess) -> Snapshot:
    return Snapshot(
        at=time.monotonic(),
        machine_busy_s=machine_busy_seconds(),
        server_cpu_s=server.usage().cpu_seconds,
        harness_cpu_s=_harness_cpu_seconds(),
    )


def other_share(before: Snapshot, after: Snapshot) -> float:
    """CPU used by everything else, as a fraction of one CPU over the window (0 when quiet)."""
    window = after.at - before.at
    if window <= 0:
        return 0.0
    other = (
        (after.machine_busy_s - before.machine_busy_s)
        - (after.server_cpu_s - before.server_cpu_s)
        - (after.harness_cpu_s - before.harness_cpu_s)
    )
    return max(0.0, other / window)


def background_share(sample_s: float = 1.0) -> float:
    """CPU other processes use right now, as a fraction of one CPU (the harness is idle)."""
    busy_before, harness_before = machine_busy_seconds(), _harness_cpu_seconds()
    started = time.monotonic()
    time.sleep(sample_s)
    window = time.monotonic() - started
    busy = machine_busy_seconds() - busy_before - (_harness_cpu_seconds() - harness_before)
    return max(0.0, busy / window)


def wait_for_quiet(limit_s: float, threshold: float = NOISY_SHARE) -> float:
    """Sample until the machine is quiet or ``limit_s`` passed; returns the last share seen."""
    deadline = time.monotonic() + limit_s
    share = background_share()
    while share > threshold and time.monotonic() < deadline:
        share = background_share()
    return share
