"""What ``botkit events``, ``dead-letters`` and ``quarantine`` need from a store, whatever its
kind: look at events, dead letters and quarantined items, and hand them to dispatch again.

Admin interfaces open connections of their own, so they work while servers and workers run;
those pick up what is handed back within seconds.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botkit.errors import StoreError


class AdminError(StoreError):
    """A request the store cannot carry out as asked (an unknown id, a bad filter)."""


@dataclass(frozen=True)
class EventFilter:
    """Which events an operation touches; every field narrows the selection."""

    keys: tuple[str, ...] = ()
    kind: str | None = None
    state: str | None = None
    plugin: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int | None = None

    def matches(self, row: dict[str, Any]) -> bool:
        """Whether an event row (as :meth:`StoreAdmin.events` gives them) is selected; the
        plugin test looks at the row's ``deliveries``."""
        received = row.get("received_at") or 0
        return ((not self.keys or row["key"] in self.keys)
                and (not self.kind or row["kind"] == self.kind)
                and (not self.state or row["state"] == self.state)
                and (not self.plugin
                     or any(d["plugin"] == self.plugin for d in row.get("deliveries", ())))
                and (self.since is None or received >= self.since)
                and (self.until is None or received < self.until))


class StoreAdmin(abc.ABC):
    """Inspection and repair of one store. Rows are plain dicts, ready for tables and JSON."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def events(self, selection: EventFilter) -> list[dict[str, Any]]:
        """Events newest first: key, kind, state, attempts, received_at, conversation and the
        ledger's ``deliveries`` (plugin, state, attempts, error)."""

    @abc.abstractmethod
    def event(self, key: str) -> dict[str, Any] | None:
        """One event with its decoded ``payload``, deliveries and ``quarantine`` reasons."""

    @abc.abstractmethod
    def replay(self, selection: EventFilter, plugin: str | None = None,
               all_plugins: Iterable[str] = ()) -> int:
        """Dispatch the selected events again: to every plugin, or to ``plugin`` only (the
        others in ``all_plugins`` are recorded as done). Returns how many."""

    @abc.abstractmethod
    def dead_letters(self, plugin: str | None = None, keys: tuple[str, ...] = ()
                     ) -> list[dict[str, Any]]:
        """Dead letters oldest first: key, kind, plugin, attempts, error, failed_at."""

    @abc.abstractmethod
    def retry_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        """Run the plugins that gave up again; plugins that succeeded are not called again."""

    @abc.abstractmethod
    def purge_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        """Give up on dead letters for good (their events count as finished)."""

    @abc.abstractmethod
    def quarantine(self, state: str | None = "held", limit: int | None = None
                   ) -> list[dict[str, Any]]:
        """Quarantined items oldest first: id, received_at, reason, kind, key, state, bytes."""

    @abc.abstractmethod
    def quarantined(self, item_id: str) -> dict[str, Any] | None:
        """One quarantined item with its raw ``payload`` bytes."""

    @abc.abstractmethod
    def reprocess(self, ids: tuple[str, ...] = ()) -> tuple[int, int]:
        """Hand held items (all, or those named) to dispatch again; they meet today's schemas
        there. Returns (items handed back, items still unreadable)."""
