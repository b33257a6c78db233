"""``botkit serve`` on both servers: connections that never finish their request head are
closed after ``[server] header_timeout``, ``/metrics`` can live on a listener of its own, a
taken port or a store owned by another process ends the command at once with one line and
nothing held, and an enabled plugin without any hook stops the start. Real servers on loopback
(in this process, or as real ``botkit serve`` processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from click.testing import CliRunner
from samples import REDIS_URL, free_port

from botkit.app import create_app
from botkit.errors import SettingsError
from botkit.plugins import load_plugins
from botkit.runtime.server import serve
from botkit.testing import make_settings
from botkit.testing.payloads import text_message
from botkit.testing.signing import encode, signed_headers

BOTKIT = str(Path(sys.executable).with_name("botkit"))
SERVERS = ["uvicorn", "hypercorn"]


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, server: str, **options):
    """``botkit serve``'s own serving path (runtime.server.serve) in this process."""
    port = free_port()
    settings = make_settings(tmp_path / server, server={"bind": f"127.0.0.1:{port}",
                                                        "server": server, **options})
    app = create_app(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, settings, stop))
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        deadline = time.monotonic() + 10
        while True:
            assert not task.done(), task.exception()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    break
            assert time.monotonic() < deadline, "server did not start"
            await asyncio.sleep(0.05)
        try:
            yield port, client
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def closed_after(port: int, sent: bytes, timeout: float = 10.0, *,
                       after_a_request: bool = False) -> float:
    """Send ``sent`` (after one whole request and its answer, if asked) and wait for the
    server to close the connection; seconds it took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if after_a_request:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        assert await reader.readexactly(2) == b"ok"
    started = time.monotonic()
    writer.write(sent)
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    assert b"200" not in data
    return time.monotonic() - started


@pytest.mark.parametrize("server", SERVERS)
async def test_a_request_head_that_never_completes_is_closed(tmp_path, server):
    async with serving(tmp_path, server, header_timeout=0.6) as (port, client):
        half = b"POST /webhook HTTP/1.1\r\nHost: bot\r\nX-Hub-Signature-256: sha256="
        took = await closed_after(port, half)
        assert 0.5 <= took < 2.5, took
        took = await closed_after(port, b"")  # connected, nothing sent
        assert 0.5 <= took < 2.5, took
        took = await closed_after(port, half, after_a_request=True)  # a kept-alive connection
        assert 0.5 <= took < 2.5, took
        # A complete request still gets its answer.
        body = encode(text_message("hello"))
        response = await client.post("/webhook", content=body,
                                     headers=signed_headers(body, "test-secret"))
        assert response.status_code == 200


@pytest.mark.parametrize("server", SERVERS)
async def test_metrics_can_have_a_listener_of_their_own(tmp_path, server):
    metrics_port = free_port()
    async with serving(tmp_path, server, metrics_bind=f"127.0.0.1:{metrics_port}") as (
            _, client):
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/readyz")).status_code == 200
        async with httpx.AsyncClient(timeout=5) as other:
            metrics = await other.get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert metrics.status_code == 200
            assert "botkit_webhook_responses_total" in metrics.text
            webhook = await other.get(f"http://127.0.0.1:{metrics_port}/webhook")
            assert webhook.status_code == 404


def botkit_serve(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "botkit.toml"
    path.write_text(config)
    env = {**os.environ, "WHATSAPP_APP_SECRET": "s3cret-app", "WHATSAPP_VERIFY_TOKEN": "vt"}
    return subprocess.run([BOTKIT, "serve", "--config", str(path), *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)


def settings_text(port: int, store: str, server: str = "uvicorn", extra: str = "") -> str:
    return f"""
[whatsapp]
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}
[server]
bind = "127.0.0.1:{port}"
server = "{server}"
{extra}
[store]
url = "{store}"
"""


@pytest.mark.parametrize(("server", "store"), [
    ("uvicorn", "sqlite"), ("hypercorn", "sqlite"), ("uvicorn", "redis")])
def test_a_taken_port_ends_serve_at_once_holding_nothing(tmp_path, server, store,
                                                         redis_prefix):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    url = (f"sqlite:///{tmp_path / 'data' / 'botkit.db'}" if store == "sqlite"
           else f"{REDIS_URL}?prefix={redis_prefix}")
    try:
        started = time.monotonic()
        result = botkit_serve(tmp_path, settings_text(port, url, server))
        took = time.monotonic() - started
    finally:
        taken.close()
    assert result.returncode == 2
    assert took < 10
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot listen on 127.0.0.1:{port} (server.bind): Address already in use")
    assert "Traceback" not in result.stderr
    if store == "sqlite":
        assert not (tmp_path / "data").exists()  # the store was never even opened
    else:
        client = redis.Redis.from_url(REDIS_URL)
        assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []  # no lease, no entry
        client.close()


def test_a_taken_metrics_port_ends_serve_too(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    metrics_port = taken.getsockname()[1]
    try:
        result = botkit_serve(tmp_path, settings_text(
            free_port(), f"sqlite:///{tmp_path / 'botkit.db'}",
            extra=f'metrics_bind = "127.0.0.1:{metrics_port}"'))
    finally:
        taken.close()
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{metrics_port} (server.metrics_bind)" in result.stderr


async def test_a_second_process_on_a_sqlite_store_is_refused_in_one_line(
        botkit_runner_factory, tmp_path):
    bot = await botkit_runner_factory()
    result = await asyncio.to_thread(botkit_serve, tmp_path, settings_text(
        free_port(), bot.settings.store.url))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: another botkit process is using "
                     f"{bot.bot.store.path}; run one server per SQLite store (use a redis:// "
                     f"store to run several)"]
    assert (await bot.post(text_message("still mine"))).status_code == 200


class NoHooks:
    def message_received(self, message):  # no @hookimpl: pluggy never calls it
        return None


def test_an_enabled_plugin_without_any_hook_stops_the_start(tmp_path, installed_plugin):
    settings = make_settings(tmp_path, enabled_plugins=["forgetful"])
    with pytest.raises(SettingsError, match="plugin 'forgetful' implements no botkit hook"):
        load_plugins(settings, {"forgetful": NoHooks()})
    installed_plugin("forgetful", "def message_received(message):\n    return None\n")
    config = tmp_path / "check.toml"
    config.write_text('enabled_plugins = ["forgetful"]\n[whatsapp]\nverify_token = "v"\n'
                      'app_secret = "s"\n')
    from botkit.cli.main import cli

    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 2
    assert "enabled_plugins: plugin 'forgetful' implements no botkit hook" in result.output
