"""The kept files on disk: private folders, names made from the digest, atomic placement.

A file's name is ``<sha256 hex><extension of its MIME type>``: nothing a customer wrote (a
document's file name, a caption, a number) ever reaches the file system, and the same file
sent twice is stored once. Downloads land in ``.partial/`` first (a private folder), and a
file is renamed into place only complete, checked, flushed and readable by its owner alone.
All of this blocks: callers run it in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path

from botkit.errors import BotkitError
from botkit.whatsapp.media import extension_for

#: Where downloads are written before they are checked and renamed into place.
PARTIAL = ".partial"
FILE_MODE = 0o600
FOLDER_MODE = 0o700
#: Leftovers in ``.partial/`` older than this come from a stopped process, not a download.
STALE_PARTIAL_SECONDS = 3600.0
_CHUNK = 1 << 20


class MediaFolderError(BotkitError):
    """The media folder cannot be created or written."""


class MediaDigestMismatch(BotkitError):
    """The downloaded file is not the one the webhook announced; it was not kept."""


def prepare_folder(folder: Path) -> Path:
    """Create ``folder`` (owner only, when botkit makes it) and its private ``.partial/``;
    returns the latter. An operator's existing folder keeps the mode they gave it."""
    partial = folder / PARTIAL
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        partial.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(partial, FOLDER_MODE)
    except OSError as exc:
        raise MediaFolderError(f"cannot create the media folder {folder}: {exc.strerror or exc}; "
                               "check [media] folder and its permissions") from None
    return partial


def sweep_partials(partial: Path, now: float | None = None) -> int:
    """Remove downloads a stopped process left in ``partial``; returns how many."""
    cutoff = (time.time() if now is None else now) - STALE_PARTIAL_SECONDS
    removed = 0
    for leftover in partial.iterdir():
        with contextlib.suppress(OSError):
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
    return removed


def file_name(digest: bytes, mime_type: str) -> str:
    """The kept file's name: its digest and an extension chosen from a fixed, safe set."""
    return f"{digest.hex()}{extension_for(mime_type)}"


def file_digest(path: Path) -> bytes | None:
    """The sha256 of the file at ``path``, or None when there is no such file."""
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as source:
            while chunk := source.read(_CHUNK):
                hasher.update(chunk)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return hasher.digest()


def place(downloaded: Path, folder: Path, mime_type: str, expected: bytes | None,
          media_id: str) -> tuple[Path, bytes, int]:
    """Check ``downloaded`` against ``expected`` (when known), make it private, flush it and
    rename it into ``folder`` under its digest's name; returns (path, digest, size). The
    rename replaces an older file of the same name, which can only be a damaged copy."""
    digest = file_digest(downloaded)
    if digest is None:
        raise MediaFolderError(f"the download of media {media_id} vanished from {downloaded}")
    if expected is not None and digest != expected:
        raise MediaDigestMismatch(
            f"media {media_id} failed its sha256 check (the webhook said {expected.hex()}, the "
            f"file has {digest.hex()}); not kept")
    target = folder / file_name(digest, mime_type)
    fd = os.open(downloaded, os.O_RDONLY)
    try:
        os.fchmod(fd, FILE_MODE)
        os.fsync(fd)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    os.replace(downloaded, target)
    _sync_folder(folder)
    return target, digest, size


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
