"""``botkit.NO_REPLY``: what ``reply_for_message`` returns for "handled, send nothing"."""

from __future__ import annotations


class _NoReply:
    """Stops the ``reply_for_message`` chain without sending anything."""

    def __repr__(self) -> str:
        return "botkit.NO_REPLY"


NO_REPLY = _NoReply()
