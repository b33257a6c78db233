"""Typed button ids: they round-trip for any values, stay within Meta's limits, and nothing
else (another prefix, a forged or tampered id, an id of an older class) decodes as valid."""

from __future__ import annotations

import enum
import math
import string
from typing import Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_routing_events import row, tap, template_tap, text

from botkit.routing import CallbackData, CallbackDataTooLong, InvalidCallbackData
from botkit.routing import filters as f
from botkit.routing._callback_codecs import UnsupportedFieldType
from botkit.routing.callback_data import (
    CallbackDataError,
    InvalidCallbackValue,
    SigningKeyMissing,
)


class Colour(enum.Enum):
    RED = "red"
    ODD = "o:d%d~"


class Speed(enum.IntEnum):
    SLOW = 1
    FAST = -20


class Order(CallbackData, prefix="order"):
    item: str
    qty: int
    gift: bool = False
    weight: float = 0.0
    colour: Colour = Colour.RED
    speed: Optional[Speed] = None  # noqa: UP045 - the typing.Optional spelling is supported too
    note: str | None = None


class Signed(CallbackData, prefix="sig", signed=True):
    item: str
    qty: int


class FromEnv(CallbackData, prefix="env", secret_env="BOTKIT_TEST_BUTTON_KEY"):
    item: str


KEY = b"0123456789abcdef-test-key"
Signed.use_signing_key(KEY)

orders = st.builds(
    Order, item=st.text(max_size=30), qty=st.integers(), gift=st.booleans(),
    weight=st.floats(allow_nan=False), colour=st.sampled_from(Colour),
    speed=st.none() | st.sampled_from(Speed), note=st.none() | st.text(max_size=30))


@given(orders)
@example(Order(item="", qty=0, note=""))
@example(Order(item=":%~%3A", qty=-1, weight=-0.0, note="~"))
def test_any_value_round_trips(value):
    packed = value.pack()
    assert len(packed) <= 256 and packed.startswith("order:")
    assert Order.unpack(packed) == value
    assert Order.unpack(value.pack_for_list()) == value


def test_the_types_come_back_typed():
    value = Order.unpack(Order(item="pot", qty=2, weight=3, speed=Speed.FAST).pack())
    assert value.weight == 3.0 and isinstance(value.weight, float)
    assert value.speed is Speed.FAST and value.colour is Colour.RED and value.note is None
    nan = Order.unpack(Order(item="x", qty=1, weight=math.nan).pack())
    assert math.isnan(nan.weight)
    assert Order(item="a:b", qty=1).pack() == "order:a%3Ab:1:0:0.0:red:~:~"


@settings(max_examples=300)
@given(st.text(alphabet=":%~-.0123456789abdeilnorstuxRED3AF", max_size=40))
@example("order:x:1:0:0.0:red:~:~")
@example("order:x:01:0:0.0:red:~:~")
@example("order:x:1:0:0.0:red:~:~:")
@example("order:x:1:2:0.0:red:~:~")
@example("order:x%3a:1:0:0.0:red:~:~")
@example("order:x:1:0:1e0:red:~:~")
def test_other_strings_never_decode_as_something_else(candidate):
    for prefixed in (candidate, "order:" + candidate):
        try:
            value = Order.unpack(prefixed)
        except InvalidCallbackData:
            continue
        assert value.pack() == prefixed  # only the one spelling of a value decodes


@given(st.text(max_size=300))
def test_arbitrary_text_decodes_only_if_it_is_a_packed_value(candidate):
    try:
        value = Order.unpack(candidate)
    except InvalidCallbackData:
        return
    assert value.pack() == candidate


@given(st.text(max_size=40), st.integers(), st.data())
def test_a_signed_id_with_any_one_character_changed_is_refused(item, qty, data):
    packed = Signed(item=item, qty=qty).pack()
    assert Signed.unpack(packed) == Signed(item=item, qty=qty)
    position = data.draw(st.integers(0, len(packed) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != packed[position]))
    forged = packed[:position] + replacement + packed[position + 1:]
    with pytest.raises(InvalidCallbackData):
        Signed.unpack(forged)


def test_signatures_depend_on_the_key_and_on_the_class_shape(monkeypatch):
    packed = Signed(item="pot", qty=1).pack()
    assert len(packed.rsplit(":", 1)[1]) == 12

    class Tampered(CallbackData, prefix="sig", signed=True):
        item: str
        qty: int
    Tampered.use_signing_key(b"another key of 16+ bytes")
    with pytest.raises(InvalidCallbackData, match="signature"):
        Tampered.unpack(packed)

    class Newer(CallbackData, prefix="sig", signed=True):
        item: str
        qty: str  # same prefix and key, another field type: an old id must not pass
    Newer.use_signing_key(KEY)
    with pytest.raises(InvalidCallbackData, match="signature"):
        Newer.unpack(packed)
    with pytest.raises(InvalidCallbackData, match="signature"):
        Signed.unpack("sig:pot:1:AAAAAAAAAAAA")
    with pytest.raises(InvalidCallbackData, match="parts"):
        Signed.unpack("sig:pot:1")


