"""Two `botkit serve` and two `botkit worker` processes on one Redis behave like one bot: every
acknowledged event reaches the plugin, once, even when a worker is killed with SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import click
import httpx
import pytest
import redis
from click.testing import CliRunner
from samples import REDIS_URL, free_port, payload_bytes

from botkit import hookimpl
from botkit.cli.worker import register_worker_command
from botkit.dispatcher import dispatcher as dispatcher_module
from botkit.json_codec import from_json
from botkit.runtime.worker import work
from botkit.store.redis import RedisStore
from botkit.testing import make_settings, signed_headers
from botkit.webhook.splitting import split_body

BOTKIT = str(Path(sys.executable).with_name("botkit"))
# `botkit worker` as the command line runs it, whether or not cli.py lists it yet.
WORKER = (
    "import sys\n"
    "from botkit.cli.main import cli\n"
    "from botkit.cli.worker import register_worker_command\n"
    "if 'worker' not in cli.commands:\n"
    "    register_worker_command(cli)\n"
    "cli()\n"
)
SECRET = "scale-secret"
LEASE_MS = 2000
PARTITIONS = 8
EVENTS = 300
CONVERSATIONS = 30

JOURNAL_PLUGIN = """
import asyncio, json, os
from botkit import hookimpl

@hookimpl
def startup(bot):
    bot.state["journal"] = open(bot.config("journal")["path"], "a", encoding="utf-8")
    _line(bot, ["startup", os.getpid()])

@hookimpl
def shutdown(bot):
    _line(bot, ["shutdown", os.getpid()])
    bot.state["journal"].close()

def _line(bot, row):
    bot.state["journal"].write(json.dumps(row) + "\\n")
    bot.state["journal"].flush()

@hookimpl
async def message_received(bot, message):
    _line(bot, [message.key, message.attempt, os.getpid()])
    config = bot.config("journal")
    if _is_victim(config["victim"]):
        await asyncio.Event().wait()  # never finishes: the test kills this process now
    await asyncio.sleep(config["delay"])

def _is_victim(path):
    try:
        with open(path, encoding="utf-8") as file:
            return file.read() == str(os.getpid())
    except FileNotFoundError:
        return False
