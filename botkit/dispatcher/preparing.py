"""Turning claimed events into jobs: decode, schema gate, and quarantine for those that fail.

Kept apart from the dispatcher's queues and workers: this part is pure work on a batch, safe to
run in a thread (schema checks are CPU work), and it is the same for claimed events and for
events handed out with their append.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from botkit.decode import Checker, prepare
from botkit.dispatcher.delivery import Job
from botkit.events import Message
from botkit.store.records import StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.worker")

#: An event that cannot be dispatched, with its problems.
Rejected = tuple[StoredEvent, list[str]]


def prepare_batch(bot: Bot, claimed: list[StoredEvent]) -> tuple[list[Job], list[Rejected]]:
    """Decode and check each event. An event that cannot be prepared, whatever the reason, is
    rejected with it; the rest go on."""
    jobs, rejected = [], []
    humans = bot.humans
    check = bot.validator.event_errors
    for stored in claimed:
        try:
            job, problems = _prepare_one(stored, humans, check)
        except RecursionError:
            job, problems = None, ["nested too deeply to check"]
        except Exception as exc:
            job, problems = None, [f"cannot be prepared for dispatch: "
                                   f"{type(exc).__name__}: {str(exc)[:200]}"]
        if job is None:
            rejected.append((stored, problems))
        else:
            jobs.append(job)
    return jobs, rejected


def _prepare_one(stored: StoredEvent, humans: frozenset[str], check: Checker
                 ) -> tuple[Job | None, list[str]]:
    event, problems, trace = prepare(stored.kind, stored.key, stored.payload, stored.attempt,
                                     check, stored.context)
    if event is None:
        return None, problems
    if isinstance(event, Message) and stored.conversation in humans:
        event = replace(event, with_human=True)
    return Job(stored, event, trace=trace), []


async def quarantine(bot: Bot, stored: StoredEvent, problems: list[str]) -> None:
    """Keep an event that fails its schema in quarantine, with the reasons."""
    reason = "; ".join(problems[:20])
    log.warning("event %s fails its schema; kept in quarantine: %s", stored.key, reason)
    bot.stats.quarantined.labels("schema").inc()
    await bot.store.quarantine_event(stored, reason)
