"""A full disk under a SQLite store: the webhook answers 503 with Retry-After and one clear log
line, never 200; once space is freed, Meta's retry is accepted and dispatched once. The store
lives on a tiny tmpfs mounted for the test (mounting needs root; without it the test cannot
run and says why)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from botkit.testing.payloads import text_message

SIZE = "4m"


@contextlib.contextmanager
def tiny_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a {SIZE} tmpfs here (needs root and CAP_SYS_ADMIN): "
                    f"{mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; returns the file to delete to give them back."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (65536, 1):  # big writes first, then the last bytes one at a time
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


async def test_a_full_disk_is_503_and_the_retry_after_freeing_is_dispatched_once(
        botkit_runner_factory, recorder, tmp_path, caplog):
    with tiny_disk(tmp_path / "disk") as disk:
        bot = await botkit_runner_factory(
            enabled_plugins=["rec"], extra_plugins={"rec": recorder},
            store={"url": f"sqlite:///{disk / 'botkit.db'}", "min_free_mb": 0})
        assert (await bot.post(text_message("before"))).status_code == 200
        await bot.settle()
        filler = fill(disk)
        late = text_message("y" * 60_000)  # more than the write-ahead log has room for
        with caplog.at_level(logging.ERROR, logger="botkit.webhook"):
            refused = await bot.post(late)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        [line] = [r.getMessage() for r in caplog.records if r.name == "botkit.webhook"]
        assert line.startswith("webhook POST 503: store cannot commit: the disk of the store")
        assert "is full" in line
        filler.unlink()
        accepted = await bot.post(late)  # Meta delivers again later
        assert accepted.status_code == 200
        await bot.settle()
        texts = [event.text for event in recorder.events if event.kind == "message"]
        assert texts == ["before", "y" * 60_000]  # the retried one, once
        await bot.__aexit__(None, None, None)
