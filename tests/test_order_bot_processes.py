"""The order-bot example in real `botkit serve` processes: killed with SIGKILL between steps on
SQLite, and two servers taking alternate steps of one dialog on one Redis. Either way the
customer sees exactly one correct order, every message once, and the timeout fires once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from samples import REDIS_URL, free_port

from botkit.testing import ACCESS_TOKEN, FakeGraphAPI, reply_buttons, reply_text, signed_headers
from botkit.testing.payloads import (
    CUSTOMER_WA_ID,
    button_reply_message,
    text_message,
    wire_bytes,
)

BOTKIT = str(Path(sys.executable).with_name("botkit"))
SECRET = "order-secret"
ADDRESS = "12 Rose Street, Springfield"
OTHER = "4915550123456"  # a second customer, who starts an order and falls silent


class OrderBots:
    """`botkit serve` processes running the order-bot on one store, a fake Graph API they all
    send through, and the customer's side: signed posts and the messages the bot sent."""

    def __init__(self, folder: Path, store_url: str, graph: FakeGraphAPI,
                 timeout: float) -> None:
        self.folder, self.store_url, self.graph = folder, store_url, graph
        self.timeout = timeout  # the order's timeout_seconds; the tests wait it out for real
        self.processes: dict[int, subprocess.Popen[str]] = {}
        self.posted: list[bytes] = []
        self.env = {**os.environ, "WHATSAPP_APP_SECRET": SECRET,
                    "WHATSAPP_VERIFY_TOKEN": "verify", "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN}
        self.env.pop("BOTKIT_CONFIG", None)

    def settings(self, port: int) -> Path:
        path = self.folder / f"botkit-{port}.toml"
        path.write_text(f"""
enabled_plugins = ["order-bot"]

[whatsapp]
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}
access_token = {{ env = "WHATSAPP_ACCESS_TOKEN" }}
graph_url = "{self.graph.url}"

[server]
bind = "127.0.0.1:{port}"

[store]
url = "{self.store_url}"

[dispatch]
backoff_initial = 0.05
backoff_max = 0.2

[conversations]
timer_poll_seconds = 0.1

[logging]
format = "text"

[plugins.order-bot]
timeout_seconds = {self.timeout}
""")
        return path

    def start(self, *ports: int) -> list[str]:
        """Start a server on each port (again, after a kill), side by side; their base URLs
        once every one is ready."""
        for port in ports:
            log = open(self.folder / f"serve-{port}.log", "a")  # noqa: SIM115 - see below
            self.processes[port] = subprocess.Popen(
                [BOTKIT, "serve", "--config", str(self.settings(port))], cwd=self.folder,
                env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True)
            log.close()  # the process has its own copy
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for port, base in zip(ports, bases, strict=True):
            self.wait_ready(base, self.processes[port])
        return bases

    def wait_ready(self, base: str, process: subprocess.Popen[str]) -> None:
        """Until the server at ``base`` answers /readyz; its log if it exits or never does."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"botkit serve exited with {process.returncode}\n"
                                     f"{self.logs()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"botkit serve at {base} did not become ready\n{self.logs()}")

    def command(self, port: int, *args: str) -> str:
        """Run a ``botkit`` command beside the server on ``port``, on its settings."""
        done = subprocess.run([BOTKIT, *args, "--config", str(self.settings(port))],
                              cwd=self.folder, env=self.env, capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def kill(self, port: int) -> None:
        process = self.processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}"
                         for p in sorted(self.folder.glob("serve-*.log")))

    def post(self, base: str, body: bytes) -> None:
        """POST a signed webhook as Meta does; it must be acknowledged."""
        response = httpx.post(f"{base}/webhook", content=body,
                              headers=signed_headers(body, SECRET), timeout=10)
        assert response.status_code == 200, (response.status_code, response.text)

    def say(self, base: str, text: str, customer: str = CUSTOMER_WA_ID) -> bytes:
        body = wire_bytes(text_message(text, sender=customer))
        self.post(base, body)
        self.posted.append(body)
        return body

    def tap(self, base: str, button_id: str, title: str) -> bytes:
        body = wire_bytes(button_reply_message(button_id, title))
        self.post(base, body)
        self.posted.append(body)
        return body

    def sent(self, customer: str = CUSTOMER_WA_ID) -> list[dict[str, Any]]:
        return [m for m in self.graph.sent_messages() if m.get("to") == customer]

    def wait_for(self, count: int, customer: str = CUSTOMER_WA_ID,
                 timeout: float = 20.0) -> list[dict[str, Any]]:
        """The messages sent to ``customer``, once there are ``count``; then a moment more, so
        that a message sent twice would show."""
        deadline = time.monotonic() + timeout
        while len(self.sent(customer)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got "
                                     f"{json.dumps(self.sent(customer), indent=1)}\n"
                                     f"{self.logs()}")
            time.sleep(0.02)
        time.sleep(0.3)
        return self.sent(customer)

    def wait_for_send_request(self, text: str, timeout: float = 10.0) -> None:
        """Until the Graph API is asked to send a message reading ``text`` (answered or not)."""
        deadline = time.monotonic() + timeout
        while not any(r.path.endswith("/messages") and isinstance(r.json, dict)
                      and text in reply_text(r.json) for r in list(self.graph.requests)):
            assert time.monotonic() < deadline, self.logs()
            time.sleep(0.01)


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture
def order_bots(tmp_path: Path, graph: FakeGraphAPI) -> Iterator[Callable[..., OrderBots]]:
    made: list[OrderBots] = []

    def make(store_url: str, timeout: float) -> OrderBots:
        made.append(OrderBots(tmp_path, store_url, graph, timeout))
        return made[-1]

    yield make
    for bots in made:
        bots.stop()


def offered(message: dict[str, Any]) -> dict[str, str]:
    """Button title -> id, as the customer sees the buttons of a message."""
    return {title: button_id for button_id, title in reply_buttons(message)}


def check_order(sent: list[dict[str, Any]]) -> None:
    """The four answers of one Large order to ADDRESS, in order, each exactly once."""
    sizes, question, confirmation, placed = sent
    assert list(offered(sizes)) == ["Small", "Large"]
    assert question["type"] == "text" and "address" in reply_text(question)
    assert list(offered(confirmation)) == ["Confirm", "Cancel"]
    assert "Large" in reply_text(confirmation) and ADDRESS in reply_text(confirmation)
    assert placed["type"] == "text" and "Order placed" in reply_text(placed)


def check_timed_out(bots: OrderBots, started: float) -> None:
    """The silent customer got the size question and then, once, that the order timed out."""
    sizes, timed_out = bots.wait_for(2, OTHER, timeout=bots.timeout + 20)
    assert list(offered(sizes)) == ["Small", "Large"]
    assert timed_out["type"] == "text" and "timed out" in reply_text(timed_out)
    assert time.monotonic() - started >= bots.timeout
    time.sleep(0.5)
    assert len(bots.sent(OTHER)) == 2


def test_sqlite_the_order_goes_on_after_every_sigkill_and_times_out_after_one(
        tmp_path, order_bots, graph):
    # Longer than a restart takes (there is at most one between two steps of the customer);
    # the silent customer's order outlives them all.
    bots = order_bots(f"sqlite:///{tmp_path / 'data' / 'botkit.db'}", timeout=20.0)
    port = free_port()
    [base] = bots.start(port)
    silent_since = time.monotonic()
    bots.say(base, "order", customer=OTHER)
    bots.wait_for(1, OTHER)

    order = bots.say(base, "order")
    [sizes] = bots.wait_for(1)
    bots.kill(port)  # between two steps
    [base] = bots.start(port)
    bots.post(base, order)  # Meta redelivers the first step to the new process: no effect

    bots.tap(base, offered(sizes)["Large"], "Large")
    bots.wait_for(2)
    # Killed while the confirmation is on its way to the Graph API: the step is committed, and
    # the message, whose fate the dead process never learnt, is not sent a second time.
    graph.delay_next(1, 1.0)
    bots.say(base, ADDRESS)
    bots.wait_for_send_request(ADDRESS)
    bots.kill(port)
    [base] = bots.start(port)
    confirmation = bots.wait_for(3)[2]

    bots.tap(base, offered(confirmation)["Confirm"], "Confirm")
    check_order(bots.wait_for(4))
    check_timed_out(bots, silent_since)  # scheduled by the first process, fired by a later one

    for body in bots.posted:  # every message redelivered after all this: nothing is sent again
        bots.post(base, body)
    time.sleep(0.5)
    assert len(bots.sent()) == 4 and len(bots.sent(OTHER)) == 2
    # The one message in doubt is reported to the operator instead of being sent again.
    [dead] = json.loads(bots.command(port, "dead-letters", "list", "--json"))
    assert dead["plugin"] == "order-bot" and "outcome unknown" in dead["error"], dead


def test_redis_two_servers_take_alternate_steps_of_one_order(tmp_path, order_bots,
                                                             redis_prefix):
    bots = order_bots(f"{REDIS_URL}?prefix={redis_prefix}&lease_ms=2000", timeout=5.0)
    bases = bots.start(free_port(), free_port())
    silent_since = time.monotonic()
    bots.say(bases[0], "order", customer=OTHER)

    bots.say(bases[0], "order")
    [sizes] = bots.wait_for(1)
    tap = bots.tap(bases[1], offered(sizes)["Large"], "Large")
    bots.wait_for(2)
    bots.post(bases[0], tap)  # the same tap, redelivered to the other server
    address = bots.say(bases[0], ADDRESS)
    confirmation = bots.wait_for(3)[2]
    bots.post(bases[1], address)
    bots.tap(bases[1], offered(confirmation)["Confirm"], "Confirm")
    check_order(bots.wait_for(4))
    check_timed_out(bots, silent_since)  # both servers fire timers; it is heard once

    for i, body in enumerate(bots.posted):  # everything again, to the other server
        bots.post(bases[(i + 1) % 2], body)
    time.sleep(0.5)
    assert len(bots.sent()) == 4 and len(bots.sent(OTHER)) == 2
    assert all(process.poll() is None for process in bots.processes.values()), bots.logs()
