"""Interactive messages people answer with a tap: reply buttons, lists and a URL button (the
requests for a location or a call permission are in :mod:`.requests`).

Meta's limits, checked when a builder is made: a body of 1,024 characters (4,096 for a list),
a header and a footer of 60; at most 3 reply buttons, titles of 20 and ids of 256 characters;
a list of at most 10 sections and 10 rows in all, with a button label of 20, row titles of 24,
row descriptions of 72, row ids of 200 and section titles of 24 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import (
    EmptyText,
    InvalidHeader,
    TooManyButtons,
    TooManyRows,
    TooManySections,
)
from botkit.whatsapp.builders.media import Document, Image, Video

BODY_LIMIT = 1024
LIST_BODY_LIMIT = 4096
HEADER_LIMIT = 60
FOOTER_LIMIT = 60
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_BUTTONS = 3
LIST_BUTTON_LIMIT = 20
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
SECTION_TITLE_LIMIT = 24
MAX_SECTIONS = 10
MAX_ROWS = 10

#: A header: a text (60 characters), or an image, a video or a document without caption.
Header: TypeAlias = str | Image | Video | Document


def header_object(header: Header | None, message: str, *,
                  media: bool = True) -> dict[str, Any] | None:
    """The ``header`` of an interactive message; ``media=False`` for types that only take a
    text header."""
    if header is None:
        return None
    if isinstance(header, str):
        return {"type": "text", "text": check.text(header, f"{message} header", HEADER_LIMIT)}
    if isinstance(header, Image | Video | Document):
        if not media:
            raise InvalidHeader(f"{message} header", "can only be a text")
        if header.caption is not None:
            raise InvalidHeader(f"{message} header", "media cannot have a caption")
        return {"type": header.kind, header.kind: header.media_object()}
    raise InvalidHeader(f"{message} header", "must be a text, an Image, a Video or a "
                        f"Document, not {type(header).__name__}")


def interactive(kind: str, body: str | None, *, body_limit: int = BODY_LIMIT,
                header: dict[str, Any] | None = None, footer: str | None = None,
                what: str | None = None) -> dict[str, Any]:
    """The common part of every interactive message, in Meta's order."""
    what = what or kind
    content: dict[str, Any] = {"type": kind}
    if header is not None:
        content["header"] = header
    if body is not None:
        content["body"] = {"text": check.text(body, f"{what} body", body_limit)}
    if footer is not None:
        content["footer"] = {"text": check.text(footer, f"{what} footer", FOOTER_LIMIT)}
    return content


@dataclass(frozen=True, slots=True)
class ReplyButton:
    """A reply button: ``id`` (256 characters, or typed callback data) comes back in the
    webhook when tapped; ``title`` (20 characters) is what the customer sees."""

    id: str
    title: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", check.identifier(self.id, "reply button id",
                                                        BUTTON_ID_LIMIT))
        check.text(self.title, "reply button title", BUTTON_TITLE_LIMIT)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "reply", "reply": {"id": self.id, "title": self.title}}


@dataclass(frozen=True, slots=True)
class ListRow:
    """A row of a list: ``id`` (200), ``title`` (24), optional ``description`` (72)."""

    id: str
    title: str
    description: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) and callable(getattr(self.id, "pack_for_list", None)):
            object.__setattr__(self, "id", self.id.pack_for_list())
        object.__setattr__(self, "id", check.identifier(self.id, "list row id", ROW_ID_LIMIT))
        check.text(self.title, "list row title", ROW_TITLE_LIMIT)
        check.optional_text(self.description, "list row description", ROW_DESCRIPTION_LIMIT)

    def to_dict(self) -> dict[str, Any]:
        row = {"id": self.id, "title": self.title}
        if self.description is not None:
            row["description"] = self.description
        return row


@dataclass(frozen=True, slots=True)
class ListSection:
    """A titled group of rows; the title (24) is required when a list has several sections."""

    title: str | None
    rows: Sequence[ListRow | tuple[str, str] | tuple[str, str, str | None]]

    def __post_init__(self) -> None:
        check.optional_text(self.title, "list section title", SECTION_TITLE_LIMIT)
        rows = tuple(row if isinstance(row, ListRow) else ListRow(*row) for row in self.rows)
        object.__setattr__(self, "rows", rows)
        check.count(rows, "list section rows", MAX_ROWS, too_many=TooManyRows)

    def to_dict(self) -> dict[str, Any]:
        section: dict[str, Any] = {}
        if self.title is not None:
            section["title"] = self.title
        section["rows"] = [row.to_dict() for row in self.row_list]
        return section

    @property
    def row_list(self) -> tuple[ListRow, ...]:
        """The rows (tuples given are turned into :class:`ListRow` when built)."""
        return cast(tuple[ListRow, ...], self.rows)