"""
JOURNAL_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["path", "delay", "victim"],
    "properties": {"path": {"type": "string"}, "delay": {"type": "number"},
                   "victim": {"type": "string"}},
}



def text_message(n: int, now: int) -> bytes:
    """A signed-ready text message from one of CONVERSATIONS customers, with its own id."""
    body = json.loads(payload_bytes("message_text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    customer = f"1555000{n % CONVERSATIONS:04d}"
    value["contacts"][0]["wa_id"] = customer
    message = value["messages"][0]
    message.update({"from": customer, "id": f"wamid.scale-{n}", "timestamp": str(now)})
    message["text"] = {"body": f"message {n}"}
    return json.dumps(body).encode()


class Fleet:
    """The processes of one test, their logs, and their shared journal."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder = folder
        self.journal = folder / "journal.jsonl"
        self.victim_file = folder / "victim.pid"  # the plugin never finishes an event there
        self.prefix = prefix
        self.processes: list[subprocess.Popen] = []
        self.env = {**os.environ, "PYTHONPATH": str(folder / "site-packages"),
                    "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "vt"}

    def settings(self, port: int) -> Path:
        path = self.folder / f"botkit-{port}.toml"
        path.write_text(f"""
enabled_plugins = ["journal"]

[whatsapp]
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}

[server]
bind = "127.0.0.1:{port}"

[store]
url = "{REDIS_URL}?prefix={self.prefix}&lease_ms={LEASE_MS}&partitions={PARTITIONS}"

[logging]
format = "text"

[plugins.journal]
path = "{self.journal}"
delay = 0.1
victim = "{self.victim_file}"
""")
        return path

    def start(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(args, env=self.env, cwd=self.folder, stdout=log,
                                   stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def serve(self, port: int) -> subprocess.Popen:
        return self.start([BOTKIT, "serve", "--config", str(self.settings(port))],
                          f"serve-{port}")

    def worker(self, n: int) -> subprocess.Popen:
        return self.start([sys.executable, "-c", WORKER, "worker", "--config",
                           str(self.settings(free_port()))], f"worker-{n}")

    def lines(self) -> list[list]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text().splitlines() if line]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.folder.glob("*.log")))

    def wait_for(self, condition, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for process in self.processes:
                code = process.poll()
                if code is not None and code != -signal.SIGKILL:
                    raise AssertionError(f"a process exited with {code}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.02)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def fleet(tmp_path, installed_plugin):
    installed_plugin("journal", JOURNAL_PLUGIN, schema=JOURNAL_SCHEMA)
    prefix = f"botkit-scale-{uuid.uuid4().hex[:12]}"
    fleet = Fleet(tmp_path, prefix)
    yield fleet
    fleet.stop()
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def lease_holders(prefix: str) -> dict[int, int]:
    """partition -> pid of the instance holding its lease (ids are host:pid:random)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        owners = client.mget([f"{prefix}:lease:{p}" for p in range(PARTITIONS)])
    finally:
        client.close()
    return {p: int(owner.split(b":")[1]) for p, owner in enumerate(owners) if owner}


async def post_all(bases: list[str], bodies: list[bytes]) -> dict[str, int]:
    """POST every body, alternating servers, 16 at a time; the status per message id."""
    statuses: dict[str, int] = {}
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=15) as client:
        async def post(i: int, body: bytes) -> None:
            async with gate:
                response = await client.post(f"{bases[i % len(bases)]}/webhook", content=body,
                                             headers=signed_headers(body, SECRET))
            key = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            statuses[f"message:{key}"] = response.status_code
        await asyncio.gather(*[post(i, body) for i, body in enumerate(bodies)])
    return statuses


async def post_to_both_at_once(bases: list[str], body: bytes) -> list[int]:
    async with httpx.AsyncClient(timeout=15) as client:
        responses = await asyncio.gather(*[
            client.post(f"{base}/webhook", content=body, headers=signed_headers(body, SECRET))
            for base in bases])
    return [r.status_code for r in responses]


def test_serves_and_workers_on_one_redis_dispatch_each_event_once(fleet):
    ports = [free_port(), free_port()]
    servers = [fleet.serve(port) for port in ports]
    workers = [fleet.worker(n) for n in range(2)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    pids = {p.pid for p in servers + workers}

    fleet.wait_for(lambda: {row[1] for row in fleet.lines() if row[0] == "startup"} == pids,
                   "every process to start its plugins")
    fleet.wait_for(lambda: set(lease_holders(fleet.prefix).values()) == pids,
                   "every process to hold partition leases")

    now = int(time.time())
    bodies = [text_message(n, now) for n in range(EVENTS)]
    duplicate = text_message(EVENTS, now)
    victim = workers[0]
    fleet.victim_file.write_text(str(victim.pid))

    async def post_and_kill() -> tuple[dict[str, int], list[int]]:
        posting = asyncio.create_task(post_all(bases, bodies))
        await asyncio.sleep(0.2)
        both = await post_to_both_at_once(bases, duplicate)
        # SIGKILL the victim once it runs an event (which it never finishes): it dies holding
        # claims.
        while not any(row[0].startswith("message:") and row[2] == victim.pid
                      for row in fleet.lines()):
            assert time.monotonic() < deadline, fleet.logs()
            await asyncio.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        return await posting, both

    deadline = time.monotonic() + 20
    statuses, both = asyncio.run(post_and_kill())
    victim.wait()
    assert both == [200, 200]
    accepted = {key for key, status in statuses.items() if status == 200}
    assert len(accepted) == EVENTS, statuses  # Redis is up: everything is acknowledged
    accepted.add(f"message:wamid.scale-{EVENTS}")

    def dispatched() -> set[str]:
        return {row[0] for row in fleet.lines() if row[0].startswith("message:")}

    def finished() -> bool:
        """Every accepted event ran, and those the victim was running ran again elsewhere."""
        runners: dict[str, set[int]] = {}
        for row in fleet.lines():
            if row[0].startswith("message:"):
                runners.setdefault(row[0], set()).add(row[2])
        return accepted <= set(runners) and all(
            pids != {victim.pid} for pids in runners.values())

    fleet.wait_for(finished, "every accepted event to be dispatched")
    time.sleep(0.5)  # a second dispatch of anything would show up by now
    runs = [row for row in fleet.lines() if row[0].startswith("message:")]
    assert dispatched() == accepted

    attempts: dict[str, list[tuple[int, int]]] = {}
    for key, attempt, pid in runs:
        attempts.setdefault(key, []).append((attempt, pid))
    for key, seen in attempts.items():
        numbers = sorted(attempt for attempt, _ in seen)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), (key, seen)
        if len(seen) > 1:  # run again only because the worker running it was killed
            assert min(seen)[1] == victim.pid, (key, seen)
    assert len(attempts[f"message:wamid.scale-{EVENTS}"]) == 1
    assert any(pid == victim.pid for _, _, pid in runs)  # it died while running events
    assert {pid for _, _, pid in runs} == pids

    survivors = [p for p in servers + workers if p is not victim]
    for process in survivors:
        process.send_signal(signal.SIGTERM)
    for process in survivors:
        assert process.wait(timeout=20) == 0, fleet.logs()
    stopped = {row[1] for row in fleet.lines() if row[0] == "shutdown"}
    assert stopped == {p.pid for p in survivors}


# -- the worker in-process and on the command line ---------------------------------------------

class Lifecycle:
    """A plugin that notes its start, every message, and its shutdown."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def startup(self, bot) -> None:
        self.calls.append("startup")

    @hookimpl
    def message_received(self, message) -> None:
        self.calls.append(message.key)

    @hookimpl
    def shutdown(self, bot) -> None:
        self.calls.append("shutdown")


async def test_a_worker_dispatches_what_a_server_stored_and_stops_in_order(tmp_path,
                                                                          redis_prefix):
    url = f"{REDIS_URL}?prefix={redis_prefix}&lease_ms=1000"
    settings = make_settings(tmp_path, enabled_plugins=["life"], store={"url": url})
    server_side = RedisStore(url)
    await server_side.open()
    now = int(time.time())
    records = split_body(from_json(text_message(1, now)), now - 86400).records
    assert (await server_side.append(records)).accepted == len(records)
    await server_side.close()

    plugin, stop = Lifecycle(), asyncio.Event()
    running = asyncio.create_task(work(settings, stop, plugins={"life": plugin}))
    deadline = time.monotonic() + 10
    while "message:wamid.scale-1" not in plugin.calls and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, 15)
    assert plugin.calls == ["startup", "message:wamid.scale-1", "shutdown"]
    client = redis.Redis.from_url(REDIS_URL)
    try:  # the leases were given back for the next process
        assert client.keys(f"{redis_prefix}:lease:*") == []
        assert client.xlen(f"{redis_prefix}:events:0") + sum(
            client.xlen(f"{redis_prefix}:events:{p}") for p in range(1, 16)) == 0
    finally:
        client.close()


async def test_an_idle_worker_hears_of_events_another_process_stored_without_polling(
        tmp_path, redis_prefix, monkeypatch):
    # With polling this slow, only a blocking read on Redis can bring the event in quickly.
    monkeypatch.setattr(dispatcher_module, "IDLE_POLL_SECONDS", 60.0)
    url = f"{REDIS_URL}?prefix={redis_prefix}&lease_ms=1000"
    settings = make_settings(tmp_path, enabled_plugins=["life"], store={"url": url})
    plugin, stop = Lifecycle(), asyncio.Event()
    running = asyncio.create_task(work(settings, stop, plugins={"life": plugin}))
    server_side = RedisStore(url)
    await server_side.open()
    try:
        await asyncio.sleep(1.5)  # the worker holds its leases and waits, idle
        now = int(time.time())
        records = split_body(from_json(text_message(7, now)), now - 86400).records
        await server_side.append(records)
        stored = time.monotonic()
        while "message:wamid.scale-7" not in plugin.calls and time.monotonic() - stored < 10:
            await asyncio.sleep(0.01)
        waited = time.monotonic() - stored
    finally:
        await server_side.close()
        stop.set()
        await asyncio.wait_for(running, 15)
    assert "message:wamid.scale-7" in plugin.calls
    # Well under the 4 s a blocking read lasts at most, so the read itself woke the worker.
    assert waited < 3.0


def worker_cli() -> click.Group:
    group = click.Group()
    register_worker_command(group)
    return group


def test_worker_command_reports_settings_problems(tmp_path):
    result = CliRunner().invoke(worker_cli(), ["worker", "--config", str(tmp_path / "no.toml")])
    assert result.exit_code == 2
    assert "no such settings file" in result.output


def test_worker_command_reports_an_unreachable_store_without_its_password(tmp_path):
    port = free_port()
    config = tmp_path / "botkit.toml"
    config.write_text(f"""
[whatsapp]
verify_token = "vt"
app_secret = "{SECRET}"

[store]
url = "redis://:sesame-password@127.0.0.1:{port}/0"

[logging]
format = "text"
""")
    result = CliRunner().invoke(worker_cli(), ["worker", "--config", str(config)])
    assert result.exit_code == 2
    assert f"cannot connect to Redis at redis://:***@127.0.0.1:{port}/0" in result.output
    assert "sesame-password" not in result.output
