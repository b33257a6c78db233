"""Kill -9 under load, restart: every acknowledged event is dispatched, none twice unflagged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from collections import defaultdict

import httpx
from samples import free_port, payload_bytes, wait_ready
from test_serve_process import BOTKIT, JOURNAL_SCHEMA, RECORDING_PLUGIN, write_settings

from botkit.testing import signature

SECRET = "test-secret"
EVENTS = 5000
PER_POST = 5
TEMPLATE = json.loads(payload_bytes("message_text.json"))


def body_for(batch: int) -> tuple[bytes, list[str]]:
    doc = json.loads(json.dumps(TEMPLATE))
    value = doc["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    ids = [f"wamid.crash.{batch}.{i}" for i in range(PER_POST)]
    value["messages"] = [{**template, "id": wamid, "from": f"1555{batch % 40:07d}"}
                         for wamid in ids]
    return json.dumps(doc).encode(), [f"message:{wamid}" for wamid in ids]


async def test_sigkill_under_load_loses_and_doubles_nothing(tmp_path, installed_plugin):
    installed_plugin("journal", RECORDING_PLUGIN, schema=JOURNAL_SCHEMA)
    port = free_port()
    journal = tmp_path / "journal.jsonl"
    config = write_settings(tmp_path, port, journal)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site-packages"),
           "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "vt"}
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        # The log goes to a file: a pipe nobody reads fills up (one INFO line per event) and
        # would block the server.
        log = (tmp_path / "serve.log").open("a")
        process = subprocess.Popen([BOTKIT, "serve", "--config", str(config)], env=env,
                                   cwd=tmp_path, stdout=subprocess.DEVNULL,
                                   stderr=log, text=True)
        log.close()
        wait_ready(base, process)
        return process

    process = start()
    acked: set[str] = set()
    kills = 0
    batches = asyncio.Queue()
    for batch in range(EVENTS // PER_POST):
        batches.put_nowait(batch)

    async def sender(client: httpx.AsyncClient) -> None:
        while not batches.empty():
            body, keys = body_for(batches.get_nowait())
            headers = {"x-hub-signature-256": signature(body, SECRET),
                       "content-type": "application/json"}
            for _ in range(400):  # like Meta: retry anything but a 200
                try:
                    response = await client.post("/webhook", content=body, headers=headers)
                    if response.status_code == 200:
                        acked.update(keys)
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("a batch was never acknowledged")

    async def killer() -> None:
        nonlocal process, kills
        for threshold in (EVENTS // 4, EVENTS // 2, 3 * EVENTS // 4):
            while len(acked) < threshold:
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            process = await asyncio.to_thread(start)

    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        await asyncio.gather(killer(), *[sender(client) for _ in range(16)])
    assert kills == 3 and len(acked) == EVENTS

    deadline = asyncio.get_running_loop().time() + 60
    while True:
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        seen = {line[1] for line in lines if line[0] == "message_received"}
        if acked <= seen or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0

    assert acked - seen == set(), f"{len(acked - seen)} acknowledged events never dispatched"
    attempts = defaultdict(list)
    for _hook, key, attempt in (line for line in lines if line[0] == "message_received"):
        attempts[key].append(attempt)
    doubled = {key: seen for key, seen in attempts.items() if len(seen) > 1}
    for key, seen in doubled.items():
        assert seen[0] >= 1 and all(a > 1 for a in seen[1:]), (key, seen)
    assert len(doubled) < EVENTS // 10  # redeliveries are the exception
