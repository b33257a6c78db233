"""`botkit serve` as a real process on a loopback port, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from samples import free_port, payload_bytes, payload_files, published_signatures, wait_ready

BOTKIT = str(Path(sys.executable).with_name("botkit"))
RECORDING_PLUGIN = """
import json
from botkit import hookimpl

@hookimpl
def startup(bot):
    bot.state["journal"] = open(bot.config("journal")["path"], "a", encoding="utf-8")

@hookimpl
def shutdown(bot):
    bot.state["journal"].write(json.dumps(["shutdown"]) + "\\n")
    bot.state["journal"].close()

def _write(bot, hook, event):
    bot.state["journal"].write(json.dumps([hook, event.key, event.attempt]) + "\\n")
    bot.state["journal"].flush()

@hookimpl
def message_received(bot, message):
    _write(bot, "message_received", message)

@hookimpl
def status_received(bot, status):
    _write(bot, "status_received", status)

@hookimpl
def event_received(bot, event):
    _write(bot, "event_received", event)

@hookimpl
def error_received(bot, error):
    _write(bot, "error_received", error)
"""
JOURNAL_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["path"],
    "properties": {"path": {"type": "string"}},
}



def write_settings(tmp_path: Path, port: int, journal: Path) -> Path:
    path = tmp_path / "botkit.toml"
    path.write_text(f"""
enabled_plugins = ["journal"]

[whatsapp]
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}

[server]
bind = "127.0.0.1:{port}"
path = "/webhook"

[store]
url = "sqlite:///{tmp_path / "data" / "botkit.db"}"
dedupe_days = 3650

[plugins.journal]
path = "{journal}"
""")
    return path


@pytest.fixture
def serve(tmp_path, installed_plugin):
    installed_plugin("journal", RECORDING_PLUGIN, schema=JOURNAL_SCHEMA)
    site = str(tmp_path / "site-packages")
    processes = []

    def start(env_extra: dict[str, str] | None = None, args: tuple[str, ...] = ()):
        env = {
            **os.environ,
            "PYTHONPATH": site,
            "WHATSAPP_APP_SECRET": "test-secret",
            "WHATSAPP_VERIFY_TOKEN": "vt",
            **(env_extra or {}),
        }
        process = subprocess.Popen(
            [BOTKIT, "serve", *args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()



def read_journal(journal: Path, count: int) -> list[list]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = journal.read_text().splitlines() if journal.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} journal lines")


def expected_items() -> dict[str, int]:
    """Distinct items across all samples, counted straight from the files."""
    messages, statuses, errors, fields = set(), set(), 0, 0
    for name in payload_files():
        for entry in json.loads(payload_bytes(name))["entry"]:
            for change in entry["changes"]:
                value = change["value"]
                if change["field"] != "messages":
                    fields += 1
                    continue
                messages |= {m["id"] for m in value.get("messages", [])}
                statuses |= {(s["id"], s["status"]) for s in value.get("statuses", [])}
                errors += len(value.get("errors", []))
    return {
        "message_received": len(messages),
        "status_received": len(statuses),
        "error_received": errors,
        "event_received": fields,
    }


def test_serve_verifies_stores_and_dispatches_every_sample(serve, tmp_path):
    port = free_port()
    journal = tmp_path / "journal.jsonl"
    config = write_settings(tmp_path, port, journal)
    process = serve({"BOTKIT_CONFIG": str(config)})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)

    verify = httpx.get(
        f"{base}/webhook",
        params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "vt"},
    )
    assert (verify.status_code, verify.text) == (200, "1158201444")

    signatures = published_signatures()
    with httpx.Client(base_url=base) as client:
        for name in payload_files():
            for _ in range(2):  # every redelivery is acknowledged and dispatched once
                response = client.post(
                    "/webhook",
                    content=payload_bytes(name),
                    headers={
                        "x-hub-signature-256": signatures[(name, "test-secret")],
                        "content-type": "application/json",
                    },
                )
                assert response.status_code == 200, name
        assert client.post("/webhook", content=b"{}").status_code == 401

    expected = expected_items()
    lines = read_journal(journal, sum(expected.values()))
    time.sleep(0.3)  # anything dispatched twice would show up by now
    lines = read_journal(journal, len(lines))
    keys = [line[1] for line in lines]
    assert len(keys) == len(set(keys))  # nothing twice
    counts = {hook: sum(1 for line in lines if line[0] == hook) for hook in expected}
    assert counts == expected

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert journal.read_text().splitlines()[-1] == '["shutdown"]'  # graceful: hooks ran


def test_serve_refuses_to_start_without_secrets(serve, tmp_path):
    config = write_settings(tmp_path, free_port(), tmp_path / "j.jsonl")
    process = serve({"WHATSAPP_APP_SECRET": ""}, ("--config", str(config)))
    assert process.wait(timeout=20) == 2
    error = process.stderr.read()
    assert "WHATSAPP_APP_SECRET is not set" in error
    assert "test-secret" not in error


def test_serve_reports_every_plugin_settings_problem(serve, tmp_path):
    config = write_settings(tmp_path, free_port(), tmp_path / "j.jsonl")
    journal = str(tmp_path / "j.jsonl")
    text = config.read_text().replace(
        f'path = "{journal}"', f'colour = "blue"\nxpath = "{journal}"'
    )
    text = text.replace('enabled_plugins = ["journal"]', 'enabled_plugins = ["journal", "nope"]')
    config.write_text(text)
    process = serve(args=("--config", str(config)))
    assert process.wait(timeout=20) == 2
    error = process.stderr.read()
    assert "plugin 'nope' is not installed" in error
    assert "plugins.journal: 'path' is a required property" in error
    assert "plugins.journal: unknown key(s)" in error


def test_serve_on_hypercorn(serve, tmp_path):
    port = free_port()
    journal = tmp_path / "journal.jsonl"
    config = write_settings(tmp_path, port, journal)
    config.write_text(config.read_text().replace('path = "/webhook"',
                                                 'path = "/webhook"\nserver = "hypercorn"'))
    process = serve(args=("--config", str(config)))
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    verify = httpx.get(f"{base}/webhook", params={
        "hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "vt"})
    assert (verify.status_code, verify.text) == (200, "42")
    body = payload_bytes("status_read.json")
    response = httpx.post(f"{base}/webhook", content=body, headers={
        "x-hub-signature-256": published_signatures()[("status_read.json", "test-secret")]})
    assert response.status_code == 200
    [line] = read_journal(journal, 1)
    assert line[0] == "status_received"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert journal.read_text().splitlines()[-1] == '["shutdown"]'
