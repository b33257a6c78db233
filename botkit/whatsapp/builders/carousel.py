"""A media carousel (``interactive`` type ``carousel``): 2 to 10 cards scrolled sideways, each
an image or a video with an optional text and either one URL button or quick-reply buttons.

Meta's rules: the message body (1,024) is required and nothing else goes outside the cards;
every card has the same kind of header (all images or all videos) and the same buttons (a URL
button each, or the same number of quick replies); a card's text is at most 160 characters
with at most 2 line breaks; button labels are at most 20 characters, quick-reply ids 256.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import (
    InvalidHeader,
    MessageBuildError,
    MismatchedCards,
    TooManyButtons,
    TooManyCards,
)
from botkit.whatsapp.builders.interactive import (
    BODY_LIMIT,
    BUTTON_TITLE_LIMIT,
    ReplyButton,
    interactive,
)
from botkit.whatsapp.builders.media import Image, Video

MIN_CARDS, MAX_CARDS = 2, 10
CARD_BODY_LIMIT = 160
CARD_BODY_LINE_BREAKS = 2
MAX_QUICK_REPLIES = 2


@dataclass(frozen=True, slots=True)
class UrlButton:
    """A button that opens ``url``, labelled ``display_text`` (20 characters)."""

    display_text: str
    url: str

    def __post_init__(self) -> None:
        check.text(self.display_text, "URL button label", BUTTON_TITLE_LIMIT)
        check.url(self.url, "URL button url")


@dataclass(frozen=True, slots=True)
class CarouselCard:
    """One card: ``media`` (an :class:`Image` or a :class:`Video`, no caption), an optional
    ``body`` and either ``url_button`` or up to 2 ``quick_replies``."""

    media: Image | Video
    body: str | None = None
    url_button: UrlButton | None = None
    quick_replies: Sequence[ReplyButton | tuple[str, str]] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.media, Image | Video):
            raise InvalidHeader("carousel card header", "must be an Image or a Video")
        if self.media.caption is not None:
            raise InvalidHeader("carousel card header", "media cannot have a caption")
        if self.body is not None:
            check.text(self.body, "carousel card body", CARD_BODY_LIMIT)
            if self.body.count("\n") > CARD_BODY_LINE_BREAKS:
                raise MessageBuildError("carousel card body", f"allows at most "
                                        f"{CARD_BODY_LINE_BREAKS} line breaks")
        replies = tuple(b if isinstance(b, ReplyButton) else ReplyButton(*b)
                        for b in self.quick_replies)
        object.__setattr__(self, "quick_replies", replies)
        if (self.url_button is None) == (not replies):
            raise MessageBuildError("carousel card buttons",
                                    "need either one url_button or quick_replies, not both")
        check.count(replies, "carousel card quick replies", MAX_QUICK_REPLIES,
                    minimum=0, too_many=TooManyButtons)
        check.unique([b.id for b in replies], "carousel quick reply id")

    @property
    def replies(self) -> tuple[ReplyButton, ...]:
        return cast(tuple[ReplyButton, ...], self.quick_replies)

    @property
    def button_shape(self) -> tuple[str, int]:
        """What must match across cards: the kind of button and how many."""
        return ("url", 1) if self.url_button is not None else ("quick_reply", len(self.replies))

    def to_dict(self, index: int) -> dict[str, Any]:
        card: dict[str, Any] = {"card_index": index}
        if self.url_button is not None:
            card["type"] = "cta_url"
        kind = self.media.kind
        card["header"] = {"type": kind, kind: self.media.media_object()}
        if self.body is not None:
            card["body"] = {"text": self.body}
        if self.url_button is not None:
            card["action"] = {"name": "cta_url", "parameters": {
                "display_text": self.url_button.display_text, "url": self.url_button.url}}
        else:
            card["action"] = {"buttons": [
                {"type": "quick_reply", "quick_reply": {"id": b.id, "title": b.title}}
                for b in self.replies]}
        return card


@dataclass(frozen=True, slots=True)
class Carousel(MessageBuilder):
    """``body`` (1,024) above 2 to 10 :class:`CarouselCard` objects, shown in order."""

    body: str
    cards: Sequence[CarouselCard]

    def __post_init__(self) -> None:
        cards = tuple(self.cards)
        object.__setattr__(self, "cards", cards)
        if not all(isinstance(card, CarouselCard) for card in cards):
            raise MessageBuildError("carousel cards", "must be CarouselCard objects")
        check.count(cards, "carousel cards", MAX_CARDS, minimum=MIN_CARDS,
                    too_many=TooManyCards)
        if len({card.media.kind for card in cards}) > 1:
            raise MismatchedCards("carousel cards", "must all have an image header or all a "
                                  "video header")
        if len({card.button_shape for card in cards}) > 1:
            raise MismatchedCards("carousel cards", "must all have a URL button, or all the "
                                  "same number of quick replies")
        check.unique([b.id for card in cards for b in card.replies], "carousel quick reply id")
        check.text(self.body, "carousel body", BODY_LIMIT)

    def to_body(self) -> dict[str, Any]:
        content = interactive("carousel", self.body, what="carousel")
        content["action"] = {"cards": [card.to_dict(i) for i, card in enumerate(self.cards)]}
        return {"type": "interactive", "interactive": content}
