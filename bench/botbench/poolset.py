"""Which request pools exist, how big they are by default, and how to build the ones a run needs.

Each pool draws its wamids from its own serial range, so no two pools share an event id.
Sizes are chosen so targets that dedupe (pywa, botkit) do not run out of distinct bodies at the
rates seen on a 2-core machine; a pool that wraps is reported in the results.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from botbench.payloads import big_text_batch_body, status_batch_body, text_bodies
from botbench.pools import RequestPool, with_duplicates, write_pool

BIG_BODY_BYTES = 3_000_000
DUPLICATES = "text-dup"

DEFAULT_SIZES = {
    "text": 60_000,
    "status-1": 60_000,
    "status-100": 4_000,
    "status-1000": 300,
    "big": 8,
}


def _statuses(first_serial: int, per_post: int) -> Callable[[int], Iterator[bytes]]:
    def bodies(count: int) -> Iterator[bytes]:
        for index in range(count):
            yield status_batch_body(first_serial + index * per_post, per_post)

    return bodies


def _big(count: int) -> Iterator[bytes]:
    for index in range(count):
        yield big_text_batch_body(50_000_000 + index * 1_000, BIG_BODY_BYTES)


BUILDERS: dict[str, Callable[[int], Iterable[bytes]]] = {
    "text": lambda count: text_bodies(0, count),
    "status-1": _statuses(10_000_000, 1),
    "status-100": _statuses(20_000_000, 100),
    "status-1000": _statuses(30_000_000, 1000),
    "big": _big,
}


def build_pools(
    names: Iterable[str], directory: Path, secret: str, scale: float = 1.0, minimum: int = 2
) -> dict[str, RequestPool]:
    """Write every named pool (``text-dup`` implies ``text``) into a fresh ``directory``."""
    wanted = set(names)
    if DUPLICATES in wanted:
        wanted.add("text")
    unknown = wanted - set(BUILDERS) - {DUPLICATES}
    if unknown:
        raise ValueError(f"unknown pools {sorted(unknown)}")
    if directory.exists():
        shutil.rmtree(directory)
    pools: dict[str, RequestPool] = {}
    for name in sorted(wanted - {DUPLICATES}):
        size = max(minimum, int(DEFAULT_SIZES[name] * scale))
        pools[name] = write_pool(directory, name, BUILDERS[name](size), secret)
    if DUPLICATES in wanted:
        pools[DUPLICATES] = with_duplicates(pools["text"], DUPLICATES)
    return pools
