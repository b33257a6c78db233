"""The scenarios: what load each one applies and how its figures are taken."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from botbench import dispatch_watch, interference
from botbench.launch import Running, running
from botbench.loadresult import LoadResult
from botbench.measurement import Measurement
from botbench.openloop import run_pinned
from botbench.pools import RequestPool, read_requests
from botbench.process import ServerProcess
from botbench.procstat import Usage
from botbench.stats import median
from botbench.targets import Secrets
from botbench.wrk import run_wrk

SATURATE = "saturate"
FIXED_RATE = "fixed-rate"
SINGLE = "single"
END_TO_END = "end-to-end"
DEDUPING_TARGETS = ("pywa", "botkit")


@dataclass(frozen=True)
class Scenario:
    """One row group of the report: a pool, a load shape and (for wrk) a connection count."""

    name: str
    description: str
    kind: str
    pool: str
    connections: int = 32
    only: tuple[str, ...] = ()

    def applies_to(self, target: str) -> bool:
        return not self.only or target in self.only


SCENARIOS = (
    Scenario("text", "1 text message per POST, wrk saturating", SATURATE, "text", 32),
    Scenario("status-1", "1 status per POST, wrk saturating", SATURATE, "status-1", 32),
    Scenario("status-100", "100 statuses per POST, wrk saturating", SATURATE, "status-100", 16),
    Scenario("status-1000", "1000 statuses per POST, wrk saturating", SATURATE, "status-1000", 4),
    Scenario(
        "duplicates", "text, 1 POST in 5 repeats an earlier one, wrk", SATURATE, "text-dup", 32
    ),
    Scenario("fixed-rate", "text at a fixed rate, open loop", FIXED_RATE, "text"),
    Scenario("batch-1000", "one 1000-status POST at a time", SINGLE, "status-1000"),
    Scenario("body-3mb", "one ~3 MB POST (text messages) at a time", SINGLE, "big"),
    Scenario(
        "end-to-end",
        "inbound text to auto-reply at a fake Graph API",
        END_TO_END,
        "text",
        only=("botkit",),
    ),
)


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every scenario of one run."""

    server: str
    secrets: Secrets
    pools: dict[str, RequestPool]
    logs_dir: Path
    warmup_s: int = 2
    duration_s: int = 5
    rate: float = 1000.0
    singles: int = 10


