"""Drive a server with wrk (closed loop, saturating) through the pre-signed pool script."""

from __future__ import annotations

import subprocess

from botbench.loadresult import LoadResult
from botbench.paths import LUA_SCRIPT
from botbench.pools import WEBHOOK_PATH, RequestPool
from botbench.process import LOAD_CPU

SOCKET_ERROR_KEYS = ("connect", "read", "write", "timeout")


class WrkError(RuntimeError):
    """wrk failed or printed no figures."""


def wrk_argv(
    port: int,
    pool: RequestPool,
    first: int,
    duration_s: int,
    connections: int,
    threads: int = 1,
    timeout_s: int = 30,
) -> list[str]:
    """The command line, pinned to the load CPU; the Lua script gets the pool and offsets."""
    return [
        "taskset", "-c", str(LOAD_CPU),
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
        f"--timeout={timeout_s}s", "--latency", "-s", str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        "--", str(pool.blob), str(pool.index), str(first), str(threads),
    ]  # fmt: skip


def parse_bench_lines(output: str) -> dict[str, int | float]:
    """The ``BENCH key=value`` lines printed by the Lua ``done()``."""
    figures: dict[str, int | float] = {}
    for line in output.splitlines():
        if not line.startswith("BENCH "):
            continue
        key, _, value = line[len("BENCH ") :].partition("=")
        figures[key] = float(value) if "." in value else int(value)
    return figures


def to_result(figures: dict[str, int | float]) -> LoadResult:
    """Turn wrk's figures into a LoadResult; fail loudly if the script printed nothing."""
    required = ("requests", "duration_us", "non200", "p50_us", "p99_us", "p999_us")
    missing = [key for key in required if key not in figures]
    if missing:
        raise WrkError(f"wrk printed no {', '.join(missing)}; is the Lua script loaded?")
    socket_errors = {key: int(figures.get(f"errors_{key}", 0)) for key in SOCKET_ERROR_KEYS}
    pool_size = int(figures.get("pool_size", 0))
    return LoadResult(
        tool="wrk",
        requests=int(figures["requests"]),
        duration_s=figures["duration_us"] / 1e6,
        non200=max(int(figures["non200"]), int(figures.get("errors_status", 0))),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        p999_ms=figures["p999_us"] / 1000,
        mean_ms=float(figures.get("latency_mean_us", 0)) / 1000,
        max_ms=float(figures.get("latency_max_us", 0)) / 1000,
        socket_errors={key: value for key, value in socket_errors.items() if value},
        sent=int(figures.get("sent", 0)),
        wrapped=pool_size > 0 and int(figures.get("last_position", 0)) >= pool_size,
    )


def run_wrk(
    port: int,
    pool: RequestPool,
    first: int,
    duration_s: int,
    connections: int,
    timeout_s: int = 30,
) -> LoadResult:
    """One wrk run; raises WrkError with wrk's own message when it fails."""
    argv = wrk_argv(port, pool, first, duration_s, connections, timeout_s=timeout_s)
    completed = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration_s + timeout_s + 60, check=False
    )
    if completed.returncode != 0:
        raise WrkError(
            f"wrk exited with code {completed.returncode}: {completed.stderr.strip()[-2000:]}"
        )
    return to_result(parse_bench_lines(completed.stdout))
