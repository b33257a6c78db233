"""Every message builder gives the body Meta documents, and refuses what Meta would refuse
with a named error that says the limit, before anything is sent."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from botkit.errors import BotkitError
from botkit.routing import CallbackData
from botkit.whatsapp.builders import (
    Audio,
    Buttons,
    CallPermissionRequest,
    Carousel,
    CarouselCard,
    Catalog,
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactOrg,
    ContactPhone,
    Contacts,
    ContactUrl,
    CtaUrl,
    Document,
    DuplicateId,
    EmptyText,
    FlowMessage,
    Image,
    InvalidContact,
    InvalidEmoji,
    InvalidFlow,
    InvalidHeader,
    InvalidId,
    InvalidLocation,
    InvalidMediaSource,
    InvalidUrl,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    LocationRequest,
    MediaLink,
    MessageBuildError,
    MismatchedCards,
    Product,
    ProductList,
    ProductSection,
    Reaction,
    ReplyButton,
    Sticker,
    Template,
    Text,
    TextTooLong,
    TooFewItems,
    TooManyButtons,
    TooManyCards,
    TooManyProducts,
    TooManyRows,
    TooManySections,
    UrlButton,
    Video,
    Voice,
    body_of,
    message_bodies,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
LINK = "https://cdn.example.com/plant.jpg"


def interactive(kind: str, **parts: Any) -> dict[str, Any]:
    return {"type": "interactive", "interactive": {"type": kind, **parts}}


# -- shapes ---------------------------------------------------------------------------------------

SHAPES: list[tuple[str, Callable[[], Any], dict[str, Any]]] = [
    ("text", lambda: Text("Hello"), {"type": "text", "text": {"body": "Hello"}}),
    ("text with link preview", lambda: Text("See https://example.com", preview_url=True),
     {"type": "text", "text": {"body": "See https://example.com", "preview_url": True}}),
    ("image by id", lambda: Image.by_id("1479537139650973", caption="Fern"),
     {"type": "image", "image": {"id": "1479537139650973", "caption": "Fern"}}),
    ("image by link", lambda: Image.by_link(LINK),
     {"type": "image", "image": {"link": LINK}}),
    ("video by link", lambda: Video.by_link("https://cdn.example.com/a.mp4", caption="Tour"),
     {"type": "video", "video": {"link": "https://cdn.example.com/a.mp4", "caption": "Tour"}}),
    ("audio by id", lambda: Audio.by_id("1013859600285441"),
     {"type": "audio", "audio": {"id": "1013859600285441"}}),
    ("voice by id", lambda: Voice.by_id("1013859600285441"),
     {"type": "audio", "audio": {"id": "1013859600285441", "voice": True}}),
    ("document by link", lambda: Document.by_link("https://example.com/a.pdf", caption="Invoice",
                                                  filename="invoice.pdf"),
     {"type": "document", "document": {"link": "https://example.com/a.pdf",
                                       "caption": "Invoice", "filename": "invoice.pdf"}}),
    ("sticker by id", lambda: Sticker.by_id("798882015472548"),
     {"type": "sticker", "sticker": {"id": "798882015472548"}}),
    ("reply buttons with a text header", lambda: Buttons(
        "Which size?", [("s", "Small"), ReplyButton("l", "Large")], header="Planters",
        footer="Prices include tax"),
     interactive("button", header={"type": "text", "text": "Planters"},
                 body={"text": "Which size?"}, footer={"text": "Prices include tax"},
                 action={"buttons": [{"type": "reply", "reply": {"id": "s", "title": "Small"}},
                                     {"type": "reply", "reply": {"id": "l", "title": "Large"}}]})),
    ("reply buttons with an image header", lambda: Buttons(
        "Like it?", [("yes", "Yes")], header=Image.by_link(LINK)),
     interactive("button", header={"type": "image", "image": {"link": LINK}},
                 body={"text": "Like it?"},
                 action={"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]})),
    ("reply buttons with video and document headers", lambda: [
        Buttons("Watch", [("ok", "OK")], header=Video.by_id("42")).to_body(),
        Buttons("Read", [("ok", "OK")], header=Document.by_id("43", filename="a.pdf")).to_body()],
     [interactive("button", header={"type": "video", "video": {"id": "42"}},
                  body={"text": "Watch"},
                  action={"buttons": [{"type": "reply", "reply": {"id": "ok", "title": "OK"}}]}),
      interactive("button", header={"type": "document",
                                    "document": {"id": "43", "filename": "a.pdf"}},
                  body={"text": "Read"},
                  action={"buttons": [{"type": "reply", "reply": {"id": "ok", "title": "OK"}}]})]),
    ("more than 3 choices as a list", lambda: Buttons(
        "Pick a day", [(d.lower(), d) for d in ("Mon", "Tue", "Wed", "Thu")], header="Delivery",
        list_fallback=True, list_button="Days"),
     interactive("list", header={"type": "text", "text": "Delivery"},
                 body={"text": "Pick a day"},
                 action={"button": "Days", "sections": [{"rows": [
                     {"id": "mon", "title": "Mon"}, {"id": "tue", "title": "Tue"},
                     {"id": "wed", "title": "Wed"}, {"id": "thu", "title": "Thu"}]}]})),
    ("list", lambda: ListMessage(
        "Our shipping options", "Shipping", [
            ListSection("Express", [ListRow("priority", "Priority Mail", "1-2 days")]),
            ListSection("Standard", [("ground", "Ground"), ("freight", "Freight", "5 days")])],
        header="Choose", footer="Lucky Shrub"),
     interactive("list", header={"type": "text", "text": "Choose"},
                 body={"text": "Our shipping options"}, footer={"text": "Lucky Shrub"},
                 action={"button": "Shipping", "sections": [
                     {"title": "Express", "rows": [{"id": "priority", "title": "Priority Mail",
                                                    "description": "1-2 days"}]},
                     {"title": "Standard", "rows": [
                         {"id": "ground", "title": "Ground"},
                         {"id": "freight", "title": "Freight", "description": "5 days"}]}]})),
    ("CTA URL button", lambda: CtaUrl("Tap to see dates", "See Dates",
                                      "https://example.com/dates", header=Image.by_link(LINK),
                                      footer="Dates may change"),
     interactive("cta_url", header={"type": "image", "image": {"link": LINK}},
                 body={"text": "Tap to see dates"}, footer={"text": "Dates may change"},
                 action={"name": "cta_url", "parameters": {
                     "display_text": "See Dates", "url": "https://example.com/dates"}})),
    ("location request", lambda: LocationRequest("Where should we deliver?"),
     interactive("location_request_message", body={"text": "Where should we deliver?"},
                 action={"name": "send_location"})),
    ("call permission request", lambda: CallPermissionRequest("May we call you?"),
     interactive("call_permission_request", body={"text": "May we call you?"},
                 action={"name": "call_permission_request"})),
    ("contacts", lambda: Contacts([ContactCard(
        "Pablo Morales", first_name="Pablo", last_name="Morales",
        phones=[ContactPhone("+1 (940) 555-1234", type="CELL", wa_id="19405551234")],
        emails=[ContactEmail("pablo@example.com", type="WORK")],
        urls=[ContactUrl("https://example.com", type="WORK")],
        addresses=[ContactAddress(street="1 Hacker Way", city="Menlo Park", zip="94025",
                                  country_code="US", type="WORK")],
        org=ContactOrg(company="Lucky Shrub", title="Manager"), birthday="1999-01-23")]),
     {"type": "contacts", "contacts": [{
         "addresses": [{"street": "1 Hacker Way", "city": "Menlo Park", "zip": "94025",
                        "country_code": "US", "type": "WORK"}],
         "birthday": "1999-01-23",
         "emails": [{"email": "pablo@example.com", "type": "WORK"}],
         "name": {"formatted_name": "Pablo Morales", "first_name": "Pablo",
                  "last_name": "Morales"},
         "org": {"company": "Lucky Shrub", "title": "Manager"},
         "phones": [{"phone": "+1 (940) 555-1234", "type": "CELL", "wa_id": "19405551234"}],
         "urls": [{"url": "https://example.com", "type": "WORK"}]}]}),
    ("location", lambda: Location(37.44216251868683, -122.16153582049394,
                                  name="Philz Coffee", address="101 Forest Ave"),
     {"type": "location", "location": {"latitude": 37.44216251868683,
                                       "longitude": -122.16153582049394,
                                       "name": "Philz Coffee", "address": "101 Forest Ave"}}),
    ("reaction", lambda: Reaction("wamid.HBgL", "\U0001f44d"),
     {"type": "reaction", "reaction": {"message_id": "wamid.HBgL", "emoji": "\U0001f44d"}}),
    ("reaction removed", lambda: Reaction.removal("wamid.HBgL"),
     {"type": "reaction", "reaction": {"message_id": "wamid.HBgL", "emoji": ""}}),
    ("flow, navigate", lambda: FlowMessage(
        "Book a visit", "Book now", flow_id="1234567890", flow_token="tok-1",
        screen="DETAILS", data={"product": "fern"}, header="Visits", footer="Free"),
     interactive("flow", header={"type": "text", "text": "Visits"},
                 body={"text": "Book a visit"}, footer={"text": "Free"},
                 action={"name": "flow", "parameters": {
                     "flow_message_version": "3", "flow_token": "tok-1",
                     "flow_id": "1234567890", "flow_cta": "Book now",
                     "flow_action": "navigate",
                     "flow_action_payload": {"screen": "DETAILS",
                                             "data": {"product": "fern"}}}})),
    ("flow, data exchange, draft", lambda: FlowMessage(
        "Sign up", "Start", flow_name="signup", flow_action="data_exchange", mode="draft"),
     interactive("flow", body={"text": "Sign up"}, action={"name": "flow", "parameters": {
         "flow_message_version": "3", "flow_name": "signup", "flow_cta": "Start",
         "flow_action": "data_exchange", "mode": "draft"}})),
    ("carousel with URL buttons", lambda: Carousel("New arrivals", [
        CarouselCard(Image.by_link(f"https://cdn.example.com/{n}.png"), body=f"Plant {n}",
                     url_button=UrlButton("Shop", f"https://example.com/{n}"))
        for n in (1, 2)]),
     interactive("carousel", body={"text": "New arrivals"}, action={"cards": [
         {"card_index": i, "type": "cta_url",
          "header": {"type": "image", "image": {"link": f"https://cdn.example.com/{n}.png"}},
          "body": {"text": f"Plant {n}"},
          "action": {"name": "cta_url", "parameters": {
              "display_text": "Shop", "url": f"https://example.com/{n}"}}}
         for i, n in enumerate((1, 2))]})),
    ("carousel with quick replies", lambda: Carousel("Pick one", [
        CarouselCard(Video.by_id(f"v{n}"), quick_replies=[(f"more-{n}", "Learn more"),
                                                           (f"fav-{n}", "Favourite")])
        for n in (1, 2)]),
     interactive("carousel", body={"text": "Pick one"}, action={"cards": [
         {"card_index": i, "header": {"type": "video", "video": {"id": f"v{n}"}},
          "action": {"buttons": [
              {"type": "quick_reply", "quick_reply": {"id": f"more-{n}", "title": "Learn more"}},
              {"type": "quick_reply", "quick_reply": {"id": f"fav-{n}", "title": "Favourite"}}]}}
         for i, n in enumerate((1, 2))]})),
    ("catalog", lambda: Catalog("Browse our plants", footer="Free delivery",
                                thumbnail_product_retailer_id="fern-01"),
     interactive("catalog_message", body={"text": "Browse our plants"},
                 footer={"text": "Free delivery"},
                 action={"name": "catalog_message",
                         "parameters": {"thumbnail_product_retailer_id": "fern-01"}})),
    ("single product", lambda: Product("194836987003835", "fern-01", body="Our best seller"),
     interactive("product", body={"text": "Our best seller"},
                 action={"catalog_id": "194836987003835", "product_retailer_id": "fern-01"})),
    ("product list", lambda: ProductList(
        "Indoor plants", "Hand-picked for you", "194836987003835",
        [ProductSection("Ferns", ["fern-01", "fern-02"]), ProductSection("Cacti", ["cactus-1"])],
        footer="Ships in 2 days"),
     interactive("product_list", header={"type": "text", "text": "Indoor plants"},
                 body={"text": "Hand-picked for you"}, footer={"text": "Ships in 2 days"},
                 action={"catalog_id": "194836987003835", "sections": [
                     {"title": "Ferns", "product_items": [{"product_retailer_id": "fern-01"},
                                                         {"product_retailer_id": "fern-02"}]},
                     {"title": "Cacti", "product_items": [
                         {"product_retailer_id": "cactus-1"}]}]})),
    ("template, passed through", lambda: Template(
        "order_confirmation", "en_US",
        [{"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]}]),
     {"type": "template", "template": {
         "name": "order_confirmation", "language": {"code": "en_US"},
         "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]}]}}),
]


@pytest.mark.parametrize(("build", "expected"), [(b, e) for _, b, e in SHAPES],
                         ids=[name for name, _, _ in SHAPES])
def test_each_builder_gives_the_documented_body(build, expected):
    built = build()
    if isinstance(built, list):
        assert built == expected
        return
    assert built.to_body() == expected
    # A builder is also the message object as a read-only mapping: accepted wherever a dict is.
    assert isinstance(built, Mapping)
    assert dict(built) == expected == body_of(built)
    assert built["type"] == expected["type"]


def test_a_text_builder_equals_the_plain_text_reply():
    assert Text("hi").to_body() == message_bodies("hi")[0] == {"type": "text",
                                                               "text": {"body": "hi"}}


def test_builders_are_immutable_and_comparable():
    buttons = Buttons("Which?", [("a", "A")])
    with pytest.raises(AttributeError):
        buttons.body = "changed"  # type: ignore[misc]
    assert buttons == Buttons("Which?", [ReplyButton("a", "A")])
    assert hash(Text("x")) == hash(Text("x"))


class Size(CallbackData, prefix="size"):
    choice: str


def test_typed_callback_data_packs_into_button_and_row_ids():
    buttons = Buttons("Size?", [ReplyButton(Size(choice="s"), "Small")])  # type: ignore[arg-type]
    assert buttons.choices[0].id == "size:s"
    row = ListRow(Size(choice="l"), "Large")  # type: ignore[arg-type]
    assert row.id == "size:l"


def test_local_media_becomes_a_pending_upload_in_the_body(tmp_path):
    path = tmp_path / "menu.pdf"
    path.write_bytes(b"%PDF-1.7 menu")
    document = Document.from_file(path, caption="Menu")
    assert document.to_body() == {"type": "document", "document": {
        "botkit_upload": {"kind": "document", "mime_type": "application/pdf",
                          "filename": "menu.pdf", "path": str(path.resolve())},
        "caption": "Menu", "filename": "menu.pdf"}}
    image = Image.from_bytes(PNG, mime_type="image/png")
    assert image.to_body() == {"type": "image", "image": {"botkit_upload": {
        "kind": "image", "mime_type": "image/png",
        "data": base64.b64encode(PNG).decode()}}}
    with path.open("rb") as stream:
        assert Document.from_file(stream).to_body()["document"]["filename"] == "menu.pdf"


def test_message_bodies_splits_long_texts_only():
    long = ("A sentence that goes on. " * 400).strip()
    parts = message_bodies(long)
    assert len(parts) == 3
    assert "".join(p["text"]["body"] for p in parts) == long
    assert message_bodies(Location(1, 2)) == [Location(1, 2).to_body()]
    assert message_bodies({"type": "text", "text": {"body": "x"}}) == [
        {"type": "text", "text": {"body": "x"}}]
    with pytest.raises(EmptyText):
        message_bodies("   ")
    with pytest.raises(TypeError):
        message_bodies(42)


# -- limits ---------------------------------------------------------------------------------------

def rows(n: int) -> list[tuple[str, str]]:
    return [(f"r{i}", f"Row {i}") for i in range(n)]


def card(header: Any = None, **options: Any) -> CarouselCard:
    if not options:
        options = {"url_button": UrlButton("Shop", "https://example.com")}
    return CarouselCard(header or Image.by_link(LINK), **options)


LIMITS: list[tuple[str, Callable[[], Any], type[MessageBuildError], str]] = [
    ("text body 4096", lambda: Text("x" * 4097), TextTooLong, "4096"),
    ("text body blank", lambda: Text(" \n "), EmptyText, "empty"),
    ("button title 20", lambda: ReplyButton("a", "x" * 21), TextTooLong, "20 characters"),
    ("button id 256", lambda: ReplyButton("x" * 257, "A"), TextTooLong, "256"),
    ("button id spaces", lambda: ReplyButton(" a", "A"), InvalidId, "spaces"),
    ("at most 3 buttons", lambda: Buttons("b", rows(4)), TooManyButtons, "at most 3"),
    ("at least 1 button", lambda: Buttons("b", []), TooFewItems, "at least 1"),
    ("unique button ids", lambda: Buttons("b", [("a", "A"), ("a", "B")]), DuplicateId, "'a'"),
    ("unique button titles", lambda: Buttons("b", [("a", "A"), ("b", "A")]), DuplicateId,
     "title"),
    ("button body 1024", lambda: Buttons("x" * 1025, rows(1)), TextTooLong, "1024"),
    ("button header 60", lambda: Buttons("b", rows(1), header="x" * 61), TextTooLong, "60"),
    ("button footer 60", lambda: Buttons("b", rows(1), footer="x" * 61), TextTooLong, "60"),
    ("button header caption", lambda: Buttons("b", rows(1), header=Image.by_id("1", caption="c")),
     InvalidHeader, "caption"),
    ("button header kind", lambda: Buttons("b", rows(1), header=Audio.by_id("1")),  # type: ignore[arg-type]
     InvalidHeader, "Audio"),
    ("list fallback: 10 rows", lambda: Buttons("b", rows(11), list_fallback=True), TooManyRows,
     "at most 10"),
    ("list fallback: text header", lambda: Buttons("b", rows(4), header=Image.by_id("1"),
                                                   list_fallback=True), InvalidHeader, "text"),
    ("list fallback: row id 200", lambda: Buttons("b", [("x" * 201, "A"), *rows(3)],
                                                  list_fallback=True), TextTooLong, "200"),
    ("list button 20", lambda: ListMessage("b", "x" * 21, [ListSection(None, rows(1))]),
     TextTooLong, "20"),
    ("list 10 sections", lambda: ListMessage("b", "Open", [ListSection(f"S{i}", rows(1))
                                                           for i in range(11)]),
     TooManySections, "at most 10"),
    ("list 10 rows in all", lambda: ListMessage("b", "Open", [
        ListSection("A", [(f"a{i}", "A") for i in range(6)]),
        ListSection("B", [(f"b{i}", "B") for i in range(5)])]), TooManyRows, "at most 10"),
    ("list row title 24", lambda: ListRow("a", "x" * 25), TextTooLong, "24"),
    ("list row description 72", lambda: ListRow("a", "A", "x" * 73), TextTooLong, "72"),
    ("list row id 200", lambda: ListRow("x" * 201, "A"), TextTooLong, "200"),
    ("list section title 24", lambda: ListSection("x" * 25, rows(1)), TextTooLong, "24"),
    ("list section titles", lambda: ListMessage("b", "Open", [ListSection("A", rows(1)),
                                                              ListSection(None, [("z", "Z")])]),
     EmptyText, "section title"),
    ("list unique row ids", lambda: ListMessage("b", "Open", [ListSection("A", rows(1)),
                                                              ListSection("B", rows(1))]),
     DuplicateId, "r0"),
    ("list body 4096", lambda: ListMessage("x" * 4097, "Open", [ListSection(None, rows(1))]),
     TextTooLong, "4096"),
    ("list header is text", lambda: ListMessage("b", "Open", [ListSection(None, rows(1))],
                                                header=Image.by_id("1")),  # type: ignore[arg-type]
     InvalidHeader, "text"),
    ("CTA label 20", lambda: CtaUrl("b", "x" * 21, "https://example.com"), TextTooLong, "20"),
    ("CTA url", lambda: CtaUrl("b", "Go", "ftp://example.com"), InvalidUrl, "http(s)"),
    ("CTA body 1024", lambda: CtaUrl("x" * 1025, "Go", "https://e.com"), TextTooLong, "1024"),
    ("location request body 1024", lambda: LocationRequest("x" * 1025), TextTooLong, "1024"),
    ("call permission body", lambda: CallPermissionRequest(""), EmptyText, "empty"),
    ("caption 1024", lambda: Image.by_id("1", caption="x" * 1025), TextTooLong, "1024"),
    ("no caption on audio", lambda: Audio.by_id("1", caption="x"), InvalidMediaSource,
     "caption"),
    ("no caption on stickers", lambda: Sticker.by_id("1", caption="x"), InvalidMediaSource,
     "caption"),
    ("filename only on documents", lambda: Image.by_id("1", filename="a.png"),
     InvalidMediaSource, "filename"),
    ("media link is http(s)", lambda: MediaLink("file:///etc/passwd"), InvalidUrl, "http(s)"),
    ("latitude -90..90", lambda: Location(90.5, 0), InvalidLocation, "-90 to 90"),
    ("longitude -180..180", lambda: Location(0, -181), InvalidLocation, "-180 to 180"),
    ("reaction is an emoji", lambda: Reaction("wamid.1", "ok"), InvalidEmoji, "emoji"),
    ("contact name part", lambda: ContactCard("Ann"), InvalidContact, "first_name"),
    ("contact birthday", lambda: ContactCard("Ann", first_name="Ann", birthday="1999-02-30"),
     InvalidContact, "birthday"),
    ("contacts not empty", lambda: Contacts([]), InvalidContact, "at least one"),
    ("flow: id or name", lambda: FlowMessage("b", "Go", flow_id="1", flow_name="n",
                                             screen="A"), InvalidFlow, "exactly one"),
    ("flow CTA 20", lambda: FlowMessage("b", "x" * 21, flow_id="1", screen="A"), TextTooLong,
     "20"),
    ("flow CTA emoji", lambda: FlowMessage("b", "Go \U0001f680", flow_id="1", screen="A"),
     InvalidFlow, "emoji"),
    ("flow navigate screen", lambda: FlowMessage("b", "Go", flow_id="1"), InvalidFlow, "screen"),
    ("flow data exchange", lambda: FlowMessage("b", "Go", flow_id="1", screen="A",
                                               flow_action="data_exchange"),
     InvalidFlow, "data_exchange"),
    ("flow body 1024", lambda: FlowMessage("x" * 1025, "Go", flow_id="1", screen="A"),
     TextTooLong, "1024"),
    ("carousel 2 cards", lambda: Carousel("b", [card()]), TooFewItems, "at least 2"),
    ("carousel 10 cards", lambda: Carousel("b", [card() for _ in range(11)]), TooManyCards,
     "at most 10"),
    ("carousel headers alike", lambda: Carousel("b", [card(), card(Video.by_id("1"))]),
     MismatchedCards, "video"),
    ("carousel buttons alike", lambda: Carousel("b", [card(), card(quick_replies=[("a", "A")])]),
     MismatchedCards, "URL button"),
    ("carousel card body 160", lambda: card(body="x" * 161, url_button=UrlButton(
        "Go", "https://e.com")), TextTooLong, "160"),
    ("carousel card line breaks", lambda: card(body="a\nb\nc\nd", url_button=UrlButton(
        "Go", "https://e.com")), MessageBuildError, "2 line breaks"),
    ("carousel card one kind of button", lambda: card(url_button=UrlButton(
        "Go", "https://e.com"), quick_replies=[("a", "A")]), MessageBuildError, "not both"),
    ("carousel quick replies 2", lambda: card(quick_replies=rows(3)), TooManyButtons,
     "at most 2"),
    ("carousel body 1024", lambda: Carousel("x" * 1025, [card(), card()]), TextTooLong, "1024"),
    ("products 30 in all", lambda: ProductList("H", "b", "1", [
        ProductSection("A", [f"a{i}" for i in range(16)]),
        ProductSection("B", [f"b{i}" for i in range(15)])]), TooManyProducts, "at most 30"),
    ("product sections 10", lambda: ProductList("H", "b", "1", [
        ProductSection(f"S{i}", ["p"]) for i in range(11)]), TooManySections, "at most 10"),
    ("product section title 24", lambda: ProductSection("x" * 25, ["p"]), TextTooLong, "24"),
    ("product list header 60", lambda: ProductList("x" * 61, "b", "1", [
        ProductSection("A", ["p"])]), TextTooLong, "60"),
    ("catalog body 1024", lambda: Catalog("x" * 1025), TextTooLong, "1024"),
    ("template name", lambda: Template("", "en_US"), EmptyText, "template name"),
]


@pytest.mark.parametrize(("build", "error", "says"), [(b, e, s) for _, b, e, s in LIMITS],
                         ids=[name for name, _, _, _ in LIMITS])
def test_each_limit_is_a_named_error_that_says_it(build, error, says):
    with pytest.raises(error) as caught:
        build()
    assert says in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, BotkitError)
    assert isinstance(caught.value, MessageBuildError)
