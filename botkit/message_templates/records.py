"""One template of one account in one language, as the local cache keeps it.

Read from ``GET /{waba_id}/message_templates`` (:meth:`CachedTemplate.from_graph`), or first
learnt from a webhook (then :attr:`CachedTemplate.definition` may be missing or partial until
the next ``botkit templates sync``). Stored as JSON, one record per (account, name, language),
the same on SQLite and Redis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from botkit.json_codec import from_json, to_json
from botkit.message_templates.definitions import TemplateDefinition

#: Statuses a template can be sent in. FLAGGED templates are approved ones at risk of being
#: paused; they still go out.
SENDABLE_STATUSES = frozenset({"APPROVED", "FLAGGED"})


@dataclass(frozen=True)
class CachedTemplate:
    """``definition`` is Meta's template object (``components``, ``parameter_format``...);
    ``notes`` what webhooks added: the last reason, a pending category change, and per aspect
    the time of the latest webhook applied (so an older one arriving late changes nothing)."""

    waba_id: str
    name: str
    language: str
    status: str
    id: str | None = None
    category: str | None = None
    quality: str | None = None
    definition: Mapping[str, Any] | None = None
    notes: Mapping[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.waba_id, self.name, self.language)

    @property
    def complete(self) -> bool:
        """True when the definition came from the Graph API (sync or create), so a send can be
        checked against it."""
        return self.definition is not None and not self.notes.get("partial")

    @property
    def sendable(self) -> bool:
        return self.status in SENDABLE_STATUSES

    def parsed(self) -> TemplateDefinition:
        """The definition, read for checking (an empty one when there is none)."""
        source = dict(self.definition or {})
        source.setdefault("name", self.name)
        source.setdefault("language", self.language)
        return TemplateDefinition.parse(source)

    def seen(self, aspect: str) -> float | None:
        """When the latest webhook about ``aspect`` that was applied happened."""
        times = self.notes.get("seen")
        value = times.get(aspect) if isinstance(times, Mapping) else None
        return float(value) if isinstance(value, int | float) else None

    def with_notes(self, **changes: Any) -> CachedTemplate:
        """A copy whose notes have ``changes`` (a value of None removes that note)."""
        notes = {**self.notes, **changes}
        return replace(self, notes={k: v for k, v in notes.items() if v is not None})

    def to_json(self) -> bytes:
        return to_json(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> CachedTemplate:
        raw = from_json(data.encode() if isinstance(data, str) else data)
        return cls(**{name: raw.get(name) for name in _FIELDS if name in raw})

    @classmethod
    def from_graph(cls, waba_id: str, item: Mapping[str, Any], now: float) -> CachedTemplate:
        """A template as the management API lists it (or as it was created)."""
        quality = item.get("quality_score")
        score = quality.get("score") if isinstance(quality, Mapping) else None
        definition = {key: item[key] for key in _DEFINITION_KEYS if key in item}
        reason = item.get("rejected_reason")
        notes: dict[str, Any] = {}
        if isinstance(reason, str) and reason not in ("NONE", ""):
            notes["reason"] = reason
        return cls(waba_id=str(waba_id), name=str(item.get("name", "")),
                   language=str(item.get("language", "")),
                   status=str(item.get("status") or "UNKNOWN").upper(),
                   id=str(item["id"]) if item.get("id") is not None else None,
                   category=item.get("category"), quality=score, definition=definition,
                   notes=notes, updated_at=now)


def kept_across_sync(fresh: CachedTemplate, old: CachedTemplate | None) -> CachedTemplate:
    """``fresh`` from a sync, keeping what only webhooks tell (webhook times, a pending category
    change), so that a webhook older than the last one applied still changes nothing."""
    if old is None:
        return fresh
    kept = {key: old.notes[key] for key in ("seen", "category_change") if key in old.notes}
    return replace(fresh, notes={**kept, **fresh.notes})


_FIELDS = ("waba_id", "name", "language", "status", "id", "category", "quality", "definition",
           "notes", "updated_at")
_DEFINITION_KEYS = ("name", "language", "components", "parameter_format", "category",
                    "sub_category")
