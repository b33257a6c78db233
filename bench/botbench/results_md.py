"""The Markdown a run prints, and the RESULTS.md page built around it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botbench import report
from botbench.measurement import Measurement
from botbench.scenarios import Scenario

HOW_TO_RUN = """\
```sh
python3 bench/run.py                      # every target, every scenario (~5 minutes)
python3 bench/run.py --server hypercorn   # the same on hypercorn
python3 bench/run.py --targets botkit,quart --scenarios text,fixed-rate
python3 bench/run.py --wait-quiet 300 --retry-noisy 2 --write-results   # rewrite this file
```
`bench/run.py` re-runs itself with botkit's virtualenv, installs wrk (apt-get) and the peers
(`bench/.venv-peers`) when missing, and writes JSON to `bench/out/`. Methodology and caveats:
`bench/README.md`."""


def results_section(
    scenarios: Sequence[Scenario],
    results: dict[str, dict[str, Measurement]],
    document: dict[str, Any],
) -> str:
    """Every scenario's table, then the ratio table (or why botkit has no figures)."""
    parts = []
    for scenario in scenarios:
        load = document["scenarios"][scenario.name]["load"]
        parts.append(report.scenario_section(scenario, results.get(scenario.name, {}), load))
    parts.append("### botkit compared with the baselines")
    rows = document["ratios"]
    if rows:
        parts.append(
            "Ratios above 1 mean botkit is higher: better for req/s, worse for CPU/req, p99 "
            "and time to 200.\n\n" + report.ratios_table(rows)
        )
    elif not document["botkit"]["runnable"]:
        parts.append(f"Pending: botkit was not runnable ({document['botkit']['reason']}).")
    else:
        parts.append("No ratios: botkit produced no comparable figures in this run.")
    return "\n\n".join(parts)


def machine_section(info: dict[str, Any]) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    peers = ", ".join(f"{name} {version}" for name, version in info["peer_packages"].items())
    return "\n".join(
        [
            f"- CPUs: {info['nproc']} x {info['cpu_model']} (kernel {info['kernel']})",
            f"- Python {info['python']}; {info['wrk']}",
            f"- botkit's virtualenv: {packages}",
            f"- peers' virtualenv: {peers or 'not installed'}",
        ]
    )


def render(document: dict[str, Any], results_markdown: str) -> str:
    """The whole RESULTS.md page."""
    options = document["options"]
    command = (
        f"--server {options['server']} --warmup {options['warmup_s']} "
        f"--duration {options['duration_s']} --rate {options['rate']:g} "
        f"--singles {options['singles']} --retry-noisy {options['retry_noisy']}"
    )
    return (
        "\n\n".join(
            [
                "# Benchmark results",
                f"One run started {document['started']} ({document['elapsed_s']:.0f} s in all), "
                f"targets {', '.join(options['targets'])}, options `{command}`. Every figure below "
                "comes from that run; compare ratios, not absolute numbers, across machines.",
                "## How to run",
                HOW_TO_RUN,
                "## Machine",
                machine_section(document["machine"]),
                "## Results",
                results_markdown,
            ]
        )
        + "\n"
    )
