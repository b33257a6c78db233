"""The sample payloads, their signatures, and a plugin that records every hook call."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from botkit import hookimpl

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BOTKIT_SHARED_DIR") or REPO.parent / "shared")
PAYLOADS = SHARED / "whatsapp" / "payloads"
# Timestamps in the sample payloads are around 2026-07-01; tests run the clock there.
PAYLOAD_NOW = 1782900000 + 3600
# The machine's Redis; tests keep to a key prefix of their own (the redis_prefix fixture).
REDIS_URL = "redis://127.0.0.1:6379/0"


def payload_files() -> list[str]:
    return sorted(p.name for p in PAYLOADS.glob("*.json"))


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def published_signatures() -> dict[tuple[str, str], str]:
    """(file, secret) -> header value, from SIGNATURES.txt."""
    table = {}
    for line in (PAYLOADS / "SIGNATURES.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, secret, header = line.split()
            table[(name, secret)] = header
    return table


class Recorder:
    """A plugin implementing every event hook; records (hook, key, attempt) in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.events: list = []

    def record(self, hook: str, event) -> None:
        self.calls.append((hook, event.key, event.attempt))
        self.events.append(event)

    def counts(self) -> Counter:
        return Counter(hook for hook, _, _ in self.calls)

    @hookimpl
    def message_received(self, message) -> None:
        self.record("message_received", message)

    @hookimpl
    async def status_received(self, status) -> None:
        self.record("status_received", status)

    @hookimpl
    def contact_updated(self, contact) -> None:
        self.record("contact_updated", contact)

    @hookimpl
    async def event_received(self, event) -> None:
        self.record("event_received", event)

    @hookimpl
    def error_received(self, error) -> None:
        self.record("error_received", error)


def db_rows(runner, sql: str, *args) -> list[tuple]:
    """Read the running bot's SQLite store with a connection of our own."""
    import sqlite3

    from botkit.store.sqlite import sqlite_path

    conn = sqlite3.connect(sqlite_path(runner.settings.store.url))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, process) -> None:
    """Until ``botkit serve`` at ``base`` answers /readyz (fails if the process exits)."""
    import time

    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read() if process.stderr else "(its log went to a file)"
            raise AssertionError(f"botkit serve exited: {output}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("botkit serve did not become ready")


class Switchable:
    """Fails until it is fixed, as a plugin whose CRM is down would."""

    def __init__(self) -> None:
        self.broken = True
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def message_received(self, message) -> None:
        self.calls.append((message.key, message.attempt))
        if self.broken:
            raise ConnectionError("CRM is down")
