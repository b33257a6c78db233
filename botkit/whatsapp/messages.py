"""Message bodies for the Graph API's ``/messages`` call, checked against Meta's documented
limits before anything is sent (a ValueError names the field and the limit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
_CAPTION_KINDS = frozenset({"image", "video", "document"})


def checked_text(value: Any, limit: int, what: str) -> str:
    """``value`` itself when it is a string within ``limit`` characters and not blank; a
    ValueError naming ``what`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{what} is limited to {limit} characters, got {len(value)}")
    return value


def media_message(
    kind: str, media_id: str | None, link: str | None, caption: str | None, filename: str | None
) -> dict[str, Any]:
    if kind not in MEDIA_KINDS:
        raise ValueError(f"media kind must be one of {', '.join(MEDIA_KINDS)}, got {kind!r}")
    if (media_id is None) == (link is None):
        raise ValueError("send exactly one of media_id (uploaded) or link (hosted URL)")
    media: dict[str, Any] = {}
    if media_id is not None:
        media["id"] = checked_text(media_id, 256, "media_id")
    if link is not None:
        if not checked_text(link, 2048, "media link").startswith(("https://", "http://")):
            raise ValueError(f"media link must be an http(s) URL, got {link!r}")
        media["link"] = link
    if caption is not None:
        if kind not in _CAPTION_KINDS:
            raise ValueError(f"{kind} messages cannot have a caption (only image, video, document)")
        media["caption"] = checked_text(caption, 1024, "media caption")
    if filename is not None:
        if kind != "document":
            raise ValueError(f"only documents have a filename, not {kind}")
        media["filename"] = checked_text(filename, 240, "document filename")
    return {"type": kind, kind: media}


def _header(header: str | Mapping[str, Any] | None, *, text_only: bool) -> dict[str, Any] | None:
    if header is None:
        return None
    if isinstance(header, str):
        return {"type": "text", "text": checked_text(header, 60, "header text")}
    if text_only or not isinstance(header, Mapping) or "type" not in header:
        allowed = "a string" if text_only else "a string or a header object with a 'type'"
        raise ValueError(f"header must be {allowed}, got {header!r}")
    if header["type"] == "text":
        checked_text(header.get("text"), 60, "header text")
    return dict(header)


def _interactive(
    kind: str, body: str, body_limit: int, header: dict[str, Any] | None, footer: str | None
) -> dict[str, Any]:
    interactive: dict[str, Any] = {"type": kind}
    if header is not None:
        interactive["header"] = header
    interactive["body"] = {"text": checked_text(body, body_limit, f"{kind} message body")}
    if footer is not None:
        interactive["footer"] = {"text": checked_text(footer, 60, "footer text")}
    return interactive


def buttons_message(
    body: str,
    buttons: Sequence[tuple[str, str]],
    header: str | Mapping[str, Any] | None,
    footer: str | None,
) -> dict[str, Any]:
    if not 1 <= len(buttons) <= 3:
        raise ValueError(f"reply buttons: 1 to 3 buttons allowed, got {len(buttons)}")
    ids = _unique([button_id for button_id, _ in buttons], 256, "button id")
    titles = _unique([title for _, title in buttons], 20, "button title")
    interactive = _interactive("button", body, 1024, _header(header, text_only=False), footer)
    interactive["action"] = {
        "buttons": [
            {"type": "reply", "reply": {"id": button_id, "title": title}}
            for button_id, title in zip(ids, titles, strict=True)
        ]
    }
    return {"type": "interactive", "interactive": interactive}


def list_message(
    body: str,
    button: str,
    sections: Sequence[Mapping[str, Any]],
    header: str | None,
    footer: str | None,
) -> dict[str, Any]:
    if not 1 <= len(sections) <= 10:
        raise ValueError(f"list: 1 to 10 sections allowed, got {len(sections)}")
    built = []
    for index, section in enumerate(sections):
        rows = section.get("rows")
        if not isinstance(rows, Sequence) or isinstance(rows, str) or not rows:
            raise ValueError(f"list section {index} needs a non-empty 'rows' list")
        entry: dict[str, Any] = {}
        if section.get("title") is not None or len(sections) > 1:
            entry["title"] = checked_text(section.get("title"), 24, f"list section {index} title")
        entry["rows"] = [_list_row(row) for row in rows]
        built.append(entry)
    row_ids = [row["id"] for entry in built for row in entry["rows"]]
    if len(row_ids) > 10:
        raise ValueError(f"list: at most 10 rows in all sections together, got {len(row_ids)}")
    _unique(row_ids, 200, "list row id")
    interactive = _interactive("list", body, 4096, _header(header, text_only=True), footer)
    interactive["action"] = {"button": checked_text(button, 20, "list button label"),
                             "sections": built}
    return {"type": "interactive", "interactive": interactive}


def _list_row(row: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise ValueError(f"a list row must be a mapping with 'id' and 'title', got {row!r}")
    built = {"id": checked_text(row.get("id"), 200, "list row id")}
    built["title"] = checked_text(row.get("title"), 24, "list row title")
    if row.get("description") is not None:
        built["description"] = checked_text(row["description"], 72, "list row description")
    return built


def _unique(values: list[Any], limit: int, what: str) -> list[str]:
    checked = [checked_text(value, limit, what) for value in values]
    repeated = sorted({value for value in checked if checked.count(value) > 1})
    if repeated:
        raise ValueError(f"each {what} must be unique; repeated: {', '.join(repeated)}")
    return checked
