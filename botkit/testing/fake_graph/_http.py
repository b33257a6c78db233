"""The fake Graph API's HTTP/1.1 plumbing: a loopback server on h11, run by its own event loop
in a daemon thread, that turns each request into a :class:`RecordedRequest` and writes the
:class:`Reply` it is given back (or drops the connection when there is none).

A small h11 loop rather than an ASGI app because dropping a connection without any answer (a
lost response) is impossible to express through ASGI. Kept apart from the Graph routes so that
neither has to be read to understand the other.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit

import h11

from botkit.testing.fake_graph.wire import RecordedRequest, Reply

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

#: Answers one request; None closes the connection without any answer.
Answer = Callable[[RecordedRequest], Awaitable[Reply | None]]


class BackgroundServer:
    """Serves ``answer`` on ``host`` at a free port until :meth:`stop`."""

    def __init__(self, host: str, answer: Answer) -> None:
        self.host = host
        self.url = ""
        self._answer = answer
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> str:
        """Start serving; returns the base URL once connections are accepted."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="fake-graph-api", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread = None
            raise RuntimeError(f"the fake Graph API did not start: {failure or 'timeout'}")
        return self.url

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready))
        except BaseException as exc:  # reported to start(), which is waiting on ready
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, 0)
        port = server.sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while (request := await _read(conn, reader)) is not None:
                reply = await self._answer(request)
                if reply is None:
                    writer.transport.abort()
                    return
                writer.write(_encode(conn, reply))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError):
            return
        except asyncio.CancelledError:
            return  # stop() cancels open keep-alive connections; ending quietly is the point
        finally:
            self._connections.discard(task)
            writer.close()


async def _read(conn: h11.Connection, reader: asyncio.StreamReader) -> RecordedRequest | None:
    head: h11.Request | None = None
    chunks: list[bytes] = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            return _parse(head, b"".join(chunks))
        else:
            return None


def _parse(head: h11.Request, body: bytes) -> RecordedRequest:
    target = urlsplit(head.target.decode("latin-1"))
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in head.headers
    }
    try:
        parsed = json.loads(body) if "json" in headers.get("content-type", "") else None
    except ValueError:
        parsed = None
    return RecordedRequest(
        method=head.method.decode("ascii"),
        path=target.path,
        query=dict(parse_qsl(target.query, keep_blank_values=True)),
        headers=headers,
        body=body,
        json=parsed,
        time=time.time(),
    )


def _encode(conn: h11.Connection, reply: Reply) -> bytes:
    head = [
        ("content-type", reply.content_type),
        ("content-length", str(len(reply.body))),
        *reply.headers,
    ]
    reason = REASONS.get(reply.status, "OK")
    response = h11.Response(status_code=reply.status, headers=head, reason=reason)
    parts = (response, h11.Data(data=reply.body), h11.EndOfMessage())
    return b"".join(conn.send(part) or b"" for part in parts)