@dataclass(frozen=True, slots=True)
class ListMessage(MessageBuilder):
    """A list: a ``button`` label (20) that opens up to 10 ``sections`` with up to 10 rows in
    all; body up to 4,096 characters, optional text header and footer (60)."""

    body: str
    button: str
    sections: Sequence[ListSection]
    header: str | None = None
    footer: str | None = None

    def __post_init__(self) -> None:
        sections = tuple(self.sections)
        object.__setattr__(self, "sections", sections)
        check.count(sections, "list sections", MAX_SECTIONS, too_many=TooManySections)
        if len(sections) > 1 and any(section.title is None for section in sections):
            raise EmptyText("list section title (required when there are several sections)")
        rows = [row for section in sections for row in section.row_list]
        check.count(rows, "list rows (all sections together)", MAX_ROWS, too_many=TooManyRows)
        check.unique([row.id for row in rows], "list row id")
        check.text(self.button, "list button label", LIST_BUTTON_LIMIT)
        self.to_body()  # the body, header and footer limits

    def to_body(self) -> dict[str, Any]:
        content = interactive("list", self.body, body_limit=LIST_BODY_LIMIT,
                              header=header_object(self.header, "list", media=False),
                              footer=self.footer)
        content["action"] = {"button": self.button,
                             "sections": [section.to_dict() for section in self.sections]}
        return {"type": "interactive", "interactive": content}


@dataclass(frozen=True, slots=True)
class Buttons(MessageBuilder):
    """Up to 3 reply buttons under a body (1,024), with an optional header (a text, or an
    image, video or document) and footer.

    With ``list_fallback=True`` 4 to 10 choices are sent as a list instead, opened by a button
    labelled ``list_button``; the header must then be a text.
    """

    body: str
    buttons: Sequence[ReplyButton | tuple[str, str]]
    header: Header | None = None
    footer: str | None = None
    list_fallback: bool = False
    list_button: str = "Choose"

    def __post_init__(self) -> None:
        buttons = tuple(b if isinstance(b, ReplyButton) else ReplyButton(*b)
                        for b in self.buttons)
        object.__setattr__(self, "buttons", buttons)
        if self.list_fallback and len(buttons) > MAX_BUTTONS:
            self._as_list()  # checks the list's own limits
        else:
            check.count(buttons, "reply buttons", MAX_BUTTONS, too_many=TooManyButtons)
        check.unique([b.id for b in buttons], "reply button id")
        check.unique([b.title for b in buttons], "reply button title")
        self.to_body()

    @property
    def choices(self) -> tuple[ReplyButton, ...]:
        """The buttons (tuples given are turned into :class:`ReplyButton` when built)."""
        return cast(tuple[ReplyButton, ...], self.buttons)

    @property
    def is_list(self) -> bool:
        """True when the choices are sent as a list (more than 3, with ``list_fallback``)."""
        return self.list_fallback and len(self.buttons) > MAX_BUTTONS

    def _as_list(self) -> ListMessage:
        if self.header is not None and not isinstance(self.header, str):
            raise InvalidHeader("reply buttons header", "must be a text when more than 3 "
                                "choices are sent as a list")
        check.text(self.body, "button body", BODY_LIMIT)
        rows = [ListRow(b.id, b.title) for b in self.choices]
        return ListMessage(self.body, self.list_button, [ListSection(None, rows)],
                           header=self.header, footer=self.footer)

    def to_body(self) -> dict[str, Any]:
        if self.is_list:
            return self._as_list().to_body()
        content = interactive("button", self.body, header=header_object(self.header, "button"),
                              footer=self.footer)
        content["action"] = {"buttons": [b.to_dict() for b in self.choices]}
        return {"type": "interactive", "interactive": content}


@dataclass(frozen=True, slots=True)
class CtaUrl(MessageBuilder):
    """A button that opens ``url``: its label ``display_text`` (20), a body (1,024), an
    optional header (text or media) and footer."""

    body: str
    display_text: str
    url: str
    header: Header | None = None
    footer: str | None = None

    def __post_init__(self) -> None:
        check.text(self.display_text, "URL button label", BUTTON_TITLE_LIMIT)
        check.url(self.url, "URL button url")
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("cta_url", self.body, header=header_object(self.header, "cta_url"),
                              footer=self.footer, what="URL button message")
        content["action"] = {"name": "cta_url",
                             "parameters": {"display_text": self.display_text, "url": self.url}}
        return {"type": "interactive", "interactive": content}


__all__ = [
    "Buttons",
    "CtaUrl",
    "Header",
    "ListMessage",
    "ListRow",
    "ListSection",
    "ReplyButton",
]
