"""Routers in a running bot: signed webhooks in, replies out at the fake Graph API.

Each test registers a router as a plugin (by name through ``extra_plugins``, or installed with
an entry point naming the router object) and chats with the bot like a customer would.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

from botkit import hookimpl
from botkit.routing import CONTINUE, CallbackData, Router, SkipHandler
from botkit.routing import filters as f
from botkit.testing import reply_buttons, reply_text
from botkit.testing.conversation import conversation


class Size(CallbackData, prefix="size"):
    choice: str
    qty: int = 1


def shop_router() -> Router:
    router = Router("shop")

    @router.message(f.command("start"))
    def start(message, args):
        return f"Welcome! ({args or 'no campaign'})"

    @router.message(f.text.equals("menu", ignore_case=True))
    async def menu(message):
        return {"type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Pick a size"},
            "action": {"buttons": [Size(choice="s").button("Small"),
                                   Size(choice="l", qty=2).button("Large x2")]}}}

    @router.button(Size.filter(choice="l"))
    def large(message, callback_data: Size):
        return f"Large it is, {callback_data.qty} of them"

    @router.button(Size.filter())
    async def other_size(message, callback_data: Size):
        return f"Size {callback_data.choice.upper()}"

    @router.button(f.button.id("human"))
    def human(message):
        return "Connecting you to a person"

    @router.button()
    def unknown_button(message):
        return "That button has expired; send 'menu' for a fresh one"

    @router.message(f.text.contains("pizza", ignore_case=True))
    def pizza(message):
        return "We sell planters, not pizza"

    @router.message()
    def fallback(message):
        return None  # stay quiet about everything else
    return router


async def test_text_commands_and_typed_buttons_are_routed(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": shop_router()})
    await chat.send_text("/start summer")
    await chat.send_text("PIZZA?")
    await chat.send_text("just looking")
    assert await chat.reply_texts() == ["Welcome! (summer)", "We sell planters, not pizza"]
    await chat.send_text("Menu")
    [menu] = await chat.replies()
    assert reply_text(menu) == "Pick a size"
    assert reply_buttons(menu) == [("size:s:1", "Small"), ("size:l:2", "Large x2")]
    await chat.tap_button("size:l:2", "Large x2")
    await chat.tap_button("size:s:1", "Small")
    await chat.pick_row("size:m:1", "Medium")
    await chat.tap_button("human", "Talk to us")
    await chat.tap_button("size:l", "From an old menu")
    await chat.tap_button("size:x:1:extra", "Forged")
    assert await chat.reply_texts() == [
        "Large it is, 2 of them", "Size S", "Size M", "Connecting you to a person",
        "That button has expired; send 'menu' for a fresh one",
        "That button has expired; send 'menu' for a fresh one"]


async def test_replies_are_what_the_graph_api_received(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": shop_router()})
    wamid = await chat.send_text("/start")
    [reply] = await chat.replies()
    assert reply == {"messaging_product": "whatsapp", "recipient_type": "individual",
                     "to": chat.customer, "type": "text",
                     "text": {"body": "Welcome! (no campaign)"}}
    [request] = [r for r in chat.graph.requests if r.json == reply]
    assert request.path.endswith(f"/{chat.phone_number_id}/messages")
    assert wamid.startswith("wamid.")


async def test_a_customer_known_only_by_user_id_is_answered_by_user_id(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": shop_router()})
    anonymous = chat.with_customer(None, "Sam", user_id="US.13491208655302741918")
    await anonymous.send_text("/start")
    [reply] = await anonymous.replies()
    assert reply["recipient"] == "US.13491208655302741918" and "to" not in reply
    assert reply_text(reply) == "Welcome! (no campaign)"


async def test_priority_first_match_and_continue(bot_conversation):
    router = Router("ordered")
    seen: list[str] = []

    @router.message()
    def catch_all(message):
        return "catch-all"

    @router.message(f.text.any(), priority=5)
    async def audit(message):
        seen.append(f"audit {message.text}")
        return CONTINUE

    @router.message(f.command("stop", plain=True), priority=10)
    def stop(message, args):
        seen.append("stop")
        if args == "maybe":
            raise SkipHandler
        return "Unsubscribed"

    @router.message(f.command("stop", plain=True))
    def never(message):
        return "registered after the catch-all: never reached"
    chat = await bot_conversation(enabled_plugins=["ordered"], extra_plugins={"ordered": router})
    await chat.send_text("STOP")
    await chat.send_text("stop maybe")
    await chat.send_text("hello")
    assert await chat.reply_texts() == ["Unsubscribed", "catch-all", "catch-all"]
    assert seen == ["stop", "stop", "audit stop maybe", "audit hello"]


async def test_middleware_short_circuits_and_wraps_handlers(bot_conversation):
    router = Router("guarded")
    timings: list[str] = []

    @router.outer_middleware
    async def blocklist(handler, event, data):
        if getattr(event, "sender", None) == "4915550000666":
            return None  # handled: no reply, no other handler
        return await handler(event, data)

    @router.middleware
    async def timing(handler, event, data):
        result = await handler(event, data)
        timings.append(type(result).__name__)
        return result

    @router.message()
    def echo(message):
        return f"echo: {message.text}"
    chat = await bot_conversation(enabled_plugins=["guarded"], extra_plugins={"guarded": router})
    blocked = chat.with_customer("4915550000666", "Spammer")
    await blocked.send_text("buy now")
    await chat.send_text("hi")
    assert await blocked.replies() == []
    assert await chat.reply_texts() == ["echo: hi"]
    assert timings == ["str"]


async def test_sync_and_async_handlers_of_every_kind(bot_conversation):
    router = Router("kinds")
    statuses: list[tuple[str, str]] = []

    @router.message(f.text.equals("sync"))
    def sync_handler(message):
        return "from a plain function"

    @router.message(f.text.equals("async"))
    async def async_handler(message, bot):
        assert bot.whatsapp is not None
        return "from a coroutine"

    @router.status(f.status("read"))
    async def read(status):
        statuses.append((status.id, status.status))

    @router.status()
    def other_status(status):
        statuses.append(("other", status.status))
    chat = await bot_conversation(enabled_plugins=["kinds"], extra_plugins={"kinds": router})
    await chat.send_text("sync")
    await chat.send_text("async")
    await chat.report_status("wamid.R1", "read")
    await chat.report_status("wamid.R1", "delivered")
    assert await chat.reply_texts() == ["from a plain function", "from a coroutine"]
    assert sorted(statuses) == [("other", "delivered"), ("wamid.R1", "read")]


class DeadLetters:
    def __init__(self) -> None:
        self.failed: list[tuple[str, str, str]] = []

    @hookimpl
    def delivery_failed(self, event, plugin, error) -> None:
        self.failed.append((plugin, event.text, str(error)))


async def test_a_failing_handler_is_retried_then_dead_lettered_and_others_go_on():
    router = Router("flaky")
    attempts: list[int] = []

    @router.message(f.text.equals("break"))
    def broken(message):
        attempts.append(message.attempt)
        raise RuntimeError("the CRM is down")

    @router.message(f.text.equals("wobble"))
    def wobbly(message):
        attempts.append(message.attempt)
        if message.attempt < 2:
            raise RuntimeError("first try fails")
        return "worked on attempt 2"

    @router.message()
    def echo(message):
        return f"echo: {message.text}"
    dead = DeadLetters()
    async with conversation(enabled_plugins=["flaky", "dead"],
                            extra_plugins={"flaky": router, "dead": dead},
                            dispatch={"max_attempts": 3}) as chat:
        other = chat.with_customer("4915550123456", "Jonas")
        await chat.send_text("break")
        await other.send_text("hello")
        await chat.send_text("after")
        await chat.send_text("wobble")
        assert await other.reply_texts() == ["echo: hello"]
        assert await chat.reply_texts() == ["echo: after", "worked on attempt 2"]
    assert attempts == [1, 2, 3, 1, 2]
    assert dead.failed == [("flaky", "break", "the CRM is down")]


@pytest.fixture
def installed_router(tmp_path, monkeypatch):
    """Install a package whose entry point names an object in it: ``name = module:attribute``."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(name: str, module: str, target: str, source: str) -> None:
        (site / f"{module}.py").write_text(source)
        dist = site / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[botkit]\n{name} = {target}\n")
        importlib.invalidate_caches()
        modules.append(module)
    yield install
    for module in modules:
        sys.modules.pop(module, None)


