"""`botkit fake-graph` and the first run it makes possible without a Meta account, as the
quickstart shows it: the fake in one process, `botkit serve` with the quickstart's settings in
another, `botkit send-test --text hello` playing the customer, and the bot's answer printed by
the fake as one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from samples import free_port, wait_ready
from test_dev_command import Lines

from botkit.cli.fake_graph_cmd import describe_message, describe_receipt, start_fake_graph

BOTKIT = str(Path(sys.executable).with_name("botkit"))
FAKE_GRAPH = [sys.executable, "-c",
              "from botkit.cli.fake_graph_cmd import fake_graph; "
              "fake_graph(prog_name='botkit fake-graph')"]
QUICKSTART = Path(__file__).resolve().parents[1] / "docs" / "quickstart.md"


def quickstart_settings(graph_port: int, port: int) -> str:
    """The settings file of the quickstart, on free ports instead of 5555 and 8000."""
    text = QUICKSTART.read_text(encoding="utf-8")
    settings = text.split("cat > botkit.toml <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    assert "127.0.0.1:5555" in settings
    return (settings.replace("127.0.0.1:5555", f"127.0.0.1:{graph_port}")
            + f'\n[server]\nbind = "127.0.0.1:{port}"\n')


ENV = {"WHATSAPP_APP_SECRET": "dev-secret", "WHATSAPP_VERIFY_TOKEN": "dev-token",
       "WHATSAPP_ACCESS_TOKEN": "dev-token", "BOTKIT_CONFIG": "botkit.toml"}


@pytest.fixture
def stopped_at_end():
    started: list[subprocess.Popen] = []
    yield started.append
    for process in reversed(started):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def test_fake_graph_serve_and_send_test_make_a_first_conversation(tmp_path, stopped_at_end):
    graph_port, port = free_port(), free_port()
    (tmp_path / "botkit.toml").write_text(quickstart_settings(graph_port, port))
    env = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
    fake = subprocess.Popen([*FAKE_GRAPH, "--port", str(graph_port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped_at_end(fake)
    printed = Lines(fake.stdout)
    printed.wait_for(f'graph_url = "http://127.0.0.1:{graph_port}"')
    server = subprocess.Popen([BOTKIT, "serve"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stopped_at_end(server)
    wait_ready(f"http://127.0.0.1:{port}", server)

    sent = subprocess.run([BOTKIT, "send-test", "--text", "hello", "--from", "+44 7700 900123",
                           "--name", "Ana"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "200: 1" in sent.stdout and "botkit fake-graph" in sent.stdout
    line = printed.wait_for("to 447700900123")
    assert line.endswith("to 447700900123  text: Hello Ana! This is botkit.")
    printed.wait_for("read receipt for wamid.")  # auto-reply's blue ticks, on their own line

    fake.send_signal(signal.SIGTERM)  # stops cleanly, and its port with it
    assert fake.wait(timeout=20) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{graph_port}/", timeout=2)


def test_a_taken_port_is_one_clear_error(tmp_path):
    running = start_fake_graph(0)
    try:
        port = running.url.rsplit(":", 1)[1]
        done = subprocess.run([*FAKE_GRAPH, "--port", port], capture_output=True, text=True,
                              timeout=30)
    finally:
        running.stop()
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr


def test_the_fake_answers_like_meta_and_takes_any_token():
    fake = start_fake_graph(0)
    try:
        answer = httpx.post(f"{fake.url}/v23.0/1098/messages",
                            headers={"Authorization": "Bearer anything"},
                            json={"messaging_product": "whatsapp", "to": "15557654321",
                                  "type": "text", "text": {"body": "hi"}})
        assert answer.status_code == 200 and answer.json()["messages"][0]["id"]
        refused = httpx.post(f"{fake.url}/v23.0/1098/messages",
                             json={"messaging_product": "whatsapp", "type": "text",
                                   "text": {"body": "hi"}})
        assert refused.status_code == 400  # no recipient: Meta's answer, not a crash
    finally:
        fake.stop()


@pytest.mark.parametrize(("body", "line"), [
    ({"to": "1555", "type": "text", "text": {"body": "Hi\nthere  you"}},
     "to 1555  text: Hi there you"),
    ({"to": "1555", "type": "interactive", "interactive": {
        "type": "button", "body": {"text": "How can I help?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "Hours"}},
                               {"type": "reply", "reply": {"id": "b", "title": "Talk"}}]}}},
     'to 1555  interactive: button "How can I help?" [Hours] [Talk]'),
    ({"to": "1555", "type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Pick"},
        "action": {"button": "Questions", "sections": [{"rows": [{"id": "1"}, {"id": "2"}]}]}}},
     'to 1555  interactive: list "Pick" (2 rows under [Questions])'),
    ({"to": "1555", "type": "template", "template": {"name": "order_update",
                                                      "language": {"code": "en_US"}}},
     "to 1555  template: order_update (en_US)"),
    ({"to": "1555", "type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👀"}},
     "to 1555  reaction: 👀 on wamid.X"),
    ({"to": "1555", "type": "image", "image": {"link": "https://x/y.png", "caption": "Look"}},
     "to 1555  image: https://x/y.png Look"),
    ({"recipient": "US.42", "type": "text", "text": {"body": "x" * 300}},
     "to US.42  text: " + "x" * 199 + "…"),
    ({"to": "1555", "type": "sticker"}, "to 1555  sticker"),
])
def test_each_message_is_one_readable_line(body, line):
    assert describe_message(body) == line


def test_read_receipts_are_told_apart():
    assert describe_receipt({"message_id": "wamid.A"}) == "read receipt for wamid.A"
    assert describe_receipt({"message_id": "wamid.A", "typing_indicator": {"type": "text"}}) \
        == "read receipt for wamid.A (typing…)"
