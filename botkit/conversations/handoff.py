"""Handing a conversation to a person and back, from anywhere: a plugin, the core (a reply from
the WhatsApp Business app, a handoff TTL running out) or an operator's command.

A handoff is one commit: the conversation's mode, the ``handoff`` event that calls
``handoff_started``/``handoff_ended`` in order with the conversation's other events, and with a
TTL the timer that ends it. The commit is keyed by what caused it, so doing the same handoff
again (a redelivered echo, a repeated command) changes nothing.
"""

from __future__ import annotations

from botkit.conversations.records import Changes, ModeChange, TimerSpec
from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.store.records import EventRecord

HANDOFF_TARGET = "botkit.handoff"


def handoff_changes(cause: str, conversation: str, change: ModeChange, now: float) -> Changes:
    """The changes of a handoff (or hand-back) caused by ``cause`` (a unique key)."""
    from botkit.json_codec import to_json

    payload = {"action": "started" if change.mode == "human" else "ended",
               "conversation": conversation, "by": change.by, "reason": change.reason,
               "until": change.until, "at": now}
    changes = Changes(mode=change)
    changes.events.append(EventRecord(f"handoff:{cause}", "handoff", conversation, int(now),
                                      to_json(payload)))
    if change.mode == "bot":
        # The expiry timer of the handoff being ended has nothing left to do.
        changes.cancelled_names.append("handoff_expiry")
    if change.mode == "human" and change.until is not None:
        changes.timers.append(TimerSpec(f"handoff-{cause}", conversation, HANDOFF_TARGET,
                                        "handoff_expiry", change.until, {"until": change.until}))
    return changes


async def apply_handoff(store: ConversationStore, cause: str, conversation: str,
                        change: ModeChange, now: float) -> bool:
    """Commit a handoff once per ``cause``; False when this cause was applied already."""
    prior = await store.prior(f"handoff:{cause}", HANDOFF_TARGET)
    if prior.handled:
        return False
    try:
        await store.commit(f"handoff:{cause}", HANDOFF_TARGET, conversation,
                           handoff_changes(cause, conversation, change, now), now)
    except StoreError:
        if (await store.prior(f"handoff:{cause}", HANDOFF_TARGET)).handled:
            return False
        raise
    return True
