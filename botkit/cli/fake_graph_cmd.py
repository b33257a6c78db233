"""``botkit fake-graph``: a local stand-in for Meta's Graph API that prints what the bot sends.

A newcomer can watch a bot answer before they have a Meta account: point ``[whatsapp]
graph_url`` at it, post a customer's message with ``botkit send-test --text hello``, and each
message the bot sends appears here as one line. It is the test kit's fake
(:class:`botkit.testing.fake_graph.FakeGraphAPI`), so it answers like Meta does; it accepts any
access token. ``botkit dev --fake-graph`` runs the same thing next to the bot.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import click

from botkit.cli.common import fail
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.fake_graph._http import BackgroundServer

DEFAULT_PORT = 5555
#: The access token a bot gets when it has none and talks to the fake (which takes any).
FAKE_ACCESS_TOKEN = "fake-graph-token"
TEXT_SHOWN = 200  # characters of a text shown on its line


class _PortServer(BackgroundServer):
    """The fake's HTTP server on a chosen port (the test kit's picks a free one)."""

    def __init__(self, host: str, port: int, answer: Any) -> None:
        super().__init__(host, answer)
        self.port = port
        self.bind_error: str | None = None

    async def _serve(self, ready: threading.Event) -> None:
        import asyncio

        self._stopping = asyncio.Event()
        try:
            server = await asyncio.start_server(self._connection, self.host, self.port)
        except OSError as exc:
            self.bind_error = exc.strerror or str(exc)
            raise
        self.url = f"http://{self.host}:{server.sockets[0].getsockname()[1]}"
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()


def start_fake_graph(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> FakeGraphAPI:
    """A running fake Graph API on ``host:port`` (0: any free port) that takes any token.

    Raises ``OSError`` when the port is taken."""
    fake = FakeGraphAPI(host=host)
    server = fake._server = _PortServer(host, port, fake._answer)
    try:
        fake.start()
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {server.bind_error or exc}") from None
    return fake


# -- one line per message ---------------------------------------------------------------------

def _short(text: Any) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= TEXT_SHOWN else flat[:TEXT_SHOWN - 1] + "…"


def _interactive(content: Mapping[str, Any]) -> str:
    kind = str(content.get("type", "?"))
    body = content.get("body")
    text = _short(body.get("text", "")) if isinstance(body, Mapping) else ""
    action = content.get("action")
    action = action if isinstance(action, Mapping) else {}
    choices = ""
    if kind == "button":
        titles = [b.get("reply", {}).get("title", "?") for b in action.get("buttons", [])
                  if isinstance(b, Mapping)]
        choices = " " + " ".join(f"[{title}]" for title in titles)
    elif kind == "list":
        rows = sum(len(s.get("rows", [])) for s in action.get("sections", [])
                   if isinstance(s, Mapping))
        choices = f" ({rows} rows under [{action.get('button', '?')}])"
    return f"{kind} {json.dumps(text, ensure_ascii=False)}{choices}"


def _summary(kind: str, content: Any) -> str:
    if not isinstance(content, Mapping):
        return ""
    if kind == "text":
        return _short(content.get("body", ""))
    if kind == "interactive":
        return _interactive(content)
    if kind == "template":
        language = content.get("language")
        code = language.get("code", "?") if isinstance(language, Mapping) else "?"
        return f"{content.get('name', '?')} ({code})"
    if kind == "reaction":
        return f"{content.get('emoji') or '(removed)'} on {content.get('message_id', '?')}"
    if kind == "location":
        place = content.get("name") or f"{content.get('latitude')},{content.get('longitude')}"
        return _short(place)
    where = content.get("link") or content.get("id") or ""
    caption = content.get("caption")
    return _short(f"{where} {caption}" if caption else where)


def describe_message(body: Mapping[str, Any]) -> str:
    """A sent message as one line: ``to 15557654321  text: Hello!``."""
    kind = str(body.get("type", "text"))
    to = body.get("to") or body.get("recipient") or "?"
    summary = _summary(kind, body.get(kind))
    return f"to {to}  {kind}: {summary}" if summary else f"to {to}  {kind}"


def describe_receipt(body: Mapping[str, Any]) -> str:
    typing = " (typing…)" if body.get("typing_indicator") else ""
    return f"read receipt for {body.get('message_id', '?')}{typing}"


class SentPrinter:
    """Prints every message (and read receipt) the fake accepts, in order, one line each."""

    def __init__(self, fake: FakeGraphAPI, out: TextIO, *, clock: Callable[[], float]
                 = time.time) -> None:
        self.fake = fake
        self.out = out
        self.clock = clock
        self._messages = 0
        self._receipts = 0

    def _new(self) -> list[str]:
        state = self.fake.state
        lines = [describe_message(body) for _, body in state.accepted[self._messages:]]
        lines += [describe_receipt(body) for body in state.receipts[self._receipts:]]
        self._messages, self._receipts = len(state.accepted), len(state.receipts)
        return lines

    def print_until(self, stop: threading.Event, poll: float = 0.2) -> None:
        """Print what arrives until ``stop`` is set."""
        state = self.fake.state
        while not stop.is_set():
            with state.lock:
                state.lock.wait_for(lambda: len(state.accepted) > self._messages
                                    or len(state.receipts) > self._receipts, poll)
                lines = self._new()
            stamp = time.strftime("%H:%M:%S", time.localtime(self.clock()))
            for line in lines:
                self.out.write(f"{stamp}  {line}\n")
            if lines:
                self.out.flush()

    def start(self, stop: threading.Event) -> threading.Thread:
        """:meth:`print_until` in a daemon thread."""
        thread = threading.Thread(target=self.print_until, args=(stop,), daemon=True,
                                  name="fake-graph-printer")
        thread.start()
        return thread


@click.command("fake-graph")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def fake_graph(port: int) -> None:
    """Run a local stand-in for Meta's Graph API and print each message the bot sends.

    Point the bot at it with [whatsapp] graph_url = "http://127.0.0.1:5555" (any access token
    works), then post a customer's message with botkit send-test --text hello. Ctrl-C stops it.
    """
    try:
        fake = start_fake_graph(port)
    except OSError as exc:
        fail(f"{exc} (another fake-graph running? try --port 0)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"fake Graph API at {fake.url}: the bot's messages appear below.\n"
               f'point the bot at it: [whatsapp] graph_url = "{fake.url}"  (any access token)\n'
               "Ctrl-C to stop.")
    try:
        SentPrinter(fake, sys.stdout).print_until(stop)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
