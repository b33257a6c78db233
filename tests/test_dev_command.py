"""`botkit dev` as a developer meets it: a real process serving a project from its folder, a
signed webhook answered through the fake Graph API it prints, a plugin edited on disk and
answering with its new text after the automatic restart, a typo reported and the server back
once it is fixed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from samples import free_port

from botkit.cli.dev import IGNORED_DIRS, SourceFilter, plugin_folders, watch_roots
from botkit.testing import signed_headers
from botkit.testing.payloads import text_message, wire_bytes

APP_SECRET = "dev-app-secret"
PLUGIN = '''\
from __future__ import annotations

from botkit import Message, Router, filters as f

router = Router("hello-dev")


@router.message(f.text.any())
def hello(message: Message) -> str:
    return "Hello from version 1"
'''
# Runs the command itself, as `botkit dev` does once the command is part of `botkit`.
DEV = [sys.executable, "-c", "from botkit.cli.dev import dev; dev(prog_name='botkit dev')"]


def make_project(root: Path, port: int) -> Path:
    """A bot project: its own plugin (a router) made findable through a dist-info folder, the
    way an installed package is, and a settings file."""
    package = root / "hello_dev"
    package.mkdir()
    (package / "__init__.py").write_text(PLUGIN)
    info = root / "hello_dev-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-dev\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[botkit]\nhello-dev = hello_dev:router\n")
    settings = root / "botkit.toml"
    settings.write_text(
        'enabled_plugins = ["hello-dev"]\n\n[whatsapp]\nverify_token = "dev-verify"\n'
        f'app_secret = "{APP_SECRET}"\n\n[server]\nbind = "127.0.0.1:{port}"\n\n'
        '[store]\nurl = "sqlite:///botkit-data/botkit.db"\n')
    return settings


class Lines:
    """The lines a stream of a process writes, read in a thread, to wait on."""

    def __init__(self, stream) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s; got:\n"
                             + "\n".join(self.seen))


def post_text(url: str, text: str) -> int:
    body = wire_bytes(text_message(text))
    try:
        return httpx.post(url, content=body, headers=signed_headers(body, APP_SECRET),
                          timeout=5).status_code
    except httpx.TransportError:
        return 0


def answers_with(url: str, out: Lines, err: Lines, text: str) -> None:
    """Post until the (restarted) server answers with ``text``."""
    deadline = time.monotonic() + 30
    while True:
        post_text(url, "hi again")
        try:
            out.wait_for(text, timeout=1)
            return
        except AssertionError:
            assert time.monotonic() < deadline, "\n".join(out.seen + err.seen)


def test_dev_answers_reloads_an_edited_plugin_and_answers_anew(tmp_path):
    port = free_port()
    make_project(tmp_path, port)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("BOTKIT_CONFIG", None)
    process = subprocess.Popen([*DEV, "--config", "botkit.toml", "--fake-graph"], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    out, err = Lines(process.stdout), Lines(process.stderr)
    url = f"http://127.0.0.1:{port}/webhook"
    try:
        err.wait_for("fake Graph API at http://127.0.0.1:")
        deadline = time.monotonic() + 30
        while post_text(url, "hi") != 200:  # until the server listens
            assert time.monotonic() < deadline, "\n".join(err.seen)
            time.sleep(0.2)
        line = out.wait_for("Hello from version 1")
        assert "to 15557654321  text: Hello from version 1" in line

        plugin = tmp_path / "hello_dev" / "__init__.py"
        plugin.write_text(PLUGIN.replace("version 1", "version 2"))
        err.wait_for("hello_dev/__init__.py changed: restarting")
        answers_with(url, out, err, "Hello from version 2")

        plugin.write_text(PLUGIN + "\ndef broken(:\n")  # a typo: the server cannot start
        err.wait_for("plugin 'hello-dev' failed to import: SyntaxError")
        err.wait_for("the server stopped (exit status 2); fix the problem above")
        plugin.write_text(PLUGIN.replace("version 1", "version 3"))  # fixed: it comes back
        answers_with(url, out, err, "Hello from version 3")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, "\n".join(err.seen)
    with pytest.raises(httpx.TransportError):  # the server stopped with it
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_what_is_watched(tmp_path):
    (tmp_path / "src").mkdir()
    roots = watch_roots(tmp_path, tmp_path / "botkit.toml", ["auto-reply", "not-installed"])
    import botkit_auto_reply

    assert roots[0] == tmp_path.resolve()
    assert Path(botkit_auto_reply.__file__).parent.resolve() in roots
    assert plugin_folders(["not-installed"]) == []
    keep = SourceFilter(tmp_path / "botkit.toml")
    assert keep(None, str(tmp_path / "src" / "bot.py"))
    assert keep(None, str(tmp_path / "botkit.toml"))
    assert not keep(None, str(tmp_path / "other.toml"))
    assert not keep(None, str(tmp_path / "botkit-data" / "botkit.db"))
    for ignored in IGNORED_DIRS:
        assert not keep(None, str(tmp_path / ignored / "module.py")), ignored
