"""From the ``[media]`` settings to where files go: the folder and the size limit in force.

The settings table says what the operator wrote; this decides what it means for the store in
use: without a ``folder``, files go to ``media/`` beside a SQLite store's file. A Redis store
has no folder of its own (its processes may run on several machines), so there the folder
must be given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from botkit.errors import PermanentError

#: Meta's largest media file (documents): 100 MB.
DEFAULT_MAX_BYTES = 100 * 2**20


class MediaOptions(Protocol):
    """The ``[media]`` table as the settings hold it."""

    @property
    def keep(self) -> bool: ...

    @property
    def folder(self) -> Path | None: ...

    @property
    def max_bytes(self) -> int: ...


@dataclass(frozen=True, slots=True)
class KeepPlan:
    """Where kept files go and how large one may be."""

    folder: Path
    max_bytes: int = DEFAULT_MAX_BYTES


class MediaFolderMissing(PermanentError):
    """``[media] keep = true`` on a store that has no folder to keep files beside."""


def keep_plan(options: MediaOptions, store_url: str) -> KeepPlan:
    """The folder and size limit for ``options`` on the store at ``store_url``."""
    if options.folder is not None:
        return KeepPlan(Path(options.folder).resolve(), options.max_bytes)
    if not store_url.startswith("sqlite:"):
        raise MediaFolderMissing("[media] keep = true needs [media] folder with a store that "
                                 "is not SQLite: set folder to a path every botkit process "
                                 "can write")
    from botkit.store.sqlite import sqlite_path

    return KeepPlan(sqlite_path(store_url).resolve().parent / "media", options.max_bytes)
