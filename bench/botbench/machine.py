"""Describe the machine and software a run happened on, so figures can be compared honestly."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from botbench.paths import PEERS_VENV

MAIN_PACKAGES = ("botkit", "quart", "uvicorn", "uvloop", "httptools", "hypercorn", "orjson")
PEER_PACKAGES = ("pywa", "fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def peer_versions() -> dict[str, str]:
    """Versions inside the peers' virtualenv (asked of its own interpreter)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        return {}
    script = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'not installed'\n"
        "print(json.dumps(out))\n"
    )
    completed = subprocess.run(
        [str(python), "-c", script, *PEER_PACKAGES], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return {}
    return json.loads(completed.stdout)


def wrk_version() -> str:
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()[:1]
    return first[0].strip() if first else "unknown"


def describe() -> dict[str, Any]:
    """Everything RESULTS.md and the JSON output say about the environment."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": _versions(MAIN_PACKAGES),
        "peer_packages": peer_versions(),
        "wrk": wrk_version(),
    }
