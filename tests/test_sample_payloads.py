"""Every sample payload is accepted with its published signature and reaches the right hooks."""

from __future__ import annotations

import pytest
from samples import db_rows, payload_bytes, payload_files, published_signatures

ONE_MESSAGE = {"message_received": 1, "contact_updated": 1}
ONE_STATUS = {"status_received": 1}
ONE_FIELD = {"event_received": 1}

EXPECTED = {
    "messages_multiple_entries_and_changes.json": {
        "message_received": 2,
        "contact_updated": 2,
        "status_received": 1,
    },
    "messages_multiple_in_one_change.json": {"message_received": 3, "contact_updated": 2},
    "message_errors_value_level.json": {"error_received": 1},
    # System messages carry no contacts array; the identity change itself is the update.
    "message_system_user_changed_number.json": ONE_MESSAGE,
    "message_system_customer_identity_changed.json": ONE_MESSAGE,
    "status_delivered_bsuid.json": {"status_received": 1, "contact_updated": 1},
    "statuses_batch.json": {"status_received": 50},
}


def expected_calls(name: str) -> dict[str, int]:
    if name in EXPECTED:
        return EXPECTED[name]
    if name.startswith("field_"):
        return ONE_FIELD
    if name.startswith("status"):
        return ONE_STATUS
    return ONE_MESSAGE


def test_every_sample_has_an_expectation():
    names = payload_files()
    assert len(names) >= 60
    assert set(EXPECTED) <= set(names)


@pytest.mark.parametrize("name", payload_files())
async def test_sample_is_dispatched_once_to_the_right_hooks(
    name, botkit_runner_factory, recorder, payload_clock
):
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"],
        extra_plugins={"rec": recorder},
        clock=payload_clock,
        whatsapp={
            "app_secret": None,
            "app_secrets": ["fake_app_secret_0123456789abcdef", "test-secret"],
        },
    )
    body = payload_bytes(name)
    signatures = published_signatures()
    for secret in ("fake_app_secret_0123456789abcdef", "test-secret"):
        response = await bot.client.post(
            "/webhook",
            content=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": signatures[(name, secret)],
            },
        )
        assert response.status_code == 200
    await bot.settle()
    assert dict(recorder.counts()) == expected_calls(name)
    assert db_rows(bot, "SELECT reason FROM quarantine") == []  # nothing refused its schema
    assert all(call[2] == 1 for call in recorder.calls)


async def test_identity_changes_are_typed(botkit_runner_factory, recorder, payload_clock):
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"], extra_plugins={"rec": recorder}, clock=payload_clock
    )
    await bot.post(payload_bytes("message_system_user_changed_number.json"))
    await bot.post(payload_bytes("message_system_customer_identity_changed.json"))
    await bot.settle()
    changes = [e for e in recorder.events if e.kind == "contact"]
    assert [c.change for c in changes] == ["changed_number", "identity_changed"]
    number = changes[0]
    assert number.wa_id and number.previous_wa_id and number.wa_id != number.previous_wa_id


async def test_typed_fields_of_messages_and_statuses(
    botkit_runner_factory, recorder, payload_clock
):
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"], extra_plugins={"rec": recorder}, clock=payload_clock
    )
    for name in (
        "message_interactive_button_reply.json",
        "message_button.json",
        "status_failed.json",
        "message_reaction_removed.json",
        "message_bsuid_username_only.json",
    ):
        assert (await bot.post(payload_bytes(name))).status_code == 200
    await bot.settle()
    by_kind = {}
    for event in recorder.events:
        by_kind.setdefault(event.kind, []).append(event)
    buttons = [m for m in by_kind["message"] if m.type in ("interactive", "button")]
    assert all(m.reply_id for m in buttons)
    failed = by_kind["status"][0]
    assert failed.status == "failed" and failed.errors[0].code == 131049
    reaction = next(m for m in by_kind["message"] if m.type == "reaction")
    assert reaction.text is None  # removal: no emoji
    username = next(m for m in by_kind["message"] if m.sender is None)
    assert username.sender_user_id and username.recipient == username.sender_user_id
    assert username.contact is not None and username.contact.username
