"""Shared by the Flows app, messages and command-line tests: a key pair, settings with
``[flows]``, an app built with the Flows endpoint installed, and the two Flows hooks."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pluggy
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from botkit.flows import FlowsEndpoint, generate_key_pair, load_private_key
from botkit.settings import Settings
from botkit.testing import LiveServer, make_settings

PASSPHRASE = "correct horse battery staple"
PHONE_NUMBER_ID = "109862385428321"
CUSTOMER = "15557654321"

hookspec = pluggy.HookspecMarker("botkit")


@hookspec
def register_flow_handlers(bot: Any, register: Any) -> None:
    """Hand over a FlowHandlers registry: ``register(handlers)``."""


@hookspec
def flow_error_received(bot: Any, notification: Any) -> None:
    """A WhatsApp client reported that an answer of the endpoint broke a Flow."""


def declare_flow_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure botkit's plugin contract has the two Flows hooks (it does once they are part of
    ``botkit.hookspecs``; until then they are added for the test)."""
    from botkit import hookspecs

    for spec in (register_flow_handlers, flow_error_received):
        if not hasattr(hookspecs, spec.__name__):
            monkeypatch.setattr(hookspecs, spec.__name__, spec, raising=False)


@functools.cache
def key_pair() -> tuple[bytes, bytes, RSAPrivateKey]:
    """One encrypted key pair for the whole run: (private PEM, public PEM, key)."""
    private_pem, public_pem = generate_key_pair(PASSPHRASE)
    return private_pem, public_pem, load_private_key(private_pem, PASSPHRASE)


def write_key(folder: Path, name: str = "flows-private.pem") -> Path:
    path = folder / name
    path.write_bytes(key_pair()[0])
    return path


def flows_settings(folder: Path, *, enabled_plugins: list[str] | None = None,
                   whatsapp: Mapping[str, Any] | None = None, **flows: Any) -> Settings:
    """Test settings (SQLite store in ``folder``) with ``[flows]`` using the shared key;
    ``whatsapp`` keys are merged over the test ``[whatsapp]`` table."""
    table = {"private_key": {"file": str(write_key(folder))}, "passphrase": PASSPHRASE, **flows}
    return make_settings(folder, enabled_plugins=enabled_plugins, flows=table,
                         whatsapp=dict(whatsapp or {}))


@asynccontextmanager
async def running_app(settings: Settings, plugins: Mapping[str, Any] | None = None,
                      clock: Callable[[], float] = time.time
                      ) -> AsyncIterator[tuple[Any, FlowsEndpoint | None, LiveServer]]:
    """``create_app`` then ``install_flows``, served on a loopback port: (app, endpoint,
    server)."""
    from botkit.app import create_app
    from botkit.flows.app import install_flows

    app = create_app(settings, plugins=plugins, clock=clock)
    endpoint = install_flows(app, app.extensions["botkit"])
    async with LiveServer(app) as server:
        yield app, endpoint, server