def scenario_named(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise ValueError(f"unknown scenario {name!r}; choose from {[s.name for s in SCENARIOS]}")


def settle(server: ServerProcess, quiet_s: float = 0.3, limit_s: float = 30.0) -> Usage:
    """Wait until the server stops burning CPU (deferred work such as dispatch is done)."""
    last = server.usage()
    quiet_since = time.monotonic()
    deadline = quiet_since + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = server.usage()
        if current.cpu_seconds - last.cpu_seconds > 0.011:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return current
        last = current
    return last


def measure_load(
    settings: Settings,
    scenario: Scenario,
    target: str,
    load: Callable[[int, RequestPool, int, int], LoadResult],
) -> Measurement:
    """Warm up, then measure one load run; CPU is read before it and after the server settles."""
    pool = settings.pools[scenario.pool]
    log_path = settings.logs_dir / f"{scenario.name}-{target}.log"
    with running(target, settings.server, settings.secrets, log_path) as live:
        port = live.server.port
        warm = load(port, pool, 0, settings.warmup_s)
        before = settle(live.server, limit_s=10.0)
        window_start = interference.snapshot(live.server)
        result = load(port, pool, warm.sent, settings.duration_s)
        window_end = interference.snapshot(live.server)
        load_end = time.time()
        after = settle(live.server)
        measurement = _from_load(scenario, target, pool, result, before, after)
        measurement.extra["warmup"] = warm.as_dict()
        _add_interference(measurement, interference.other_share(window_start, window_end))
        if live.dispatch_log is not None:
            _add_dispatch_lag(measurement, live, load_end, settings.duration_s)
    return measurement


def saturating_load(connections: int) -> Callable[[int, RequestPool, int, int], LoadResult]:
    def load(port: int, pool: RequestPool, first: int, duration_s: int) -> LoadResult:
        return run_wrk(port, pool, first, duration_s, connections)

    return load


def fixed_rate_load(rate: float) -> Callable[[int, RequestPool, int, int], LoadResult]:
    def load(port: int, pool: RequestPool, first: int, duration_s: int) -> LoadResult:
        return run_pinned(port, pool, first, rate, duration_s)

    return load


def measure_singles(settings: Settings, scenario: Scenario, target: str) -> Measurement:
    """One request at a time: time to 200 and, for botkit, time until every event dispatched."""
    pool = settings.pools[scenario.pool]
    requests = read_requests(pool, 0, settings.singles + 1)
    events = round(pool.events_per_request)
    log_path = settings.logs_dir / f"{scenario.name}-{target}.log"
    measurement = Measurement(
        target=target,
        scenario=scenario.name,
        events_per_request=pool.events_per_request,
        body_bytes=pool.mean_body_bytes,
    )
    with running(target, settings.server, settings.secrets, log_path) as live:
        port = live.server.port
        _, _, warm_dispatch = _single(live, port, requests[0], events, 1)
        watch = live.dispatch_log is not None and warm_dispatch is not None
        if live.dispatch_log is not None and not watch:
            measurement.note = "the warm-up batch was not seen dispatched within 30 s"
        before = settle(live.server, limit_s=10.0)
        window_start = interference.snapshot(live.server)
        for position, request in enumerate(requests[1:], start=2):
            status, to_200, dispatched = _single(live, port, request, events * watch, position)
            measurement.requests += 1
            measurement.non200 += status != 200
            measurement.time_to_200_ms.append(round(to_200 * 1000, 3))
            if dispatched is not None:
                measurement.dispatched_ms.append(round(dispatched * 1000, 3))
        window_end = interference.snapshot(live.server)
        after = settle(live.server)
        _add_interference(measurement, interference.other_share(window_start, window_end))
    measurement.p50_ms = median(measurement.time_to_200_ms)
    measurement.cpu_us_per_request = _cpu_per_request(before, after, measurement.requests)
    measurement.peak_rss_mb = after.peak_rss_bytes / 2**20
    if watch and len(measurement.dispatched_ms) < measurement.requests:
        measurement.note = "not every batch was seen dispatched within 30 s"
    return measurement


def post_once(port: int, request: bytes, timeout_s: float = 60.0) -> tuple[int, float]:
    """Send one pre-built request on a new connection; (status, seconds to the full answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        started = time.perf_counter()
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status, time.perf_counter() - started


def _single(
    live: Running, port: int, request: bytes, events: int, batches_so_far: int
) -> tuple[int, float, float | None]:
    """POST once; with a dispatch log and ``events`` > 0, also wait for the batch's dispatch."""
    sent_at = time.time()
    status, elapsed = post_once(port, request)
    dispatched = None
    if live.dispatch_log is not None and events and status == 200:
        done = dispatch_watch.wait_until_dispatched(
            live.dispatch_log, events * batches_so_far, timeout_s=30.0
        )
        dispatched = None if done is None else done - sent_at
    return status, elapsed, dispatched


def _from_load(
    scenario: Scenario,
    target: str,
    pool: RequestPool,
    result: LoadResult,
    before: Usage,
    after: Usage,
) -> Measurement:
    measurement = Measurement(
        target=target,
        scenario=scenario.name,
        requests=result.requests,
        requests_per_s=result.requests_per_s,
        events_per_request=pool.events_per_request,
        events_per_s=result.requests_per_s * pool.events_per_request,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        p999_ms=result.p999_ms,
        cpu_us_per_request=_cpu_per_request(before, after, result.requests),
        peak_rss_mb=after.peak_rss_bytes / 2**20,
        non200=result.failed,
        body_bytes=pool.mean_body_bytes,
        extra={"load": result.as_dict()},
    )
    if result.wrapped and target in DEDUPING_TARGETS:
        measurement.note = "pool wrapped: later requests repeated earlier bodies (deduped)"
    return measurement


def _add_interference(measurement: Measurement, share: float) -> None:
    measurement.extra["other_cpu_share"] = round(share, 3)
    if share > interference.NOISY_SHARE:
        note = f"other processes used {share:.0%} of a CPU while this was measured"
        measurement.note = "; ".join(filter(None, [measurement.note, note]))


def _cpu_per_request(before: Usage, after: Usage, requests: int) -> float | None:
    if requests == 0:
        return None
    return (after.cpu_seconds - before.cpu_seconds) / requests * 1e6


def _add_dispatch_lag(measurement: Measurement, live: Running, load_end: float,
                      duration_s: float) -> None:
    """How many events botkit dispatched, how long dispatch ran on after the load stopped, and
    the events per second acknowledged *and* dispatched: the events of the measured window over
    the window plus that lag (a server that acknowledges fast but dispatches behind gains
    nothing)."""
    assert live.dispatch_log is not None
    runs = dispatch_watch.read_runs(live.dispatch_log)
    measurement.extra["dispatched_events"] = sum(count for count, _, _ in runs)
    if runs:
        lag = max(0.0, runs[-1][2] - load_end)
        measurement.extra["dispatch_lag_after_load_s"] = round(lag, 3)
        if measurement.events_per_s is not None and duration_s > 0:
            measurement.extra["events_per_s_with_dispatch"] = round(
                measurement.events_per_s * duration_s / (duration_s + lag), 1)