ROUTER_MODULE = '''
from botkit.routing import Router, filters as f

router = Router("hello")

@router.message(f.text.contains("hello", ignore_case=True))
def hello(message):
    return f"Hello {message.contact.name}!"
'''

DELEGATING_MODULE = '''
from botkit import hookimpl
from botkit.routing import Router, filters as f

router = Router("greeter")

@router.message(f.command("hi"))
async def hi(message, bot):
    return "hi from a module"

@hookimpl
async def message_received(bot, message):
    await router.message_received(bot, message)

status_received = router.status_received
'''


async def test_an_entry_point_may_name_the_router_object(installed_router, bot_conversation):
    installed_router("hello", "botkit_hello_router", "botkit_hello_router:router", ROUTER_MODULE)
    chat = await bot_conversation(enabled_plugins=["hello"])
    await chat.send_text("well HELLO there")
    assert await chat.reply_texts() == ["Hello Priya Raman!"]
    assert chat.bot.plugins.names == ("hello",)


async def test_a_plugin_module_may_delegate_its_hooks_to_a_router(installed_router,
                                                                  bot_conversation):
    installed_router("greeter", "botkit_greeter_module", "botkit_greeter_module",
                     DELEGATING_MODULE)
    chat = await bot_conversation(enabled_plugins=["greeter"])
    await chat.send_text("/hi")
    await chat.report_status("wamid.G1", "read")
    assert await chat.reply_texts() == ["hi from a module"]


async def test_flow_completions_are_answered(bot_conversation):
    from botkit.testing import payloads

    router = Router("flows")

    @router.flow_completion(f.flow_completion(token_prefix="booking:"))
    def booked(message, response: dict[str, Any]):
        return f"See you on {response['date']}"
    chat = await bot_conversation(enabled_plugins=["flows"], extra_plugins={"flows": router})
    await chat.send_message(payloads.flow_reply_message,
                            {"flow_token": "booking:7", "date": "2026-07-14"})
    assert await chat.reply_texts() == ["See you on 2026-07-14"]
