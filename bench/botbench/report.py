"""Markdown tables and JSON for a run: one table per scenario, then botkit's ratios."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botbench.measurement import OK, Measurement
from botbench.scenarios import END_TO_END, FIXED_RATE, SATURATE, SINGLE, Scenario

BASELINES = ("quart", "pywa", "raw")
DASH = "—"

LOAD_COLUMNS = (
    "target", "req/s", "events/s", "p50 ms", "p99 ms", "p99.9 ms",
    "CPU µs/req", "peak RSS MiB", "non-200",
)  # fmt: skip
SINGLE_COLUMNS = (
    "target", "body KiB", "events/POST", "time to 200 ms (median)", "time to 200 ms (max)",
    "all events dispatched ms (median)", "CPU µs/req", "peak RSS MiB", "non-200",
)  # fmt: skip


def number(value: float | None, digits: int = 0) -> str:
    """Thousands separators, fixed decimals; a dash for missing figures."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" if index == 0 else "---:" for index in range(len(columns))) + "|"
    body = ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _load_row(m: Measurement) -> list[str]:
    if m.status != OK:
        return [m.target, m.status, *[DASH] * (len(LOAD_COLUMNS) - 2)]
    return [
        m.target,
        number(m.requests_per_s),
        number(m.events_per_s),
        number(m.p50_ms, 2),
        number(m.p99_ms, 2),
        number(m.p999_ms, 2),
        number(m.cpu_us_per_request),
        number(m.peak_rss_mb, 1),
        str(m.non200),
    ]


def _single_row(m: Measurement) -> list[str]:
    if m.status != OK:
        return [m.target, m.status, *[DASH] * (len(SINGLE_COLUMNS) - 2)]
    dispatched = sorted(m.dispatched_ms)
    return [
        m.target,
        number((m.body_bytes or 0) / 1024, 0),
        number(m.events_per_request),
        number(m.p50_ms, 1),
        number(max(m.time_to_200_ms) if m.time_to_200_ms else None, 1),
        number(dispatched[(len(dispatched) - 1) // 2] if dispatched else None, 1),
        number(m.cpu_us_per_request),
        number(m.peak_rss_mb, 1),
        str(m.non200),
    ]


def scenario_section(scenario: Scenario, results: dict[str, Measurement], load: str) -> str:
    """Heading, what the load was, the table and any notes."""
    single = scenario.kind == SINGLE
    rows = [(_single_row if single else _load_row)(m) for m in results.values()]
    parts = [f"### {scenario.name}: {scenario.description}", "", load, ""]
    parts.append(table(SINGLE_COLUMNS if single else LOAD_COLUMNS, rows))
    notes = [f"- {m.target}: {m.note}" for m in results.values() if m.note]
    lag = results.get("botkit")
    if lag is not None and "dispatch_lag_after_load_s" in lag.extra:
        notes.append(
            f"- botkit dispatched {lag.extra['dispatched_events']:,} events in all; dispatch "
            f"went on {lag.extra['dispatch_lag_after_load_s']:.2f} s after the load stopped"
        )
    if notes:
        parts += ["", *notes]
    return "\n".join(parts)


def headline(scenario: Scenario, m: Measurement) -> dict[str, float | None]:
    """The figures botkit is compared on in each kind of scenario (lower CPU is better)."""
    if scenario.kind == SATURATE:
        # The baselines dispatch nothing: their acknowledged rate is their whole rate.
        through = m.extra.get("events_per_s_with_dispatch", m.events_per_s)
        return {"req/s": m.requests_per_s, "events/s, ack + dispatch": through,
                "CPU/req": m.cpu_us_per_request}
    if scenario.kind == FIXED_RATE:
        return {"p99": m.p99_ms, "CPU/req": m.cpu_us_per_request}
    if scenario.kind == SINGLE:
        return {"time to 200": m.p50_ms}
    return {}


def ratios(
    scenarios: Sequence[Scenario], results: dict[str, dict[str, Measurement]]
) -> list[dict[str, Any]]:
    """botkit / baseline for each headline figure, where both sides have figures."""
    rows = []
    for scenario in scenarios:
        by_target = results.get(scenario.name, {})
        botkit = by_target.get("botkit")
        if scenario.kind == END_TO_END or botkit is None or botkit.status != OK:
            continue
        for metric, value in headline(scenario, botkit).items():
            row: dict[str, Any] = {"scenario": scenario.name, "metric": metric}
            for baseline in BASELINES:
                other = by_target.get(baseline)
                usable = other is not None and other.status == OK
                theirs = headline(scenario, other).get(metric) if usable else None
                row[f"botkit/{baseline}"] = ratio(value, theirs)
            if any(row[f"botkit/{baseline}"] is not None for baseline in BASELINES):
                rows.append(row)
    return rows


def ratios_table(rows: list[dict[str, Any]]) -> str:
    columns = ["scenario", "figure", *[f"botkit/{name}" for name in BASELINES]]
    cells = [
        [row["scenario"], row["metric"], *[number(row[f"botkit/{b}"], 2) for b in BASELINES]]
        for row in rows
    ]
    return table(columns, cells)


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write the run's JSON (also as ``latest.json`` beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=False)
    path.write_text(text + "\n")
    (path.parent / "latest.json").write_text(text + "\n")
    return path


def json_path(out_dir: Path) -> Path:
    return out_dir / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
