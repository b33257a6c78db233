"""The Flow handler registry: most specific handler wins, plugins stay apart, answers are typed."""

from __future__ import annotations

import asyncio
import threading

import pytest

from botkit.flows import (
    BACK,
    DATA_EXCHANGE,
    INIT,
    FlowHandlerConflictError,
    FlowHandlerError,
    FlowHandlers,
    FlowRequest,
    FlowResponse,
    NoFlowHandlerError,
)
from botkit.flows.tokens import FlowTokenClaims


def claims(flow_id: str = "F1", plugin: str = "shop") -> FlowTokenClaims:
    return FlowTokenClaims("106540352242922", "16505551234", plugin, flow_id, 0, 10**10, "n")


def request(action: str, screen: str | None = None, flow_id: str = "F1",
            plugin: str = "shop", data: dict | None = None) -> FlowRequest:
    return FlowRequest(action, screen, data or {}, "token", claims(flow_id, plugin), "3.0")


def named(name: str):
    def handler(req: FlowRequest) -> FlowResponse:
        return FlowResponse.screen(name)
    handler.__qualname__ = name
    return handler


def test_most_specific_handler_wins():
    flows = FlowHandlers()
    flows.add(DATA_EXCHANGE, named("ANY"))
    flows.add(DATA_EXCHANGE, named("SCREEN"), screen="DETAILS")
    flows.add(DATA_EXCHANGE, named("FLOW"), flow_id="F1")
    flows.add(DATA_EXCHANGE, named("BOTH"), flow_id="F1", screen="DETAILS")
    find = flows.find
    assert find(DATA_EXCHANGE, claims("F1"), "DETAILS").__qualname__ == "BOTH"
    assert find(DATA_EXCHANGE, claims("F1"), "OTHER").__qualname__ == "FLOW"
    assert find(DATA_EXCHANGE, claims("F2"), "DETAILS").__qualname__ == "SCREEN"
    assert find(DATA_EXCHANGE, claims("F2"), "OTHER").__qualname__ == "ANY"
    with pytest.raises(NoFlowHandlerError) as caught:
        find(BACK, claims("F1"), "DETAILS")
    assert str(caught.value) == "no handler for BACK of flow F1 on screen DETAILS"


def test_plugin_registries_answer_only_their_own_tokens():
    shop, crm, shared = FlowHandlers("shop"), FlowHandlers("crm"), FlowHandlers()
    shop.add(INIT, named("SHOP"))
    crm.add(INIT, named("CRM"))
    shared.add(INIT, named("SHARED"))
    merged = FlowHandlers()
    for registry in (shop, crm, shared):
        merged.include(registry)
    assert len(merged) == 3
    assert merged.find(INIT, claims(plugin="shop"), None).__qualname__ == "SHOP"
    assert merged.find(INIT, claims(plugin="crm"), None).__qualname__ == "CRM"
    assert merged.find(INIT, claims(plugin="other"), None).__qualname__ == "SHARED"


def test_the_same_case_twice_is_a_conflict_even_across_registries():
    first, second = FlowHandlers("shop"), FlowHandlers("shop")
    first.add(DATA_EXCHANGE, named("A"), flow_id="F1", screen="S")
    second.add(DATA_EXCHANGE, named("B"), flow_id="F1", screen="S")
    with pytest.raises(FlowHandlerConflictError, match="both handle data_exchange"):
        first.add(DATA_EXCHANGE, named("C"), flow_id="F1", screen="S")
    with pytest.raises(FlowHandlerConflictError):
        first.include(second)
    other_plugin = FlowHandlers("crm")
    other_plugin.add(DATA_EXCHANGE, named("D"), flow_id="F1", screen="S")
    first.include(other_plugin)  # another plugin's case is another case
    assert len(first) == 2


def test_decorators_register_and_return_the_function():
    flows = FlowHandlers()

    @flows.on_init(flow_id="F1")
    def start(req):
        return FlowResponse.screen("WELCOME")

    @flows.on_data_exchange(screen="WELCOME")
    async def welcome(req):
        return FlowResponse.close({"done": True})

    @flows.on_back(screen="WELCOME")
    def back(req):
        return FlowResponse.screen("WELCOME")

    assert callable(start) and start(None).next_screen == "WELCOME"
    assert flows.find(INIT, claims(), None) is start
    assert flows.find(DATA_EXCHANGE, claims(), "WELCOME") is welcome
    assert flows.find(BACK, claims(), "WELCOME") is back


def test_bad_registrations_are_refused():
    flows = FlowHandlers()
    with pytest.raises(ValueError, match="unknown Flow action"):
        flows.add("ping", named("X"))
    with pytest.raises(ValueError, match="INIT requests have no screen"):
        flows.add(INIT, named("X"), screen="S")
    with pytest.raises(TypeError):
        flows.add(INIT, "not callable")  # type: ignore[arg-type]


async def test_sync_handlers_run_off_the_event_loop_and_async_ones_on_it():
    seen: dict[str, bool] = {}
    flows = FlowHandlers()

    @flows.on_init()
    def blocking(req):
        seen["sync_on_main"] = threading.current_thread() is threading.main_thread()
        return FlowResponse.screen("A", {"n": 1})

    @flows.on_data_exchange()
    async def non_blocking(req):
        seen["async_on_main"] = threading.current_thread() is threading.main_thread()
        await asyncio.sleep(0)
        return FlowResponse.screen("B", {"got": req.data["x"]})

    assert (await flows.answer(request(INIT))).payload("t") == {"screen": "A", "data": {"n": 1}}
    answer = await flows.answer(request(DATA_EXCHANGE, "A", data={"x": 7}))
    assert answer.payload("t") == {"screen": "B", "data": {"got": 7}}
    assert seen == {"sync_on_main": False, "async_on_main": True}


async def test_handler_failures_name_the_handler():
    flows = FlowHandlers()

    @flows.on_init()
    def broken(req):
        raise KeyError("secret customer text")

    @flows.on_data_exchange()
    def untyped(req):
        return {"screen": "A"}

    with pytest.raises(FlowHandlerError) as caught:
        await flows.answer(request(INIT))
    assert "broken raised KeyError" in str(caught.value)
    assert "secret customer text" not in str(caught.value)
    assert isinstance(caught.value.__cause__, KeyError)
    with pytest.raises(FlowHandlerError, match="returned dict, not a FlowResponse"):
        await flows.answer(request(DATA_EXCHANGE, "A"))
    with pytest.raises(NoFlowHandlerError):
        await flows.answer(request(BACK, "A"))


def test_response_payloads_have_meta_shapes():
    assert FlowResponse.screen("DETAILS", {"error_message": "Try again"}).payload("tok") == {
        "screen": "DETAILS", "data": {"error_message": "Try again"}}
    closing = FlowResponse.close({"order": 42})
    assert closing.closes and not FlowResponse.screen("A").closes
    assert closing.payload("tok") == {
        "screen": "SUCCESS",
        "data": {"extension_message_response": {"params": {"order": 42, "flow_token": "tok"}}}}
    assert FlowResponse.close().payload("tok")["data"]["extension_message_response"] == {
        "params": {"flow_token": "tok"}}


@pytest.mark.parametrize("name", ["", "SUCCESS", "screen-1", "SCREEN_1", 7, "ÉCRAN"])
def test_screen_names_follow_meta_rules(name):
    with pytest.raises(ValueError, match="not a screen id"):
        FlowResponse.screen(name)


def test_close_params_cannot_replace_the_flow_token():
    with pytest.raises(ValueError, match="flow_token"):
        FlowResponse.close({"flow_token": "another"})
