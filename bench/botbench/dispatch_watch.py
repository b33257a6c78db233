"""Read the no-op plugin's dispatch log: how many events were dispatched, and when.

The plugin appends ``<count> <first time> <last time>`` lines (see
``noop_plugin/botkit_bench_noop/dispatch_log.py``); a line without its newline is still being
written and is ignored.
"""

from __future__ import annotations

import time
from pathlib import Path


def read_runs(path: Path) -> list[tuple[int, float, float]]:
    """Every complete line as (count, first, last); empty if the file does not exist yet."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    runs = []
    for line in text.split("\n")[:-1]:
        count, first, last = line.split()
        runs.append((int(count), float(first), float(last)))
    return runs


def dispatched_total(path: Path) -> int:
    """Events dispatched so far."""
    return sum(count for count, _, _ in read_runs(path))


def time_reached(path: Path, total: int) -> float | None:
    """Wall-clock time at which the cumulative count first reached ``total``, if it has."""
    seen = 0
    for count, _, last in read_runs(path):
        seen += count
        if seen >= total:
            return last
    return None


def wait_until_dispatched(
    path: Path, total: int, timeout_s: float, poll_s: float = 0.005
) -> float | None:
    """Block until ``total`` events were dispatched; their completion time, or None on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        reached = time_reached(path, total)
        if reached is not None or time.monotonic() >= deadline:
            return reached
        time.sleep(poll_s)
