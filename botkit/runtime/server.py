"""Run the app on a real ASGI server: uvicorn (uvloop + httptools, the default) or hypercorn.

The order is what keeps a failed start clean: the listening sockets are opened first (see
:mod:`botkit.runtime.listeners`), so a taken port ends the command at once, holding nothing.
Then the app starts (store, plugins, dispatch), and only then does the server accept
connections; on the way out the server stops first, then the app. Start-up and shut-down run
here, not in the server's lifespan, so that a failure (another process owns the SQLite store,
Redis cannot be reached) is an exception that ends the process with one line and a non-zero
status, having closed what it had opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from typing import Any, cast

from quart import Quart

from botkit.errors import BotkitError
from botkit.runtime.asgi import ASGIApp, metrics_app, served_app
from botkit.runtime.header_deadline import header_deadline_protocol
from botkit.runtime.listeners import Listeners
from botkit.runtime.signals import run_until_signalled
from botkit.security.tls import server_context
from botkit.settings import ServerSettings, Settings

#: Seconds open connections get to finish once a stop is asked for.
GRACEFUL_SECONDS = 15


def run(app: Quart, settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully (dispatch stops, store closes).

    Raises :class:`~botkit.runtime.listeners.ServeError` before anything is started when a
    port is taken, and the start-up's own error (another process owns the SQLite store, Redis
    cannot be reached, a plugin's ``startup`` failed) after undoing what was started."""
    listeners = Listeners.open(settings.server)
    try:
        run_until_signalled(lambda stop: serve(app, settings, stop, listeners))
    finally:
        listeners.close()


async def serve(app: Quart, settings: Settings, stop: asyncio.Event,
                listeners: Listeners | None = None) -> None:
    """Start the app, serve until ``stop`` is set, stop serving, stop the app."""
    own = listeners is None
    listeners = listeners or Listeners.open(settings.server)
    try:
        with _no_traceback_for_botkit_errors(app.logger):
            await app.startup()
        try:
            await _serve(app, settings, stop, listeners)
        finally:
            await app.shutdown()
    finally:
        if own:
            listeners.close()


async def _serve(app: Quart, settings: Settings, stop: asyncio.Event,
                 listeners: Listeners) -> None:
    server = settings.server
    serve_one = _serve_hypercorn if server.server == "hypercorn" else _serve_uvicorn
    webhook = served_app(cast(ASGIApp, app), hide_metrics=listeners.metrics is not None)
    runs = [serve_one(webhook, server, listeners.webhook, stop, tls=True)]
    if listeners.metrics is not None:
        render = app.extensions["botkit"].stats.render
        runs.append(serve_one(metrics_app(render), server, listeners.metrics, stop, tls=False))
    tasks = [asyncio.ensure_future(coroutine) for coroutine in runs]
    try:
        await asyncio.gather(*tasks)
    finally:
        stop.set()  # one server ending (an error) ends the other
        await asyncio.gather(*tasks, return_exceptions=True)


class _DropBotkitErrors(logging.Filter):
    """Quart logs a traceback for any start-up failure; botkit's own errors are reported
    once, as one line, by the command instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, BotkitError)


@contextlib.contextmanager
def _no_traceback_for_botkit_errors(logger: logging.Logger) -> Iterator[None]:
    drop = _DropBotkitErrors()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


async def _serve_uvicorn(app: ASGIApp, server: ServerSettings, sock: socket.socket,
                         stop: asyncio.Event, *, tls: bool) -> None:
    import uvicorn

    config = uvicorn.Config(
        app, http=header_deadline_protocol(server.header_timeout), lifespan="off",
        access_log=False, log_config=None, server_header=False, date_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS, **(_uvicorn_tls(server) if tls else {}),
    )

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # botkit's own signal handling (runtime.signals) decides when to stop.
            yield

    instance = Server(config)
    serving = asyncio.ensure_future(instance.serve(sockets=[sock]))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    instance.should_exit = True
    stopping.cancel()
    await serving


async def _serve_hypercorn(app: ASGIApp, server: ServerSettings, sock: socket.socket,
                           stop: asyncio.Event, *, tls: bool) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    config = _hypercorn_config(server) if tls else Config()
    config.bind = [f"fd://{os.dup(sock.fileno())}"]  # hypercorn closes its own copy
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # botkit's handlers, not its own
    config.graceful_timeout = GRACEFUL_SECONDS
    config.include_server_header = False
    # hypercorn's idle timer runs from the connection's start (or its previous answer) until
    # a request's headers are complete: it is the request-head deadline.
    config.keep_alive_timeout = server.header_timeout
    await hypercorn_serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]


# -- TLS: both servers get the context built by botkit.tls (it checks the client's name) ------


def _uvicorn_tls(server: ServerSettings) -> dict[str, Any]:
    context = server_context(server)
    if context is None:
        return {}
    return {
        "ssl_certfile": server.certfile, "ssl_keyfile": server.keyfile,
        "ssl_ca_certs": server.client_ca, "ssl_cert_reqs": context.verify_mode,
        "ssl_context_factory": lambda _config, _default: context,
    }


def _hypercorn_config(server: ServerSettings) -> Any:
    from hypercorn.config import Config

    context = server_context(server)
    if context is None:
        return Config()

    class TLSConfig(Config):
        def create_ssl_context(self) -> ssl.SSLContext:
            return context

    config = TLSConfig()
    config.certfile, config.keyfile = server.certfile, server.keyfile
    config.ca_certs, config.verify_mode = server.client_ca, context.verify_mode
    config.alpn_protocols = ["http/1.1"]
    return config
