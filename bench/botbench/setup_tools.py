"""Install what the benchmark needs, leaving botkit's own environment as it was.

wrk comes from Debian; pywa and FastAPI go into a separate virtualenv (``bench/.venv-peers``)
with the same uvicorn/uvloop/httptools/hypercorn versions as botkit's, so the servers match.
The only thing added to botkit's virtualenv is the no-op plugin, as an editable install.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys

from botbench.paths import (
    BOTKIT_BIN,
    MAIN_PYTHON,
    NOOP_PLUGIN_DIR,
    PEERS_REQUIREMENTS,
    PEERS_VENV,
)

SERVER_STACK = ("uvicorn", "uvloop", "httptools", "hypercorn")


class SetupError(RuntimeError):
    """A tool or package the benchmark needs could not be installed."""


def _run(argv: list[str], what: str) -> None:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()[-1500:]
        raise SetupError(f"{what} failed (exit {completed.returncode}): {detail}")


def ensure_wrk() -> str:
    """Path of wrk, installing Debian's package (after an index update if needed)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk with apt-get", file=sys.stderr)
    try:
        _run(["apt-get", "install", "-y", "wrk"], "apt-get install wrk")
    except SetupError:
        _run(["apt-get", "update"], "apt-get update")
        _run(["apt-get", "install", "-y", "wrk"], "apt-get install wrk")
    found = shutil.which("wrk")
    if not found:
        raise SetupError("wrk is still not on PATH after installing it")
    return found


def peer_requirements() -> list[str]:
    """The peers' pins plus botkit's own server stack versions."""
    pins = [
        line.strip()
        for line in PEERS_REQUIREMENTS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    stack = [f"{name}=={importlib.metadata.version(name)}" for name in SERVER_STACK]
    return pins + stack


def ensure_peers_venv() -> None:
    """Create or update ``bench/.venv-peers``; skipped when its pins have not changed."""
    requirements = peer_requirements()
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    stamp = PEERS_VENV / ".bench-requirements"
    python = PEERS_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    if not python.exists():
        print(f"creating {PEERS_VENV}", file=sys.stderr)
        _run([str(MAIN_PYTHON), "-m", "venv", str(PEERS_VENV)], "creating the peers' virtualenv")
    print("installing " + " ".join(requirements), file=sys.stderr)
    _run([str(python), "-m", "pip", "install", "-q", *requirements], "pip install (peers)")
    stamp.write_text(digest)


def noop_plugin_installed() -> bool:
    """Whether botkit's virtualenv has the no-op plugin installed from this folder."""
    try:
        entry_points = importlib.metadata.entry_points(group="botkit")
    except Exception:  # pragma: no cover - broken metadata means "not installed"
        return False
    names = {entry.name: entry.value for entry in entry_points}
    spec = importlib.util.find_spec("botkit_bench_noop")
    origin = spec.origin if spec else None
    return names.get("bench-noop") == "botkit_bench_noop" and bool(
        origin and origin.startswith(str(NOOP_PLUGIN_DIR))
    )


def ensure_noop_plugin() -> None:
    """``pip install -e bench/noop_plugin`` into botkit's virtualenv, once."""
    if noop_plugin_installed():
        return
    print("installing the bench-noop plugin into botkit's virtualenv", file=sys.stderr)
    _run(
        [
            str(MAIN_PYTHON), "-m", "pip", "install", "-q", "--no-deps",
            "-e", str(NOOP_PLUGIN_DIR),
        ],
        "pip install -e bench/noop_plugin",
    )  # fmt: skip
    importlib.invalidate_caches()


def botkit_runnable() -> tuple[bool, str]:
    """Whether ``botkit serve --help`` works; otherwise why not."""
    if not BOTKIT_BIN.exists():
        return False, f"{BOTKIT_BIN} does not exist"
    completed = subprocess.run(
        [str(BOTKIT_BIN), "serve", "--help"], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        last = (completed.stderr or completed.stdout).strip().splitlines()[-1:]
        return False, f"`botkit serve --help` exited {completed.returncode}: {' '.join(last)}"
    return True, "ok"
