"""What the media index keeps about one kept file, defined once for every store.

The record names the file by its digest only; who sent it and to which business number are
columns of the index, never part of the file's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The message types whose file can be kept.
MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})


@dataclass(frozen=True, slots=True)
class KeptMedia:
    """A media file botkit downloaded and keeps: read it from ``path``.

    ``sha256`` is the file's digest in hex; ``customer`` the sender (wa_id, else the
    business-scoped user id) and ``phone_number_id`` the business number it was sent to;
    ``kept_at`` when it was stored (unix seconds).
    """

    media_id: str
    path: Path
    mime_type: str
    size: int
    sha256: str
    customer: str | None = None
    phone_number_id: str | None = None
    kept_at: float = 0.0

    def to_json(self) -> bytes:
        """The record as the Redis index stores it."""
        fields = {"media_id": self.media_id, "path": str(self.path),
                  "mime_type": self.mime_type, "size": self.size, "sha256": self.sha256,
                  "customer": self.customer, "phone_number_id": self.phone_number_id,
                  "kept_at": self.kept_at}
        return json.dumps(fields, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> KeptMedia:
        fields: dict[str, Any] = json.loads(data)
        return cls(media_id=str(fields["media_id"]), path=Path(fields["path"]),
                   mime_type=str(fields["mime_type"]), size=int(fields["size"]),
                   sha256=str(fields["sha256"]), customer=fields.get("customer"),
                   phone_number_id=fields.get("phone_number_id"),
                   kept_at=float(fields.get("kept_at") or 0.0))
