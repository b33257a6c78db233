"""examples/asgi-mount: a Starlette site with botkit mounted under /bot, run as documented
(`uvicorn --factory asgi_mount_app:create`) as a real process on a loopback port; a signed
webhook posted through the mount is answered through the fake Graph API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from samples import free_port

from botkit.testing import FakeGraphAPI, signed_headers
from botkit.testing.payloads import text_message, wire_bytes

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "asgi-mount"
ENV = {"WHATSAPP_APP_SECRET": "mount-secret", "WHATSAPP_VERIFY_TOKEN": "mount-token",
       "WHATSAPP_ACCESS_TOKEN": "mount-access-token"}


@pytest.fixture
def site(tmp_path):
    """The example served by uvicorn with its own botkit.toml, pointed at a fake Graph API."""
    port = free_port()
    with FakeGraphAPI(access_token=ENV["WHATSAPP_ACCESS_TOKEN"]) as graph:
        settings = (EXAMPLE / "botkit.toml").read_text()
        settings = settings.replace('# graph_url = "http://127.0.0.1:5555"',
                                    f'graph_url = "{graph.url}"')
        assert graph.url in settings
        (tmp_path / "botkit.toml").write_text(settings)
        env = {**os.environ, **ENV, "BOTKIT_CONFIG": "botkit.toml"}
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "asgi_mount_app:create",
             "--app-dir", str(EXAMPLE), "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stderr.read()
                try:
                    if httpx.get(f"{base}/bot/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the site did not become ready"
                time.sleep(0.1)
            yield base, graph
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
        log = process.stderr.read()
    # uvicorn stops gracefully on SIGTERM, then exits with the signal's status
    assert code in (0, -signal.SIGTERM), log
    assert "Application shutdown complete." in log and "Traceback" not in log, log
    assert (tmp_path / "botkit-data" / "botkit.db").exists()


def test_a_signed_webhook_through_the_mount_is_answered(site):
    base, graph = site
    body = wire_bytes(text_message("hello"))
    answer = httpx.post(f"{base}/bot/webhook", content=body,
                        headers=signed_headers(body, ENV["WHATSAPP_APP_SECRET"]))
    assert (answer.status_code, answer.text) == (200, "")
    [reply] = graph.wait_for_messages_sync(1, timeout=15)
    assert reply["to"] == "15557654321"
    assert reply["text"]["body"] == "Hello Priya Raman! You reached the bot mounted at /bot."


def test_the_bot_checks_signatures_and_answers_meta_through_the_mount(site):
    base, graph = site
    body = wire_bytes(text_message("hello"))
    forged = httpx.post(f"{base}/bot/webhook", content=body,
                        headers=signed_headers(body, "not-the-app-secret"))
    assert forged.status_code == 403
    verify = httpx.get(f"{base}/bot/webhook", params={
        "hub.mode": "subscribe", "hub.challenge": "1158201444",
        "hub.verify_token": ENV["WHATSAPP_VERIFY_TOKEN"]})
    assert (verify.status_code, verify.text) == (200, "1158201444")
    assert graph.sent_messages() == []


def test_the_site_keeps_its_own_routes(site):
    base, _ = site
    assert httpx.get(f"{base}/").text.startswith("The shop's own pages")
    assert httpx.get(f"{base}/status").json() == {"bot": "/bot/webhook"}
    assert httpx.get(f"{base}/bot/healthz").text == "ok"
    assert httpx.post(f"{base}/webhook", content=b"{}").status_code == 404  # not at the root
