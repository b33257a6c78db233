"""The four servers under test and the exact command line each one is started with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from botbench.paths import BOTKIT_BIN, MAIN_PYTHON, OUT_DIR, PEERS_VENV, SERVERS_DIR
from botbench.pools import WEBHOOK_PATH
from botbench.process import LaunchSpec

TARGETS = ("raw", "quart", "pywa", "botkit")
SERVERS = ("uvicorn", "hypercorn")
NOOP_PLUGIN = "bench-noop"
READY_CHALLENGE = "4242"


@dataclass(frozen=True)
class Secrets:
    """Per-run webhook credentials, handed to servers through the environment only."""

    app_secret: str
    verify_token: str

    def env(self) -> dict[str, str]:
        return {
            "WHATSAPP_APP_SECRET": self.app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.verify_token,
        }

    def __repr__(self) -> str:
        return "Secrets(app_secret=***, verify_token=***)"


@dataclass(frozen=True)
class BotkitOptions:
    """What a botkit run may change: plugins, their settings and where replies go."""

    plugins: tuple[str, ...] = (NOOP_PLUGIN,)
    plugin_settings: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    graph_url: str = "http://127.0.0.1:9"
    dispatch_log: Path | None = None


def peer_module(target: str) -> str:
    """The ``module:attribute`` of a baseline app under ``bench/servers``."""
    modules = {"raw": "raw_asgi:app", "quart": "bare_quart:app", "pywa": "pywa_fastapi:app"}
    try:
        return modules[target]
    except KeyError:
        raise ValueError(
            f"{target!r} is not a baseline target; choose from {sorted(modules)}"
        ) from None


def server_argv(python: Path, app: str, server: str, port: int) -> list[str]:
    """One worker process, uvloop, and no access log, on either server."""
    if server == "uvicorn":
        return [
            str(python), "-m", "uvicorn", app,
            "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if server == "hypercorn":
        return [
            str(python), "-m", "hypercorn", app,
            "--bind", f"127.0.0.1:{port}",
            "--worker-class", "uvloop", "--workers", "0",
            "--log-level", "WARNING",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}; choose from {SERVERS}")


def peer_spec(target: str, server: str, port: int, secrets: Secrets, run_dir: Path) -> LaunchSpec:
    """A baseline server; pywa runs from its own virtualenv so botkit's stays clean."""
    python = PEERS_VENV / "bin" / "python" if target == "pywa" else MAIN_PYTHON
    query = urlencode(
        {
            "hub.mode": "subscribe",
            "hub.verify_token": secrets.verify_token,
            "hub.challenge": READY_CHALLENGE,
        }
    )
    return LaunchSpec(
        target=target,
        argv=server_argv(python, peer_module(target), server, port),
        port=port,
        ready_path=f"{WEBHOOK_PATH}?{query}",
        cwd=run_dir,
        env={**secrets.env(), "PYTHONPATH": str(SERVERS_DIR)},
    )


def botkit_settings(port: int, server: str, store_path: Path, options: BotkitOptions) -> str:
    """The ``botkit.toml`` a user would write for this benchmark."""
    lines = [
        f"enabled_plugins = {json.dumps(list(options.plugins))}",
        "",
        "[whatsapp]",
        'verify_token = { env = "WHATSAPP_VERIFY_TOKEN" }',
        'app_secret = { env = "WHATSAPP_APP_SECRET" }',
        'access_token = "bench-token"',
        f"graph_url = {json.dumps(options.graph_url)}",
        "",
        "[server]",
        f'bind = "127.0.0.1:{port}"',
        f"path = {json.dumps(WEBHOOK_PATH)}",
        f"server = {json.dumps(server)}",
        "",
        "[store]",
        f"url = {json.dumps('sqlite:///' + str(store_path))}",
        "dedupe_days = 3650",
    ]
    for plugin, settings in options.plugin_settings:
        lines += ["", f"[plugins.{plugin}]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings]
    return "\n".join(lines) + "\n"


def botkit_spec(
    server: str,
    port: int,
    secrets: Secrets,
    run_dir: Path,
    options: BotkitOptions,
    config: Path = OUT_DIR / "botkit.toml",
) -> LaunchSpec:
    """``botkit serve --config`` exactly as users start it, from a throwaway working folder."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(botkit_settings(port, server, run_dir / "botkit.db", options))
    env = secrets.env()
    if options.dispatch_log is not None:
        env["BENCH_DISPATCH_LOG"] = str(options.dispatch_log)
    return LaunchSpec(
        target="botkit",
        argv=[str(BOTKIT_BIN), "serve", "--config", str(config)],
        port=port,
        ready_path="/healthz",
        cwd=run_dir,
        env=env,
    )
