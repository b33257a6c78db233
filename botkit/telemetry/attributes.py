"""What a dispatch span says about its event, and which spans it links to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botkit.events import Message, Status

if TYPE_CHECKING:
    from botkit.dispatcher.delivery import Job
    from botkit.telemetry.tracing import Tracing


def dispatch_attributes(job: Job) -> dict[str, Any]:
    """The event's key, kind, conversation and attempt, and the message id it concerns."""
    event = job.event
    message_id = event.id if isinstance(event, Message | Status) else None
    return {"botkit.event.key": job.stored.key, "botkit.event.kind": job.stored.kind,
            "botkit.conversation": job.stored.conversation,
            "botkit.attempt": job.stored.attempt, "messaging.message.id": message_id}


def linked_context(tracing: Tracing, job: Job) -> list[str]:
    """The request that stored the event and, for a status, the send it reports on."""
    links = [job.trace] if job.trace else []
    if isinstance(job.event, Status):
        sent = tracing.send_context(job.event.id)
        if sent:
            links.append(sent)
    return links
