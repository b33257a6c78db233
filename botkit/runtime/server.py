"""Run the app on a real ASGI server: uvicorn (uvloop + httptools, the default) or hypercorn."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from typing import Any

from quart import Quart

from botkit.runtime.signals import run_until_signalled
from botkit.security.tls import server_context
from botkit.settings import ServerSettings, Settings


def run(app: Quart, settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully (dispatch stops, store closes)."""
    serve = _serve_hypercorn if settings.server.server == "hypercorn" else _serve_uvicorn
    run_until_signalled(lambda stop: serve(app, settings, stop))


async def _serve_uvicorn(app: Quart, settings: Settings, stop: asyncio.Event) -> None:
    import uvicorn

    server = settings.server
    config = uvicorn.Config(
        app, host=server.host, port=server.port, http="httptools",
        lifespan="on", access_log=False, log_config=None, server_header=False,
        date_header=False, timeout_graceful_shutdown=15, **_uvicorn_tls(server),
    )

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # botkit's own signal handling (runtime.signals) decides when to stop.
            yield

    instance = Server(config)
    serving = asyncio.ensure_future(instance.serve())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    instance.should_exit = True
    stopping.cancel()
    await serving


async def _serve_hypercorn(app: Quart, settings: Settings, stop: asyncio.Event) -> None:
    from hypercorn.asyncio import serve

    config = _hypercorn_config(settings.server)
    host = settings.server.host
    config.bind = [f"[{host}]:{settings.server.port}" if ":" in host else
                   f"{host}:{settings.server.port}"]
    config.accesslog = None
    config.graceful_timeout = 15
    config.include_server_header = False
    await serve(app, config, shutdown_trigger=stop.wait)


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
