"""One benchmark run: prepare tools and pools, measure every target in every scenario, report."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botbench import e2e, interference, machine, report, results_md, setup_tools
from botbench.measurement import FAILED, PENDING, Measurement, skipped
from botbench.poolset import build_pools
from botbench.process import ServerError
from botbench.scenarios import (
    END_TO_END,
    FIXED_RATE,
    SATURATE,
    SINGLE,
    Scenario,
    Settings,
    fixed_rate_load,
    measure_load,
    measure_singles,
    saturating_load,
)
from botbench.targets import Secrets
from botbench.wrk import WrkError


@dataclass(frozen=True)
class Options:
    """Everything the command line can change."""

    targets: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    server: str
    out_dir: Path
    warmup_s: int = 2
    duration_s: int = 5
    rate: float = 1000.0
    singles: int = 10
    pool_scale: float = 1.0
    keep_pools: bool = False
    write_results: Path | None = None
    wait_quiet_s: float = 0.0
    retry_noisy: int = 0


def measure(settings: Settings, scenario: Scenario, target: str) -> Measurement:
    """Dispatch to the scenario's kind of measurement."""
    if scenario.kind == SATURATE:
        return measure_load(settings, scenario, target, saturating_load(scenario.connections))
    if scenario.kind == FIXED_RATE:
        return measure_load(settings, scenario, target, fixed_rate_load(settings.rate))
    if scenario.kind == SINGLE:
        return measure_singles(settings, scenario, target)
    if scenario.kind == END_TO_END:
        return e2e.measure_end_to_end(settings, scenario, target)
    raise ValueError(f"scenario {scenario.name!r} has unknown kind {scenario.kind!r}")


def prepare(options: Options) -> tuple[bool, str]:
    """Install wrk, the peers and the no-op plugin as needed; say whether botkit can run."""
    setup_tools.ensure_wrk()
    if shutil.which("taskset") is None:
        raise setup_tools.SetupError("taskset (util-linux) is required to pin CPUs")
    if "pywa" in options.targets:
        setup_tools.ensure_peers_venv()
    if "botkit" not in options.targets:
        return False, "not selected"
    runnable, reason = setup_tools.botkit_runnable()
    if runnable:
        setup_tools.ensure_noop_plugin()
    return runnable, reason


def describe_load(settings: Settings, scenario: Scenario) -> str:
    """One sentence on how the figures of a scenario were taken."""
    pool = settings.pools[scenario.pool]
    body = f"body {pool.mean_body_bytes:,} B, {pool.events_per_request:g} event(s) per POST"
    timing = f"{settings.warmup_s} s warm-up, then {settings.duration_s} s measured"
    if scenario.kind == SATURATE:
        return f"wrk -t1 -c{scenario.connections}, {timing}; {body}."
    if scenario.kind == FIXED_RATE:
        return (
            f"Open-loop Python generator at {settings.rate:,.0f} req/s (wrk2 is not packaged by "
            f"Debian), {timing}; latency from each request's scheduled send time; {body}."
        )
    if scenario.kind == SINGLE:
        return (
            f"{settings.singles} sequential POSTs after one warm-up POST, each on a new "
            f"connection; {body}."
        )
    return (
        f"botkit only; {e2e.MESSAGES} messages from distinct senders at {e2e.RATE:g}/s; latency "
        "from sending each webhook to its reply arriving at the fake Graph API."
    )


