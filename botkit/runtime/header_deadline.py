"""Closing connections that never finish their request head (slowloris), on uvicorn.

uvicorn's httptools protocol starts no timer while it waits for a request's headers: a client
that opens a connection and sends half a header, a byte now and then, holds the connection for
as long as it likes. botkit serves with a subclass of that protocol that gives each request head
``[server] header_timeout`` seconds, counted from the moment the connection opens or its
previous answer is complete, and closes the connection when the head is not complete by then.
(hypercorn already closes such connections after its ``keep_alive_timeout``, which botkit sets
to the same value: its idle timer runs until a request's headers are complete.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("botkit.server")


def header_deadline_protocol(timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, with a deadline of ``timeout`` s for each request head."""

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None
        _head_bytes = 0

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is not None:
                self._head_bytes += len(data)
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and not self.pipeline:
                self._arm()  # waiting for the next request's head

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_bytes = 0
            self._head_timer = self.loop.call_later(timeout, self._expired)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expired(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            client = self.client[0] if self.client else "?"
            if self._head_bytes:
                log.warning("closed a connection from %s: its request head was not complete "
                            "within %g s (%d bytes received)", client, timeout, self._head_bytes)
            else:
                log.info("closed an idle connection from %s: no request within %g s", client,
                         timeout)
            self.transport.close()

    return HeaderDeadlineProtocol
