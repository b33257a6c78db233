"""The errors of message building: each names the field at fault and the limit Meta sets.

Every one is a :class:`MessageBuildError`, which is a ``ValueError`` (a wrong argument), a
:class:`~botkit.errors.BotkitError` and a :class:`~botkit.errors.PermanentError`. They are
raised before anything is sent, so a message Meta would refuse never costs a Graph API call;
and since retrying cannot make the same message valid, a handler that raises one is not
retried, and the outbox marks such a message failed.
"""

from __future__ import annotations

from collections.abc import Iterable

from botkit.errors import BotkitError, PermanentError


class MessageBuildError(ValueError, BotkitError, PermanentError):
    """A message Meta would refuse; ``field`` names the part at fault."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        separator = "" if problem.startswith(":") else " "
        super().__init__(f"{field}{separator}{problem}")


class EmptyText(MessageBuildError):
    """A text Meta requires is missing or blank."""

    def __init__(self, field: str) -> None:
        super().__init__(field, "must not be empty")


class TextTooLong(MessageBuildError):
    """A text is longer than Meta allows for that field."""

    def __init__(self, field: str, limit: int, length: int) -> None:
        self.limit, self.length = limit, length
        super().__init__(field, f"is limited to {limit} characters, got {length}")


class InvalidId(MessageBuildError):
    """An id (button, row) Meta would refuse: surrounding spaces."""


class DuplicateId(MessageBuildError):
    """Ids (or titles) that must be unique within one message are repeated."""

    def __init__(self, field: str, repeated: Iterable[str]) -> None:
        self.repeated = tuple(repeated)
        super().__init__(field, "must be unique within the message; repeated: "
                         + ", ".join(repr(value) for value in self.repeated))


class TooManyItems(MessageBuildError):
    """More items than Meta allows in one message."""

    def __init__(self, field: str, limit: int, count: int) -> None:
        self.limit, self.count = limit, count
        super().__init__(field, f": at most {limit} allowed, got {count}")


class TooManyButtons(TooManyItems):
    """More than 3 reply buttons (and no list fallback asked for)."""


class TooManyRows(TooManyItems):
    """More than 10 rows in a list message, across all its sections."""


class TooManySections(TooManyItems):
    """More than 10 sections in a list or product list message."""


class TooManyCards(TooManyItems):
    """More than 10 cards in a carousel."""


class TooManyProducts(TooManyItems):
    """More than 30 products in a product list message, across all its sections."""


class TooFewItems(MessageBuildError):
    """Fewer items than Meta requires in one message."""

    def __init__(self, field: str, minimum: int, count: int) -> None:
        self.minimum, self.count = minimum, count
        super().__init__(field, f": at least {minimum} needed, got {count}")


class InvalidUrl(MessageBuildError):
    """Not an absolute http(s) URL."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(field, f"must be an http(s) URL, got {value!r}")


class InvalidHeader(MessageBuildError):
    """A header this message type does not take."""


class InvalidMediaSource(MessageBuildError):
    """Media given in a way this message type does not take (a caption on audio...)."""


class InvalidEmoji(MessageBuildError):
    """A reaction that is not an emoji."""


class InvalidLocation(MessageBuildError):
    """Coordinates out of range."""


class InvalidContact(MessageBuildError):
    """A contact card Meta would refuse."""


class InvalidFlow(MessageBuildError):
    """Flow message parameters Meta would refuse."""


class MismatchedCards(MessageBuildError):
    """Carousel cards that differ where Meta wants them alike (header type, buttons)."""


class InvalidMedia(MessageBuildError):
    """A file that cannot be uploaded as this kind of media; checked before any Graph call."""


class MediaFileNotFound(InvalidMedia):
    """The file to upload does not exist (or is not a file)."""


class EmptyMedia(InvalidMedia):
    """The file to upload has no bytes."""


class UnknownMediaType(InvalidMedia):
    """No MIME type was given and none can be told from the file name."""


class UnsupportedMediaType(InvalidMedia):
    """Meta does not take this MIME type for this kind of media."""


class MediaTooLarge(InvalidMedia):
    """The file is larger than Meta takes for this kind of media."""

    def __init__(self, field: str, limit: int, size: int) -> None:
        self.limit, self.size = limit, size
        super().__init__(field, f"is limited to {_size(limit)} ({limit} bytes), got {size} bytes")


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 2**10} KB"


__all__ = [
    "DuplicateId",
    "EmptyMedia",
    "EmptyText",
    "InvalidContact",
    "InvalidEmoji",
    "InvalidFlow",
    "InvalidHeader",
    "InvalidId",
    "InvalidLocation",
    "InvalidMedia",
    "InvalidMediaSource",
    "InvalidUrl",
    "MediaFileNotFound",
    "MediaTooLarge",
    "MessageBuildError",
    "MismatchedCards",
    "TextTooLong",
    "TooFewItems",
    "TooManyButtons",
    "TooManyCards",
    "TooManyItems",
    "TooManyProducts",
    "TooManyRows",
    "TooManySections",
    "UnknownMediaType",
    "UnsupportedMediaType",
]
