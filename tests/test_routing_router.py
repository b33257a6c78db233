"""Routing without a server: which handler an event reaches, in what order, with what data,
and what middleware sees."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_routing_events import contact, event, row, tap, template_tap, text

from botkit.routing import (
    CONTINUE,
    HandlerSignatureError,
    Router,
    RouterError,
    SkipHandler,
    UnexpectedHandlerResult,
)
from botkit.routing import filters as f
from botkit.routing.filters_base import NotAFilter
from botkit.routing.middleware import NotAMiddleware
from botkit.routing.replying import CannotReply, InvalidReply, reply_body
from botkit.testing import payloads

BOT = object()


async def route(router: Router, item: Any, **data: Any) -> Any:
    return await router.dispatch(item, bot=BOT, **data)


async def test_the_first_matching_handler_wins_in_registration_order():
    router = Router()
    router.message(f.text.equals("hi"))(lambda m: "exact")
    router.message(f.text.contains("hi"))(lambda m: "contains")
    router.message()(lambda m: "anything")
    assert await route(router, text("hi")) == "exact"
    assert await route(router, text("oh hi")) == "contains"
    assert await route(router, text("bye")) == "anything"


async def test_priority_goes_before_registration_order():
    router = Router()
    router.message()(lambda m: "fallback")
    router.message(priority=-1)(lambda m: "never first")
    router.message(f.command("stop"), priority=10)(lambda m: "stopped")
    assert await route(router, text("/stop")) == "stopped"
    assert await route(router, text("hello")) == "fallback"


async def test_nothing_matching_answers_continue():
    router = Router()
    router.message(f.text.equals("hi"))(lambda m: "hello")
    assert await route(router, text("bye")) is CONTINUE
    assert await route(router, event(payloads.status("w", "read"))) is CONTINUE


async def test_continue_and_skip_handler_pass_the_event_on():
    router = Router()
    calls: list[str] = []

    @router.message(f.text.any())
    def first(message):
        calls.append("first")
        return router.CONTINUE

    @router.message(f.text.any())
    async def second(message):
        calls.append("second")
        raise SkipHandler

    @router.message()
    def third(message):
        calls.append("third")
        return "third"
    assert await route(router, text("x")) == "third"
    assert calls == ["first", "second", "third"]
    assert Router.CONTINUE is CONTINUE


async def test_included_routers_take_their_place_in_the_order():
    root, shop, support = Router("root"), Router("shop"), Router("support")
    root.message(f.text.equals("early"))(lambda m: "root early")
    root.include(shop)
    root.include(support)
    root.message()(lambda m: "root fallback")
    shop.message(f.text.contains("pizza"))(lambda m: "shop")
    support.message(f.text.contains("help"))(lambda m: "support")
    support.message(f.text.contains("pizza"))(lambda m: "support pizza")
    assert await route(root, text("pizza help")) == "shop"
    assert await route(root, text("help")) == "support"
    assert await route(root, text("early")) == "root early"
    assert await route(root, text("other")) == "root fallback"
    urgent = root.include(Router("urgent"), priority=5)
    urgent.message(f.text.contains("pizza"))(lambda m: "urgent")
    assert await route(root, text("pizza")) == "urgent"


async def test_continue_from_a_child_goes_on_to_the_next_router():
    root, first, second = Router(), Router(), Router()
    root.include(first)
    root.include(second)
    first.message()(lambda m: CONTINUE)
    second.message()(lambda m: "second")
    assert await route(root, text("x")) == "second"


async def test_taps_reach_button_handlers_and_message_handlers():
    router = Router()
    router.button(f.button.id("yes"))(lambda m: "button yes")
    router.message(f.text.any())(lambda m: "text")
    router.button()(lambda m: "unknown button")
    router.message()(lambda m: "any message")
    assert await route(router, tap("yes")) == "button yes"
    assert await route(router, row("maybe")) == "unknown button"
    assert await route(router, template_tap("STOP")) == "unknown button"
    assert await route(router, text("yes")) == "text"
    assert await route(router, event(payloads.image_message())) == "any message"


async def test_a_message_handler_registered_first_also_sees_taps():
    router = Router()
    router.message()(lambda m: "message")
    router.button()(lambda m: "button")
    assert await route(router, tap("x")) == "message"


async def test_flow_completions_and_other_kinds_reach_their_handlers():
    router = Router()
    router.flow_completion(f.flow_completion(token_prefix="book:"))(
        lambda message, response: f"booked {response['date']}")
    router.status(f.status("failed"))(lambda status: None)
    seen: list[Any] = []
    router.status()(lambda status: seen.append(("status", status.status)))
    router.contact()(lambda contact: seen.append(("contact", contact.change)))
    router.field()(lambda event: seen.append(("field", event.field)))
    router.error()(lambda error: seen.append(("error", error.code)))
    flow = event(payloads.flow_reply_message({"flow_token": "book:1", "date": "Friday"}))
    assert await route(router, flow) == "booked Friday"
    assert await route(router, event(payloads.status("w", "failed"))) is None
    await route(router, event(payloads.status("w", "read")))
    await route(router, contact("changed_number"))
    await route(router, event(payloads.field_change("account_update")))
    await route(router, event(payloads.value_error(131000)))
    assert seen == [("status", "read"), ("contact", "changed_number"),
                    ("field", "account_update"), ("error", 131000)]


async def test_handlers_get_the_event_bot_and_filter_data_by_name():
    router = Router()

    @router.message(f.command("order") & f.text.regex(r"(\d+)"))
    def order(msg, args, match, bot, message):
        assert bot is BOT and msg is message
        return f"{args}|{match.group(1)}"

    @router.message(f.command("kw"))
    def with_kwargs(message, **data):
        return sorted(data)

    @router.message(f.command("default"))
    def with_default(message, missing="default"):
        return missing
    assert await route(router, text("/order 12 pots")) == "12 pots|12"
    assert await route(router, text("/kw")) == ["args", "bot", "command", "event"]
    assert await route(router, text("/default")) == "default"


async def test_filter_data_cannot_replace_the_bot_or_the_event():
    router = Router()
    impostor = {"bot": "not the bot", "message": "not the message", "event": None, "x": 1}
    router.message(lambda m: impostor)(lambda message, bot, event, x: (message, bot, event, x))
    item = text("hi")
    assert await route(router, item) == (item, BOT, item, 1)


async def test_a_handler_asking_for_unknown_data_is_a_permanent_error():
    router = Router()

    @router.message()
    def needs(message, qty):
        return qty
    with pytest.raises(HandlerSignatureError, match=r"'qty'.*available: bot, event, message"):
        await route(router, text("x"))


async def test_sync_and_async_handlers_and_filters_mix():
    router = Router()

    async def slow_filter(message):
        await asyncio.sleep(0)
        return {"extra": 1}

    @router.message(slow_filter)
    async def handler(message, extra):
        await asyncio.sleep(0)
        return f"async {extra}"
    router.status()(lambda status: None)
    assert await route(router, text("x")) == "async 1"


async def test_outer_middleware_wraps_the_router_and_may_add_data():
    root, child = Router(), Router()
    root.include(child)
    log: list[str] = []

    @root.outer_middleware
    async def outer(handler, event, data):
        log.append("root in")
        data["locale"] = "de"
        result = await handler(event, data)
        log.append(f"root out {result}")
        return result

    @child.outer_middleware
    async def child_outer(handler, event, data):
        log.append("child in")
        return await handler(event, data)
    child.message()(lambda message, locale: f"hallo ({locale})")
    assert await route(root, text("x")) == "hallo (de)"
    assert log == ["root in", "child in", "root out hallo (de)"]
    log.clear()
    await route(root, event(payloads.status("w", "read")))
    assert log == ["root in", "child in", f"root out {CONTINUE!r}"]


async def test_outer_middleware_short_circuits_or_skips_its_router():
    root, admin, public = Router(), Router(), Router()
    root.include(admin)
    root.include(public)
    admin.message()(lambda m: "admin")
    public.message()(lambda m: "public")

    @admin.outer_middleware
    async def admins_only(handler, event, data):
        if event.sender != "4900":
            return CONTINUE  # not this router's business: the next router gets it
        return await handler(event, data)
    assert await route(root, text("x", sender="4900")) == "admin"
    assert await route(root, text("x")) == "public"

    @root.outer_middleware
    async def banned(handler, event, data):
        if event.sender == "666":
            return None  # handled: nothing happens, no other router sees it
        return await handler(event, data)
    assert await route(root, text("x", sender="666")) is None

    @public.outer_middleware
    async def skipping(handler, event, data):
        raise SkipHandler
    assert await route(root, text("x")) is CONTINUE


async def test_inner_middleware_wraps_only_the_chosen_handler():
    root, child = Router(), Router()
    root.include(child)
    log: list[Any] = []

    @root.middleware
    async def timing(handler, event, data):
        log.append(("root", sorted(data)))
        return await handler(event, data)

    @child.middleware
    async def upper(handler, event, data):
        log.append(("child", data.get("command")))
        result = await handler(event, data)
        return result.upper()
    child.message(f.command("go"))(lambda m: "went")
    assert await route(root, text("/go")) == "WENT"
    assert log == [("root", ["args", "bot", "command", "event", "message"]), ("child", "go")]
    log.clear()
    assert await route(root, text("no command")) is CONTINUE
    assert log == []


async def test_inner_middleware_may_short_circuit_or_continue():
    router = Router()
    router.message(f.text.equals("secret") & (lambda m: {"staff_only": True}))(
        lambda m: "the secret")
    router.message()(lambda m: "public answer")

    @router.middleware
    async def guard(handler, event, data):
        if data.get("staff_only") and event.sender != "4900":
            return CONTINUE
        if event.text == "quiet":
            return None
        return await handler(event, data)
    assert await route(router, text("secret")) == "public answer"
    assert await route(router, text("secret", sender="4900")) == "the secret"
    assert await route(router, text("quiet")) is None


async def test_exceptions_go_through_middleware_untouched():
    router = Router()
    seen: list[str] = []

    @router.middleware
    async def watcher(handler, event, data):
        try:
            return await handler(event, data)
        finally:
            seen.append("after")

    @router.message()
    def broken(message):
        raise KeyError("boom")
    with pytest.raises(KeyError, match="boom"):
        await route(router, text("x"))
    assert seen == ["after"]


def test_wiring_mistakes_are_named():
    root, child = Router("root"), Router("child")
    root.include(child)
    with pytest.raises(RouterError, match="already included"):
        Router().include(child)
    with pytest.raises(RouterError, match="loop"):
        child.include(root)
    with pytest.raises(RouterError, match="loop"):
        root.include(root)
    with pytest.raises(RouterError, match="takes a Router"):
        root.include(object())  # type: ignore[arg-type]
    with pytest.raises(NotAFilter):
        root.message("pizza")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown handler kind"):
        root.add_handler("callback_query", lambda m: None)
    with pytest.raises(TypeError, match="priority"):
        root.message(priority="high")(lambda m: None)  # type: ignore[arg-type]

    def sync_middleware(handler, event, data):
        return None
    with pytest.raises(NotAMiddleware, match="async def"):
        root.middleware(sync_middleware)  # type: ignore[arg-type]


def test_a_router_is_a_plugin_without_reply_for_message():
    router = Router()
    hooks = {name for name in dir(router) if hasattr(getattr(router, name), "botkit_impl")}
    assert hooks == {"message_received", "status_received", "contact_updated",
                     "event_received", "error_received", "timer_fired", "handoff_started",
                     "handoff_ended"}
    assert not hasattr(router, "reply_for_message")


async def test_hooks_refuse_answers_to_events_that_cannot_be_answered():
    router = Router("statuses")
    router.status()(lambda status: "a reply to a status?")
    with pytest.raises(UnexpectedHandlerResult, match="status handler"):
        await router.status_received(BOT, event(payloads.status("w", "read")))


async def test_a_reply_without_a_client_or_of_the_wrong_type_fails_permanently():
    router = Router()
    router.message(f.text.equals("n"))(lambda m: 42)
    router.message()(lambda m: "hello")

    class NoClient:
        whatsapp = None
    with pytest.raises(CannotReply, match="access_token"):
        await router.message_received(NoClient(), text("x"))
    with pytest.raises(InvalidReply, match="int"):
        await router.message_received(NoClient(), text("n"))
    assert reply_body("hi") == {"type": "text", "text": {"body": "hi"}}
