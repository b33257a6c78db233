"""Open-loop load at a fixed rate, for latency under a steady load (wrk2 is not packaged here).

Request ``i`` is due at ``start + i / rate`` whether or not earlier answers came back, and its
latency is measured from that due time to the last byte of the answer. A server that falls
behind therefore shows its queueing delay instead of hiding it (no coordinated omission).
Connections are keep-alive and opened on demand, up to a cap. Times come from
``time.perf_counter`` (uvloop's ``loop.time()`` only has millisecond resolution).

Run as ``python -m botbench.openloop`` (pinned to the load CPU by the harness); it prints one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from botbench.loadresult import LoadResult
from botbench.paths import BENCH_DIR
from botbench.pools import RequestPool, read_requests
from botbench.process import LOAD_CPU
from botbench.stats import percentile

MAX_CONNECTIONS = 256
REQUEST_TIMEOUT_S = 10.0


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends a raw request and reads the answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = True

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        """Send ``request``; return the status once the whole answer has been read."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if headers.get("transfer-encoding") == "chunked":
            await self._read_chunked()
        else:
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.reusable = False
        return status

    async def _read_chunked(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        self.writer.close()


async def run_open_loop(
    port: int, requests: list[bytes], rate: float, duration_s: float
) -> LoadResult:
    """Send ``rate * duration_s`` requests on schedule and time each against its due time."""
    if not requests:
        raise ValueError("the open-loop generator needs at least one request")
    loop = asyncio.get_running_loop()
    total = max(1, int(rate * duration_s))
    idle: list[_Connection] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    latencies: list[float] = []
    outcome: Counter[str] = Counter()
    pending: set[asyncio.Task[None]] = set()

    async def send(position: int, due: float) -> None:
        async with slots:
            connection = idle.pop() if idle else None
            try:
                if connection is None:
                    connection = await _Connection.open(port)
                status = await asyncio.wait_for(
                    connection.exchange(requests[position % len(requests)]), REQUEST_TIMEOUT_S
                )
            except TimeoutError:
                outcome["timeout"] += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                outcome["read"] += 1
            else:
                latencies.append(time.perf_counter() - due)
                outcome["ok" if status == 200 else "non200"] += 1
                if connection.reusable:
                    idle.append(connection)
                    return
            if connection is not None:
                connection.close()

    start = time.perf_counter() + 0.05
    for position in range(total):
        due = start + position / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif position % 16 == 0:
            await asyncio.sleep(0)
        task = loop.create_task(send(position, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    elapsed = time.perf_counter() - start
    for connection in idle:
        connection.close()
    latencies.sort()
    return LoadResult(
        tool="open-loop",
        requests=outcome["ok"] + outcome["non200"],
        duration_s=elapsed,
        non200=outcome["non200"],
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        p999_ms=percentile(latencies, 99.9) * 1000,
        mean_ms=(sum(latencies) / len(latencies) * 1000) if latencies else 0.0,
        max_ms=(latencies[-1] * 1000) if latencies else 0.0,
        socket_errors={key: outcome[key] for key in ("read", "timeout") if outcome[key]},
        sent=total,
        wrapped=total > len(requests),
    )


def run_pinned(
    port: int, pool: RequestPool, first: int, rate: float, duration_s: float
) -> LoadResult:
    """Run the generator as its own process on the load CPU and read its figures."""
    argv = [
        "taskset", "-c", str(LOAD_CPU), sys.executable, "-m", "botbench.openloop",
        "--port", str(port), "--blob", str(pool.blob), "--index", str(pool.index),
        "--first", str(first), "--rate", str(rate), "--duration", str(duration_s),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(BENCH_DIR)}
    completed = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=duration_s + 120, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"open-loop generator exited with code {completed.returncode}: "
            f"{completed.stderr.strip()[-2000:]}"
        )
    figures = json.loads(completed.stdout)
    figures.pop("requests_per_s", None)
    return LoadResult(**figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--blob", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--first", type=int, default=0, help="first pool position to send")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    args = parser.parse_args(argv)
    pool = RequestPool("open-loop", args.blob, args.index, 0, 0, 0.0, 0)
    needed = int(args.rate * args.duration) + 1
    requests = read_requests(pool, start=args.first, limit=needed)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(run_open_loop(args.port, requests, args.rate, args.duration))
    json.dump(result.as_dict(), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
