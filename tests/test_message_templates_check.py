"""Every way a template send can miss its cached definition, caught before any Graph call."""

from __future__ import annotations

import pytest
from message_templates_kit import (
    INVOICE_READY,
    ORDER_CONFIRMATION,
    ORDER_FOLLOWUP,
    STORE_LOCATION,
    SUMMER_CAROUSEL,
    VERIFY_CODE,
    WABA,
    cached,
)

from botkit import PermanentError
from botkit.message_templates import (
    CopyCode,
    Currency,
    DateTime,
    Document,
    ExtraParameter,
    FlowButton,
    Image,
    InvalidParameterValue,
    LanguageNotAvailable,
    Location,
    MissingParameter,
    QuickReply,
    Template,
    TemplateDisabled,
    TemplateError,
    TemplateNotApproved,
    TemplatePaused,
    Text,
    UnknownTemplate,
    UnsupportedTemplate,
    UrlButton,
    Video,
    WrongParameterType,
)
from botkit.message_templates.checking import check_template, find_cached

CONFIRMATION = cached(ORDER_CONFIRMATION)
FOLLOWUP = cached(ORDER_FOLLOWUP)


def good_confirmation(**changes) -> Template:
    fields = {"body": ["Ana", DateTime("July 3"), Currency("$12.50", "USD", 12500)],
              "header": "A-1042", "buttons": [UrlButton(1, "A-1042")], **changes}
    return Template("order_confirmation", "en_US", **fields)


def good_followup(**changes) -> Template:
    fields = {"body": {"first_name": "Ana", "order_id": "A-1042",
                       "total": Currency("$12.50", "USD", 12500), "shipped": DateTime("July 3")},
              "header": Image(link="https://cdn.example.com/a.jpg"),
              "buttons": [CopyCode(2, "SAVE10")], **changes}
    return Template("order_followup", "en_US", **fields)


def test_sends_that_fit_pass():
    check_template(good_confirmation(), CONFIRMATION)
    check_template(good_confirmation(buttons=[UrlButton(1, "A-1"), QuickReply(2, "stop")]),
                   CONFIRMATION)
    check_template(good_followup(buttons=[CopyCode(2, "SAVE10"), QuickReply(0, "no"),
                                          FlowButton(3, "tok")]), FOLLOWUP)
    check_template(Template("store_location", "en_US", header=Location(52.5, 13.4)),
                   cached(STORE_LOCATION))
    check_template(Template("invoice_ready", "de", body=["R-77"],
                            header=Document(id="77", filename="R-77.pdf")),
                   cached(INVOICE_READY))
    check_template(Template("verify_code", "en_US", body=["123456"],
                            buttons=[UrlButton(0, "123456")]), cached(VERIFY_CODE))


def test_every_template_error_is_one_family_and_a_permanent_failure():
    with pytest.raises(TemplateError) as caught:
        check_template(good_confirmation(header=None), CONFIRMATION)
    assert isinstance(caught.value, PermanentError)


# -- which template -----------------------------------------------------------------------------


def test_an_unknown_template_is_named_with_its_account():
    with pytest.raises(UnknownTemplate, match=f"'order_confirmaton' is not in the template "
                                              f"cache of WhatsApp Business Account {WABA}"):
        find_cached(Template("order_confirmaton", "en_US"), [], WABA)


def test_a_language_the_template_lacks_lists_those_it_has():
    rows = [CONFIRMATION, cached({**ORDER_CONFIRMATION, "language": "pt_BR"})]
    with pytest.raises(LanguageNotAvailable, match="no 'de' version; it has en_US, pt_BR") as c:
        find_cached(Template("order_confirmation", "de"), rows, WABA)
    assert c.value.available == ("en_US", "pt_BR")
    assert find_cached(Template("order_confirmation", "pt_BR"), rows, WABA).language == "pt_BR"


@pytest.mark.parametrize(("status", "error", "says"), [
    ("PAUSED", TemplatePaused, "is paused by Meta for low quality"),
    ("DISABLED", TemplateDisabled, "is disabled by Meta"),
    ("PENDING", TemplateNotApproved, "is PENDING, not APPROVED"),
    ("REJECTED", TemplateNotApproved, "is REJECTED, not APPROVED"),
    ("DELETED", TemplateNotApproved, "is DELETED"),
])
def test_statuses_that_cannot_be_sent(status, error, says):
    with pytest.raises(error, match=says) as caught:
        check_template(good_confirmation(), cached(ORDER_CONFIRMATION, status=status))
    assert caught.value.status == status


