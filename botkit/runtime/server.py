"""Run the app on a real ASGI server: uvicorn (uvloop + httptools, the default) or hypercorn."""

from __future__ import annotations

import asyncio
import signal
import ssl
from typing import Any

from quart import Quart

from botkit.security.tls import server_context
from botkit.settings import ServerSettings, Settings


def run(app: Quart, settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully (dispatch stops, store closes)."""
    server = settings.server
    if server.server == "hypercorn":
        _run_hypercorn(app, settings)
        return
    import uvicorn

    config = uvicorn.Config(
        app, host=server.host, port=server.port, loop="uvloop", http="httptools",
        lifespan="on", access_log=False, log_config=None, server_header=False,
        date_header=False, timeout_graceful_shutdown=15, **_uvicorn_tls(server),
    )
    # uvicorn re-raises the stop signal after its graceful shutdown; with these handlers in
    # place that ends the process with status 0 instead of "killed by SIGTERM".
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(config).run()


def _run_hypercorn(app: Quart, settings: Settings) -> None:
    from hypercorn.asyncio import serve

    config = _hypercorn_config(settings.server)
    host = settings.server.host
    config.bind = [f"[{host}]:{settings.server.port}" if ":" in host else
                   f"{host}:{settings.server.port}"]
    config.accesslog = None
    config.graceful_timeout = 15
    config.include_server_header = False

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


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
