"""Group commit: one thread owns the SQLite connection and commits whatever is queued at once.

Each job is a function of the connection. The thread takes every job that is waiting, runs each
in its own savepoint inside one transaction, commits once (one fsync for the lot), then resolves
each job's future. There is no timed wait for bigger batches: batching comes from load alone.
A job submitted ``alone`` (a checkpoint, a vacuum: statements SQLite refuses inside a
transaction) runs by itself, between two commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

Job = Callable[[sqlite3.Connection], Any]
MAX_JOBS_PER_COMMIT = 2000
_Queued = tuple[Job, asyncio.Future, asyncio.AbstractEventLoop, bool]


class GroupCommitWriter:
    """Runs jobs on one connection in one thread; ``submit`` returns an awaitable result."""

    def __init__(self, connect: Callable[[], sqlite3.Connection],
                 before_commit: Job | None = None,
                 after_transaction: Callable[[bool], None] | None = None,
                 job_started: Callable[[], None] | None = None,
                 job_failed: Callable[[], None] | None = None) -> None:
        self._connect = connect
        #: Told when each job starts, and when one's savepoint was rolled back, so that what
        #: the job noted in memory can be undone with it.
        self._job_started = job_started
        self._job_failed = job_failed
        #: Run in each transaction after its jobs (what they leave to be written once).
        self._before_commit = before_commit
        #: Told, in this thread, whether each transaction committed (before results go out).
        self._after = after_transaction
        self._jobs: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="botkit-store-writer", daemon=True)
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    def submit(self, job: Job, *, alone: bool = False) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((job, future, loop, alone))
        return future

    def stop(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start()
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._jobs.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < MAX_JOBS_PER_COMMIT and not batch[-1][3]:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stop = True
                        break
                    batch.append(job)
                alone = batch.pop() if batch[-1][3] else None
                if batch:
                    self._commit(conn, batch)
                if alone is not None:
                    self._resolve([alone], [self._run_alone(conn, alone[0])])
                if stop:
                    return
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, _, _, _ in batch:
                outcomes.append(self._run_job(conn, job))
            if self._before_commit is not None:
                self._before_commit(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
            if self._after is not None:
                self._after(False)
        else:
            if self._after is not None:
                self._after(True)
        self._resolve(batch, outcomes)

    @staticmethod
    def _resolve(batch: list, outcomes: list[tuple[bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, future, loop, _), outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((future, outcome))
        for loop, results in by_loop.items():
            # A closed loop raises RuntimeError: nobody waits for these results any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve_all, results)

    @staticmethod
    def _run_alone(conn: sqlite3.Connection, job: Job) -> tuple[bool, Any]:
        try:
            return True, job(conn)
        except Exception as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            return False, exc

    def _run_job(self, conn: sqlite3.Connection, job: Job) -> tuple[bool, Any]:
        conn.execute("SAVEPOINT job")
        if self._job_started is not None:
            self._job_started()
        try:
            result = job(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            if self._job_failed is not None:
                self._job_failed()
            return False, exc
        conn.execute("RELEASE job")
        return True, result


def _resolve_all(results: list[tuple[asyncio.Future, tuple[bool, Any]]]) -> None:
    for future, (ok, value) in results:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
