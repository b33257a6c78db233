"""When events were dispatched, written cheaply enough not to disturb what is measured.

Each line covers a run of events: ``<count> <first time> <last time>`` (``time.time()``
seconds). Events are buffered and a line is appended when 500 are waiting or every 20 ms,
flushed to the OS but never fsynced, so recording costs about a microsecond per event.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from pathlib import Path

ENV_VAR = "BENCH_DISPATCH_LOG"


class DispatchLog:
    """Buffered, thread-safe appender of dispatch times."""

    def __init__(self, path: Path, flush_interval: float = 0.02, max_buffered: int = 500) -> None:
        self._file = path.open("a", encoding="ascii")
        self._lock = threading.Lock()
        self._max_buffered = max_buffered
        self._count = 0
        self._first = 0.0
        self._last = 0.0
        self._stopped = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_periodically, args=(flush_interval,), daemon=True
        )
        self._flusher.start()

    def record(self) -> None:
        """Note that one event was dispatched now."""
        now = time.time()
        with self._lock:
            if self._count == 0:
                self._first = now
            self._count += 1
            self._last = now
            if self._count >= self._max_buffered:
                self._write_locked()

    def close(self) -> None:
        """Write what is buffered and stop the flusher; safe to call twice."""
        self._stopped.set()
        with self._lock:
            if not self._file.closed:
                self._write_locked()
                self._file.close()

    def _flush_periodically(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            with self._lock:
                if not self._file.closed:
                    self._write_locked()

    def _write_locked(self) -> None:
        if self._count == 0:
            return
        self._file.write(f"{self._count} {self._first:.6f} {self._last:.6f}\n")
        self._file.flush()
        self._count = 0


_lock = threading.Lock()
_state: dict[str, DispatchLog | None] = {}


def active_log() -> DispatchLog | None:
    """The log named by ``BENCH_DISPATCH_LOG``, opened on first use; None when unset."""
    with _lock:
        if "log" not in _state:
            path = os.environ.get(ENV_VAR)
            log = DispatchLog(Path(path)) if path else None
            if log is not None:
                atexit.register(log.close)
            _state["log"] = log
        return _state["log"]


def record_dispatch() -> None:
    """Record one dispatched event if a dispatch log is configured."""
    log = active_log()
    if log is not None:
        log.record()
