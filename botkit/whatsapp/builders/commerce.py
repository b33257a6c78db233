"""Messages that show products from the catalog connected to the WhatsApp Business Account:
the whole catalog, one product, or a list of up to 30 products in up to 10 sections.

Meta's limits: bodies 1,024 characters, footers and the product list's (required) text header
60, section titles 24. Products are named by their retailer id (the catalog's "Content ID").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import EmptyText, TooManyProducts, TooManySections
from botkit.whatsapp.builders.interactive import header_object, interactive

SECTION_TITLE_LIMIT = 24
MAX_SECTIONS = 10
MAX_PRODUCTS = 30


@dataclass(frozen=True, slots=True)
class Catalog(MessageBuilder):
    """A "View catalog" button under ``body``; ``thumbnail_product_retailer_id`` picks the
    product whose image heads the message (default: the catalog's first)."""

    body: str
    footer: str | None = None
    thumbnail_product_retailer_id: str | None = None

    def __post_init__(self) -> None:
        check.optional_text(self.thumbnail_product_retailer_id, "thumbnail_product_retailer_id")
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("catalog_message", self.body, footer=self.footer,
                              what="catalog message")
        action: dict[str, Any] = {"name": "catalog_message"}
        if self.thumbnail_product_retailer_id is not None:
            action["parameters"] = {
                "thumbnail_product_retailer_id": self.thumbnail_product_retailer_id}
        content["action"] = action
        return {"type": "interactive", "interactive": content}


@dataclass(frozen=True, slots=True)
class Product(MessageBuilder):
    """One product of catalog ``catalog_id``; body and footer are optional."""

    catalog_id: str
    product_retailer_id: str
    body: str | None = None
    footer: str | None = None

    def __post_init__(self) -> None:
        check.text(self.catalog_id, "catalog_id")
        check.text(self.product_retailer_id, "product_retailer_id")
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("product", self.body, footer=self.footer, what="product message")
        content["action"] = {"catalog_id": self.catalog_id,
                             "product_retailer_id": self.product_retailer_id}
        return {"type": "interactive", "interactive": content}


@dataclass(frozen=True, slots=True)
class ProductSection:
    """A titled (24) group of products, by retailer id."""

    title: str
    product_retailer_ids: Sequence[str]

    def __post_init__(self) -> None:
        check.text(self.title, "product section title", SECTION_TITLE_LIMIT)
        ids = tuple(self.product_retailer_ids)
        if not ids:
            raise EmptyText(f"product section {self.title!r} products")
        for product in ids:
            check.text(product, "product_retailer_id")
        object.__setattr__(self, "product_retailer_ids", ids)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title,
                "product_items": [{"product_retailer_id": p} for p in self.product_retailer_ids]}


@dataclass(frozen=True, slots=True)
class ProductList(MessageBuilder):
    """Up to 30 products of catalog ``catalog_id`` in up to 10 sections, under a required
    text ``header`` (60) and ``body`` (1,024)."""

    header: str
    body: str
    catalog_id: str
    sections: Sequence[ProductSection]
    footer: str | None = None

    def __post_init__(self) -> None:
        sections = tuple(self.sections)
        object.__setattr__(self, "sections", sections)
        check.count(sections, "product list sections", MAX_SECTIONS, too_many=TooManySections)
        products = [p for section in sections for p in section.product_retailer_ids]
        check.count(products, "product list products (all sections together)", MAX_PRODUCTS,
                    too_many=TooManyProducts)
        check.text(self.catalog_id, "catalog_id")
        check.text(self.header, "product list header")
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("product_list", self.body,
                              header=header_object(self.header, "product list", media=False),
                              footer=self.footer, what="product list")
        content["action"] = {"catalog_id": self.catalog_id,
                             "sections": [section.to_dict() for section in self.sections]}
        return {"type": "interactive", "interactive": content}