def test_a_key_from_the_environment(monkeypatch):
    monkeypatch.delenv("BOTKIT_TEST_BUTTON_KEY", raising=False)
    with pytest.raises(SigningKeyMissing, match=r"\$BOTKIT_TEST_BUTTON_KEY"):
        FromEnv(item="x").pack()
    monkeypatch.setenv("BOTKIT_TEST_BUTTON_KEY", "first secret value")
    packed = FromEnv(item="x").pack()
    assert FromEnv.unpack(packed) == FromEnv(item="x")
    monkeypatch.setenv("BOTKIT_TEST_BUTTON_KEY", "second secret value")
    with pytest.raises(InvalidCallbackData, match="signature"):
        FromEnv.unpack(packed)


def test_a_signed_class_without_a_key_says_how_to_set_one():
    class Keyless(CallbackData, prefix="nokey", signed=True):
        n: int
    with pytest.raises(SigningKeyMissing, match=r"Keyless.use_signing_key"):
        Keyless(n=1).pack()
    with pytest.raises(ValueError, match="16 bytes"):
        Keyless.use_signing_key("short")


def test_ids_of_an_older_version_of_a_class_are_refused():
    class V1(CallbackData, prefix="cart"):
        item: str

    class V2(CallbackData, prefix="cart"):
        item: str
        qty: int
    with pytest.raises(InvalidCallbackData, match="parts"):
        V2.unpack(V1(item="pot").pack())
    with pytest.raises(InvalidCallbackData, match="prefix"):
        V2.unpack("basket:pot:1")
    with pytest.raises(InvalidCallbackData, match="'qty'"):
        V2.unpack("cart:pot:many")


def test_meta_limits_are_checked_when_packing():
    long = Order(item="x" * 230, qty=1)
    assert len(long.pack()) <= 256
    with pytest.raises(CallbackDataTooLong, match="a list row id may be at most 200"):
        long.pack_for_list()
    with pytest.raises(CallbackDataTooLong, match="a reply button id may be at most 256"):
        Order(item="x" * 260, qty=1).pack()
    with pytest.raises(InvalidCallbackData, match="256"):
        Order.unpack("order:" + "x" * 300)


def test_values_of_the_wrong_type_are_refused():
    with pytest.raises(InvalidCallbackValue, match=r"Order\.qty takes int, got str"):
        Order(item="x", qty="2")  # type: ignore[arg-type]
    with pytest.raises(InvalidCallbackValue, match="bool"):
        Order(item="x", qty=True)
    with pytest.raises(InvalidCallbackValue, match="colour"):
        Order(item="x", qty=1, colour="red")  # type: ignore[arg-type]


def test_class_definitions_are_checked():
    with pytest.raises(UnsupportedFieldType, match="list"):
        class Listy(CallbackData, prefix="l"):
            items: list[int]
    with pytest.raises(CallbackDataError, match="prefix"):
        class Colon(CallbackData, prefix="a:b"):
            x: int

    class Mixed(enum.Enum):
        A = 1
        B = "b"
    with pytest.raises(UnsupportedFieldType, match="all-str or all-int"):
        class UsesMixed(CallbackData, prefix="m"):
            value: Mixed


def test_a_class_may_use_types_defined_next_to_it():
    class Shade(enum.Enum):
        DARK = "d"

    class Paint(CallbackData, prefix="paint"):
        shade: Shade
    assert Paint.unpack("paint:d") == Paint(shade=Shade.DARK)


def test_buttons_and_rows_carry_packed_ids():
    value = Order(item="pot", qty=2)
    assert value.button("Buy") == {"type": "reply", "reply": {"id": value.pack(), "title": "Buy"}}
    assert value.row("Pot", "Blue") == {"id": value.pack_for_list(), "title": "Pot",
                                        "description": "Blue"}
    assert value.row("Pot") == {"id": value.pack_for_list(), "title": "Pot"}


async def test_the_filter_matches_by_class_and_fields():
    packed = Order(item="pot", qty=2, colour=Colour.ODD).pack()
    for item in (tap(packed), row(packed), template_tap(packed)):
        found = await Order.filter().evaluate(item)
        assert found == {"callback_data": Order(item="pot", qty=2, colour=Colour.ODD)}
    assert await Order.filter(item="pot", qty={1, 2}).evaluate(tap(packed)) is not None
    assert await Order.filter(colour=Colour.ODD).evaluate(tap(packed)) is not None
    assert await Order.filter(qty=3).evaluate(tap(packed)) is None
    assert await Order.filter(item=["mug", "cup"]).evaluate(tap(packed)) is None
    assert await f.button.data(Order, qty=2).evaluate(tap(packed)) is not None
    assert await Order.filter().evaluate(text(packed)) is None


async def test_forged_or_unknown_ids_do_not_match():
    forged = Signed(item="pot", qty=1).pack().replace(":1:", ":9:")
    assert await Signed.filter().evaluate(tap(forged)) is None
    assert await Order.filter().evaluate(tap("order:pot")) is None
    assert await Order.filter().evaluate(tap(Signed(item="pot", qty=1).pack())) is None
    with pytest.raises(TypeError, match="no field 'size'"):
        Order.filter(size="l")


@given(st.text(alphabet=string.printable, max_size=60))
def test_escaped_text_never_contains_a_bare_separator(value):
    packed = Order(item=value, qty=1, note=value).pack()
    assert packed.count(":") == 7
