"""The Flows endpoint inside a botkit app: mounted by path in front of Quart, fed by plugins.

With ``[flows]`` in the settings, :func:`install_flows` builds one :class:`FlowsEndpoint` for the
app: the key and app secrets come from the settings, its metrics go to the bot's Prometheus
registry, its flow tokens are ``bot.flow_tokens`` (so plugins can issue the ``flow_token`` of
the Flows they send), and its handlers are what the enabled plugins hand over through the
``register_flow_handlers`` hook, merged in ``enabled_plugins`` order. Error notifications from
the WhatsApp client go to the ``flow_error_received`` hook.

The endpoint is raw ASGI in front of Quart, like the webhook, because Meta holds a Flows
endpoint to response-time limits and Quart's request machinery costs more than the crypto.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from botkit.errors import PluginError, SettingsError
from botkit.flows._http import Receive, Scope, Send
from botkit.flows.endpoint import FlowErrorNotification, FlowsEndpoint
from botkit.flows.handlers import FlowHandlerConflictError, FlowHandlers
from botkit.flows.keys import token_secret_from_key
from botkit.flows.metrics import FlowMetrics
from botkit.flows.tokens import FlowTokens
from botkit.hooks import call_all, call_plugin

if TYPE_CHECKING:
    from quart import Quart

    from botkit.bot import Bot

log = logging.getLogger("botkit.flows")

#: Where the endpoint (or None, without ``[flows]``) is kept in ``app.extensions``.
EXTENSION = "botkit.flows"
REGISTER_HOOK = "register_flow_handlers"
ERROR_HOOK = "flow_error_received"

#: ``register(handlers)`` as ``register_flow_handlers`` receives it.
FlowHandlersRegistrar = Callable[[FlowHandlers], None]


class FlowsMount:
    """ASGI: HTTP requests for ``path`` go to the Flows endpoint; everything else, lifespan
    included, to ``app`` (the webhook, then Quart)."""

    def __init__(self, app: Any, endpoint: FlowsEndpoint, path: str) -> None:
        self.app = app
        self.endpoint = endpoint
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == self.path:
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_flows(app: Quart, bot: Bot) -> FlowsEndpoint | None:
    """Serve the Flows endpoint of ``bot`` at ``[flows] path`` of ``app``; None without
    ``[flows]``.

    Idempotent: a second call on the same app changes nothing and returns the same endpoint.
    Handlers are gathered from the plugins when the app starts (after their ``startup``
    hooks); at shutdown, error-notification hooks still running are awaited before the
    plugins' ``shutdown`` hooks run.
    """
    if EXTENSION in app.extensions:
        installed: FlowsEndpoint | None = app.extensions[EXTENSION]
        return installed
    flows = bot.settings.flows
    if flows is None:
        app.extensions[EXTENSION] = None
        return None
    tokens = attach_flow_tokens(bot)
    if flows.key is None or tokens is None:
        raise SettingsError(["flows.private_key: the key was not loaded (the settings were read "
                             "without their secrets)"])

    async def notify_plugins(notification: FlowErrorNotification) -> None:
        await call_all(bot.plugins, ERROR_HOOK, isolate=True, bot=bot, notification=notification)

    endpoint = FlowsEndpoint(
        flows.key, bot.settings.whatsapp.app_secrets, FlowHandlers(), tokens, bot.clock,
        on_error_notification=notify_plugins, metrics=FlowMetrics(bot.stats.registry),
        context=bot, path=flows.path)
    mount = FlowsMount(app.asgi_app, endpoint, flows.path)
    app.asgi_app = mount  # type: ignore[method-assign,assignment]
    app.extensions[EXTENSION] = endpoint

    @app.while_serving
    async def serve_flows() -> AsyncGenerator[None, None]:
        endpoint.handlers = await gather_flow_handlers(bot)
        log.info("Flows endpoint at %s: %d handlers from %s", flows.path,
                 len(endpoint.handlers),
                 ", ".join(bot.plugins.implementing(REGISTER_HOOK)) or "no plugin")
        yield
        await endpoint.aclose()

    return endpoint


def attach_flow_tokens(bot: Bot) -> FlowTokens | None:
    """Give ``bot`` its ``flow_tokens`` when ``[flows]`` has a loaded key (None otherwise).

    Idempotent, and needed wherever plugins run, not only where the endpoint is served: a
    ``botkit worker`` process sends Flows too. The secret is derived from the key, so every
    process with the same key issues and accepts the same tokens.
    """
    existing = getattr(bot, "flow_tokens", None)
    if isinstance(existing, FlowTokens):
        return existing
    flows = bot.settings.flows
    if flows is None or flows.key is None:
        return None
    tokens = FlowTokens(token_secret_from_key(flows.key), clock=bot.clock)
    bot.flow_tokens = tokens
    return tokens


async def gather_flow_handlers(bot: Bot) -> FlowHandlers:
    """One registry of every enabled plugin's handlers, in ``enabled_plugins`` order.

    A plugin may only hand over registries made for itself (``FlowHandlers("<its name>")``,
    answering the tokens it issued) or shared ones (``FlowHandlers()``); two handlers for the
    same case stop the start, naming the plugin.
    """
    merged = FlowHandlers()
    for name in bot.plugins.implementing(REGISTER_HOOK):
        given: list[FlowHandlers] = []
        await call_plugin(bot.plugins, REGISTER_HOOK, name, bot=bot,
                          register=_registrar(name, given))
        for handlers in given:
            try:
                merged.include(handlers)
            except FlowHandlerConflictError as exc:
                raise PluginError(f"plugin {name}: {exc}") from None
    return merged


def _registrar(plugin: str, given: list[FlowHandlers]) -> FlowHandlersRegistrar:
    """The ``register`` callback for ``plugin``: checks each registry, collects it in ``given``."""

    def register(handlers: FlowHandlers) -> None:
        if not isinstance(handlers, FlowHandlers):
            raise PluginError(f"plugin {plugin}: register() takes a FlowHandlers registry, not "
                              f"{type(handlers).__name__}")
        if handlers.plugin not in (None, plugin):
            raise PluginError(f"plugin {plugin}: registered the Flow handlers of plugin "
                              f"{handlers.plugin!r}; use FlowHandlers({plugin!r})")
        given.append(handlers)

    return register