def run(options: Options) -> dict[str, Any]:
    """Run everything selected; returns the JSON document that was written."""
    started = time.time()
    botkit_ok, botkit_reason = prepare(options)
    background = interference.wait_for_quiet(options.wait_quiet_s)
    if background > interference.NOISY_SHARE:
        print(
            f"warning: other processes are using {background:.0%} of a CPU; figures will be "
            "disturbed (see each measurement's other_cpu_share)",
            file=sys.stderr,
        )
    secret_pair = Secrets(secrets.token_hex(32), secrets.token_urlsafe(18))
    pools_dir = options.out_dir / "pools"
    print("building signed request pools", file=sys.stderr)
    pools = build_pools(
        {scenario.pool for scenario in options.scenarios},
        pools_dir,
        secret_pair.app_secret,
        scale=options.pool_scale,
        minimum=options.singles + 1,
    )
    settings = Settings(
        server=options.server,
        secrets=secret_pair,
        pools=pools,
        logs_dir=options.out_dir / "logs",
        warmup_s=options.warmup_s,
        duration_s=options.duration_s,
        rate=options.rate,
        singles=options.singles,
    )
    results: dict[str, dict[str, Measurement]] = {}
    try:
        for scenario in options.scenarios:
            results[scenario.name] = {}
            for target in filter(scenario.applies_to, options.targets):
                measurement = measure_quietest(
                    settings, scenario, target, botkit_ok, botkit_reason, options.retry_noisy
                )
                results[scenario.name][target] = measurement
                _progress(measurement)
    finally:
        if not options.keep_pools:
            shutil.rmtree(pools_dir, ignore_errors=True)
    document = _document(options, settings, results, botkit_ok, botkit_reason, started)
    document["background_cpu_share_at_start"] = round(background, 3)
    path = report.write_json(report.json_path(options.out_dir), document)
    markdown = results_md.results_section(options.scenarios, results, document)
    print(markdown)
    print(f"\nJSON: {path}", file=sys.stderr)
    if options.write_results is not None:
        options.write_results.write_text(results_md.render(document, markdown))
        print(f"wrote {options.write_results}", file=sys.stderr)
    return document


def _measure_safely(
    settings: Settings, scenario: Scenario, target: str, botkit_ok: bool, botkit_reason: str
) -> Measurement:
    if target == "botkit" and not botkit_ok:
        return skipped(target, scenario.name, PENDING, f"botkit not runnable: {botkit_reason}")
    print(f"{scenario.name}: {target} ...", file=sys.stderr, flush=True)
    try:
        return measure(settings, scenario, target)
    except (ServerError, WrkError, OSError, RuntimeError, subprocess.SubprocessError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"{scenario.name}: {target} failed: {error}", file=sys.stderr)
        return skipped(target, scenario.name, FAILED, first_line)


def measure_quietest(
    settings: Settings,
    scenario: Scenario,
    target: str,
    botkit_ok: bool,
    botkit_reason: str,
    retries: int,
) -> Measurement:
    """Measure; while other processes disturbed it, measure again (up to ``retries`` times)
    and keep the attempt they disturbed least."""
    best = _measure_safely(settings, scenario, target, botkit_ok, botkit_reason)
    attempts = 1
    while attempts <= retries and _disturbance(best) > interference.NOISY_SHARE:
        _progress(best)
        print(f"    {target}: disturbed, measuring again", file=sys.stderr)
        again = _measure_safely(settings, scenario, target, botkit_ok, botkit_reason)
        attempts += 1
        if again.status == best.status and _disturbance(again) < _disturbance(best):
            best = again
    best.extra["attempts"] = attempts
    return best


def _disturbance(measurement: Measurement) -> float:
    return float(measurement.extra.get("other_cpu_share", 0.0))


def _progress(m: Measurement) -> None:
    if m.requests_per_s is not None:
        summary = f"{m.requests_per_s:,.0f} req/s, p99 {m.p99_ms:.2f} ms, non-200 {m.non200}"
    elif m.time_to_200_ms:
        summary = f"time to 200 median {m.p50_ms:.1f} ms, non-200 {m.non200}"
    else:
        summary = m.status
    print(f"    {m.target}: {summary}" + (f" ({m.note})" if m.note else ""), file=sys.stderr)


def _document(
    options: Options,
    settings: Settings,
    results: dict[str, dict[str, Measurement]],
    botkit_ok: bool,
    botkit_reason: str,
    started: float,
) -> dict[str, Any]:
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(started)),
        "elapsed_s": round(time.time() - started, 1),
        "machine": machine.describe(),
        "options": {
            "targets": list(options.targets),
            "scenarios": [scenario.name for scenario in options.scenarios],
            "server": options.server,
            "warmup_s": options.warmup_s,
            "duration_s": options.duration_s,
            "rate": options.rate,
            "singles": options.singles,
            "pool_scale": options.pool_scale,
            "retry_noisy": options.retry_noisy,
        },
        "botkit": {"runnable": botkit_ok, "reason": botkit_reason},
        "scenarios": {
            scenario.name: {
                "description": scenario.description,
                "kind": scenario.kind,
                "load": describe_load(settings, scenario),
                "results": {
                    target: m.as_dict() for target, m in results.get(scenario.name, {}).items()
                },
            }
            for scenario in options.scenarios
        },
        "ratios": report.ratios(options.scenarios, results),
    }