def test_a_flagged_template_still_goes_out():
    check_template(good_confirmation(), cached(ORDER_CONFIRMATION, status="FLAGGED"))


def test_a_template_only_known_from_webhooks_asks_for_a_sync():
    partial = cached(ORDER_CONFIRMATION).with_notes(partial=True)
    with pytest.raises(UnknownTemplate, match=r"only partly known.*botkit templates sync"):
        check_template(good_confirmation(), partial)


def test_parts_not_covered_are_named():
    with pytest.raises(UnsupportedTemplate, match="a CAROUSEL component"):
        check_template(Template("summer_carousel", "en_US"), cached(SUMMER_CAROUSEL))


# -- the header ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "definition", "error", "says"), [
    (good_confirmation(header=None), CONFIRMATION, MissingParameter,
     r"the header text needs \{\{1\}\}"),
    (good_confirmation(header=Image(id="1")), CONFIRMATION, WrongParameterType,
     r"the header is text with \{\{1\}\}, got an image"),
    (good_confirmation(header={"order": "A-1"}), CONFIRMATION, WrongParameterType,
     "takes a positional parameter, got one named 'order'"),
    (good_confirmation(header=" "), CONFIRMATION, InvalidParameterValue,
     "the header text is empty"),
    (good_followup(header=None), FOLLOWUP, MissingParameter,
     r"the header is an IMAGE: give header=Image\(...\)"),
    (good_followup(header=Video(id="5")), FOLLOWUP, WrongParameterType,
     "the header is an IMAGE, got a video"),
    (good_followup(header=Image(link="ftp://cdn.example.com/a.jpg")), FOLLOWUP,
     InvalidParameterValue, "link must be an http"),
    (Template("store_location", "en_US", header=Location(95.0, 13.4)), cached(STORE_LOCATION),
     InvalidParameterValue, "location is out of range"),
    (Template("store_location", "en_US", header=Text("x")), cached(STORE_LOCATION),
     WrongParameterType, "the header is a LOCATION, got a text"),
    (Template("invoice_ready", "de", body=["R-77"]), cached(INVOICE_READY),
     MissingParameter, "the header is a DOCUMENT"),
    (Template("product_video", "en_US", header="x"),
     cached({"name": "product_video", "language": "en_US",
             "components": [{"type": "BODY", "text": "See it."}]}),
     ExtraParameter, "the template has no header"),
    (Template("fixed", "en_US", header="x"),
     cached({"name": "fixed", "language": "en_US", "components": [
         {"type": "HEADER", "format": "TEXT", "text": "Hello"},
         {"type": "BODY", "text": "Body"}]}),
     ExtraParameter, "a header of fixed text"),
])
def test_header_mismatches(template, definition, error, says):
    with pytest.raises(error, match=says):
        check_template(template, definition)


def test_a_named_header_needs_its_name():
    named = cached({"name": "n", "language": "en", "parameter_format": "NAMED", "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{order}}"},
        {"type": "BODY", "text": "Thanks"}]})
    check_template(Template("n", "en", header={"order": "A-1"}), named)
    with pytest.raises(MissingParameter, match=r"the header needs \{\{order\}\} by name"):
        check_template(Template("n", "en", header="A-1"), named)


