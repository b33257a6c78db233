"""The listening sockets of ``botkit serve``, opened before anything else.

A port that is taken (or an address that does not exist here) is found out first, while the
process holds nothing yet: no store opened, no lease taken, no plugin started. The command then
ends at once with one line naming the address, instead of starting the bot only to stop it.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

from botkit.errors import BotkitError
from botkit.settings import ServerSettings

BACKLOG = 2048


class ServeError(BotkitError):
    """``botkit serve`` cannot listen where the settings say."""


def listen(host: str, port: int, what: str = "server.bind") -> socket.socket:
    """A TCP socket bound and listening on ``host:port`` (``IPPROTO_TCP``, so that asyncio
    turns Nagle off on every accepted connection)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}:{port} ({what}): {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise ServeError(f"cannot listen on {_shown(host)}:{port} ({what}): {reason}") from None
    sock.setblocking(False)
    return sock


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class Listeners:
    """The webhook's socket and, with ``[server] metrics_bind``, the metrics socket."""

    webhook: socket.socket
    metrics: socket.socket | None = None

    @classmethod
    def open(cls, server: ServerSettings) -> Listeners:
        """Both sockets, or ServeError (and nothing left open)."""
        webhook = listen(server.host, server.port)
        address = server.metrics_address
        if address is None:
            return cls(webhook)
        try:
            return cls(webhook, listen(*address, what="server.metrics_bind"))
        except ServeError:
            webhook.close()
            raise

    def close(self) -> None:
        for sock in (self.webhook, self.metrics):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
