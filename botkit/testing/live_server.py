"""Run an ASGI app on a real uvicorn server bound to a free loopback port, inside a test."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn


class LiveServer:
    """``async with LiveServer(app) as server: server.url`` — startup and shutdown included."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> LiveServer:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on such sockets, and without it
        # every answer after the first on a kept-alive connection waits ~40 ms (Nagle).
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET,
                             socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="on", log_config=None, access_log=False,
                                timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # older uvicorn
        self._task = asyncio.create_task(self._serve(sock))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.01)
        self.url = f"http://{self.host}:{port}"
        return self

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            await self._server.serve(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits when the app's startup fails
            raise RuntimeError("the app failed to start (see the log)") from exc

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task