# -- the body -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "definition", "error", "says"), [
    (good_confirmation(body=["Ana"]), CONFIRMATION, MissingParameter,
     r"the body has 3 parameter\(s\), got 1: \{\{2\}\}, \{\{3\}\} missing"),
    (good_confirmation(body=["Ana", "b", "c", "d"]), CONFIRMATION, ExtraParameter,
     r"the body has 3 parameter\(s\), got 4"),
    (good_confirmation(body={"name": "Ana"}), CONFIRMATION, WrongParameterType,
     "the body takes positional parameters"),
    (good_followup(body=["Ana", "A-1", "x", "y"]), FOLLOWUP, WrongParameterType,
     "the body takes named parameters"),
    (good_followup(body={"first_name": "Ana", "order_id": "A", "total": "x"}), FOLLOWUP,
     MissingParameter, r"the body needs \{\{shipped\}\}"),
    (good_followup(body={"first_name": "Ana", "order_id": "A", "total": "x", "shipped": "y",
                         "coupon": "z"}), FOLLOWUP,
     ExtraParameter, r"the body has no \{\{coupon\}\}"),
    (good_confirmation(body=["Ana", "", "c"]), CONFIRMATION, InvalidParameterValue,
     r"body \{\{2\}\} is empty"),
    (good_confirmation(body=["Ana\nSmith", "b", "c"]), CONFIRMATION, InvalidParameterValue,
     r"body \{\{1\}\} has a line break"),
    (good_confirmation(body=["Ana", "b", Currency("$1", "usd", 1000)]), CONFIRMATION,
     InvalidParameterValue, "currency code must be three capital letters"),
    (good_confirmation(body=["Ana", "b", Currency("$1", "USD", 1.5)]), CONFIRMATION,
     InvalidParameterValue, "amount_1000 must be a whole number"),
    (good_confirmation(body=["Ana", DateTime(""), "c"]), CONFIRMATION, InvalidParameterValue,
     r"body \{\{2\}\} fallback_value is empty"),
    (Template("store_location", "en_US", header=Location(1.0, 2.0), body=["x"]),
     cached(STORE_LOCATION), ExtraParameter, "the body has no parameters, got 1"),
])
def test_body_mismatches(template, definition, error, says):
    with pytest.raises(error, match=says):
        check_template(template, definition)


def test_all_problems_are_listed_and_the_first_decides_the_class():
    template = good_confirmation(header=None, body=["Ana", "b", "c", "d"],
                                 buttons=[UrlButton(1, "x"), QuickReply(7, "p")])
    with pytest.raises(MissingParameter) as caught:
        check_template(template, CONFIRMATION)
    assert caught.value.problems == [
        "the header text needs {{1}}", "the body has 3 parameter(s), got 4",
        "button 7: the template has 3 button(s) (0 to 2)"]
    assert str(caught.value).startswith("template 'order_confirmation' (en_US): the header")


# -- the buttons --------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "definition", "error", "says"), [
    (good_confirmation(buttons=[]), CONFIRMATION, MissingParameter,
     r"button 1 \(URL\) needs UrlButton\(1, ...\)"),
    (good_confirmation(buttons=[UrlButton(1, "x"), UrlButton(0, "y")]), CONFIRMATION,
     ExtraParameter, r"button 0 \(PHONE_NUMBER 'Call us'\) is fixed; it takes no parameter"),
    (good_confirmation(buttons=[QuickReply(1, "x")]), CONFIRMATION, WrongParameterType,
     r"button 1 \(URL 'Track order'\) takes UrlButton\(1, ...\), got QuickReply"),
    (good_confirmation(buttons=[UrlButton(1, "x"), UrlButton(1, "y")]), CONFIRMATION,
     ExtraParameter, "button 1 is given twice"),
    (good_confirmation(buttons=[UrlButton(1, "")]), CONFIRMATION, InvalidParameterValue,
     "button 1 URL parameter is empty"),
    (good_followup(buttons=[]), FOLLOWUP, MissingParameter,
     r"button 2 \(COPY_CODE\) needs CopyCode\(2, ...\)"),
    (good_followup(buttons=[CopyCode(2, "SAVE10"), UrlButton(1, "x")]), FOLLOWUP,
     ExtraParameter, "button 1 .* has a fixed URL; it takes no parameter"),
    (good_followup(buttons=[CopyCode(2, "A-CODE-THAT-IS-TOO-LONG")]), FOLLOWUP,
     InvalidParameterValue, "coupon code has 23 characters; at most 15"),
    (good_followup(buttons=[CopyCode(2, "SAVE10"), FlowButton(0)]), FOLLOWUP,
     WrongParameterType, r"takes QuickReply\(0, ...\), got FlowButton"),
    (Template("verify_code", "en_US", body=["123456"]), cached(VERIFY_CODE), MissingParameter,
     r"button 0 \(URL\) needs UrlButton\(0, ...\)"),
    (Template("invoice_ready", "de", body=["R"], header=Document(id="1"),
              buttons=[QuickReply(0, "x")]), cached(INVOICE_READY), ExtraParameter,
     "button 0: the template has no button"),
])
def test_button_mismatches(template, definition, error, says):
    with pytest.raises(error, match=says):
        check_template(template, definition)
