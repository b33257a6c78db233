"""What the console and ``botkit conversation show`` ask of a store about conversations, and
the helpers both readers share (``backends.open_reader`` picks the reader for a store URL).

A reader opens a connection of its own and only reads, so it can be used while the bot runs
and never holds up the webhook's commits. Its methods block: call them from a worker thread in
async code.
"""

from __future__ import annotations

import abc

from botkit.timeline.records import ConversationSummary, NumberFunnel, Timeline

#: A timeline reads at most this many events (the newest); ``Timeline.truncated`` says so.
ENTRY_LIMIT = 1000
#: Message events read (newest first) to find profile names and user ids for the list.
NAME_SCAN_LIMIT = 20_000


class TimelineReader(abc.ABC):
    """Read-only questions about customers and their conversations."""

    @abc.abstractmethod
    def timeline(self, customer: str, *, number: str | None = None,
                 now: float) -> Timeline | None:
        """``customer``'s timeline (wa_id or business-scoped user id) with every business
        number, or with ``number`` (a phone_number_id) only; None for a customer the store
        does not know."""

    @abc.abstractmethod
    def conversations(self, query: str | None, *, now: float,
                      limit: int = 100) -> list[ConversationSummary]:
        """Conversations, the most recently active first; with ``query``, those whose business
        number, customer number, user id or profile name contains it (any case)."""

    @abc.abstractmethod
    def funnel(self, since: float) -> list[NumberFunnel]:
        """The delivery funnel per business number, from statuses received since ``since``."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> TimelineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def matches(query: str, summary: ConversationSummary) -> bool:
    """Whether a conversation matches a search: numbers, user id or profile name."""
    wanted = query.casefold()
    return any(wanted in value.casefold() for value in
               (summary.key, summary.user_id or "", summary.name or ""))


def remember_latest(found: dict[str, str], key: str, value: str | None) -> None:
    """Keep the first value seen for ``key`` (rows come newest first); None is no value."""
    if value and key not in found:
        found[key] = value
