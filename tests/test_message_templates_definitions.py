"""Reading template definitions of every component kind, writing typed template messages, and
checking definitions before they are created."""

from __future__ import annotations

import pytest
from message_templates_kit import (
    INVOICE_READY,
    ORDER_CONFIRMATION,
    ORDER_FOLLOWUP,
    PRODUCT_VIDEO,
    STORE_LOCATION,
    SUMMER_CAROUSEL,
    VERIFY_CODE,
    cached,
)

from botkit.message_templates import (
    CachedTemplate,
    CopyCode,
    Currency,
    DateTime,
    Document,
    FlowButton,
    Image,
    Location,
    QuickReply,
    Template,
    TemplateDefinition,
    TemplateDefinitionInvalid,
    Text,
    UnsupportedTemplate,
    UrlButton,
    Video,
)
from botkit.message_templates.local_check import check_definition

# -- reading definitions ----------------------------------------------------------------------


def test_positional_text_header_body_footer_and_three_kinds_of_button():
    d = TemplateDefinition.parse(ORDER_CONFIRMATION)
    assert (d.name, d.language, d.named) == ("order_confirmation", "en_US", False)
    assert d.header is not None and d.header.format == "TEXT"
    assert d.header.placeholders.keys == ("1",)
    assert d.body.keys == ("1", "2", "3")
    assert d.footer == "Reply STOP to opt out"
    phone, url, quick = d.buttons
    assert (phone.index, phone.type, phone.kind, phone.dynamic) == (0, "PHONE_NUMBER", None, False)
    assert (url.index, url.kind, url.dynamic, url.url) == (
        1, "url", True, "https://shop.example.com/t/{{1}}")
    assert (quick.index, quick.kind, quick.dynamic, quick.optional) == (
        2, "quick_reply", False, True)
    assert d.unsupported == ()


def test_named_image_header_and_static_url_copy_code_and_flow_buttons():
    d = TemplateDefinition.parse(ORDER_FOLLOWUP)
    assert d.named is True
    assert d.header is not None and (d.header.format, d.header.placeholders.keys) == ("IMAGE", ())
    assert d.body.keys == ("first_name", "order_id", "total", "shipped")
    quick, help_link, copy_code, flow = d.buttons
    assert (quick.kind, help_link.kind, copy_code.kind, flow.kind) == (
        "quick_reply", "url", "copy_code", "flow")
    assert help_link.dynamic is False  # a fixed URL takes no parameter
    assert copy_code.dynamic is True and flow.optional is True


@pytest.mark.parametrize(("definition", "header"), [
    (STORE_LOCATION, "LOCATION"), (INVOICE_READY, "DOCUMENT"), (PRODUCT_VIDEO, "VIDEO")])
def test_location_document_and_video_headers(definition, header):
    d = TemplateDefinition.parse(definition)
    assert d.header is not None and d.header.format == header
    assert d.unsupported == ()


def test_authentication_templates_take_the_code_in_body_and_url_button():
    d = TemplateDefinition.parse(VERIFY_CODE)
    assert d.body.keys == ("1",)
    [button] = d.buttons
    assert (button.kind, button.dynamic) == ("url", True)
    otp = TemplateDefinition.parse({"name": "otp", "components": [
        {"type": "BODY", "text": "{{1}} is your code"},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]})
    assert (otp.buttons[0].kind, otp.buttons[0].dynamic) == ("url", True)


def test_parts_typed_sending_does_not_cover_are_listed():
    assert TemplateDefinition.parse(SUMMER_CAROUSEL).unsupported == ("a CAROUSEL component",)
    catalog = TemplateDefinition.parse({"components": [
        {"type": "BODY", "text": "Our catalog"},
        {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View"}]}]})
    assert catalog.unsupported == ("a CATALOG button (index 0)",)


def test_named_format_is_inferred_from_placeholders_when_meta_omits_it():
    definition = {"components": [{"type": "BODY", "text": "Hi {{ first_name }}"}]}
    parsed = TemplateDefinition.parse(definition)
    assert parsed.named is True and parsed.body.keys == ("first_name",)


def test_a_cached_template_survives_its_json_form():
    template = cached(ORDER_FOLLOWUP, quality="YELLOW").with_notes(reason="NONE?")
    again = CachedTemplate.from_json(template.to_json())
    assert again == template
    assert again.complete and again.sendable and again.quality == "YELLOW"
    assert again.parsed().body.keys == ("first_name", "order_id", "total", "shipped")


# -- writing template messages ----------------------------------------------------------------


def test_positional_template_body_with_every_parameter_kind():
    template = Template(
        "order_confirmation", "en_US",
        body=["Ana", Currency("$12.50", "USD", 12500), DateTime("July 3, 2026")],
        header=Text("A-1042"),
        buttons=[QuickReply(2, "stop-updates"), UrlButton(1, "A-1042")])
    assert template.to_body() == {"type": "template", "template": {
        "name": "order_confirmation", "language": {"code": "en_US"}, "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "A-1042"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ana"},
                {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD",
                                                  "amount_1000": 12500}},
                {"type": "date_time", "date_time": {"fallback_value": "July 3, 2026"}}]},
            {"type": "button", "sub_type": "url", "index": "1",
             "parameters": [{"type": "text", "text": "A-1042"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "2",
             "parameters": [{"type": "payload", "payload": "stop-updates"}]}]}}


def test_named_body_and_header_carry_parameter_names():
    template = Template("order_followup", "en_US",
                        body={"first_name": "Ana", "total": Currency("$1.00", "USD", 1000)},
                        header={"order": "A-1"})
    components = template.to_body()["template"]["components"]
    assert components[0]["parameters"] == [
        {"type": "text", "parameter_name": "order", "text": "A-1"}]
    assert components[1]["parameters"] == [
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        {"type": "currency", "parameter_name": "total",
         "currency": {"fallback_value": "$1.00", "code": "USD", "amount_1000": 1000}}]


@pytest.mark.parametrize(("header", "parameter"), [
    (Image(link="https://cdn.example.com/a.jpg"),
     {"type": "image", "image": {"link": "https://cdn.example.com/a.jpg"}}),
    (Video(id="1234"), {"type": "video", "video": {"id": "1234"}}),
    (Document(link="https://cdn.example.com/r.pdf", filename="R-77.pdf"),
     {"type": "document", "document": {"link": "https://cdn.example.com/r.pdf",
                                       "filename": "R-77.pdf"}}),
    (Location(52.52, 13.405, name="Shop", address="Main St 1"),
     {"type": "location", "location": {"latitude": 52.52, "longitude": 13.405, "name": "Shop",
                                       "address": "Main St 1"}}),
])
def test_media_and_location_headers(header, parameter):
    body = Template("t", "en", header=header).to_body()
    assert body["template"]["components"] == [{"type": "header", "parameters": [parameter]}]


def test_copy_code_and_flow_buttons():
    body = Template("t", "en", buttons=[
        CopyCode(2, "SAVE10"), FlowButton(3, "token-1", {"order": "A-1"}), FlowButton(4)]).to_body()
    assert body["template"]["components"] == [
        {"type": "button", "sub_type": "copy_code", "index": "2",
         "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]},
        {"type": "button", "sub_type": "flow", "index": "3", "parameters": [
            {"type": "action", "action": {"flow_token": "token-1",
                                          "flow_action_data": {"order": "A-1"}}}]},
        {"type": "button", "sub_type": "flow", "index": "4",
         "parameters": [{"type": "action", "action": {"flow_token": "unused"}}]}]


def test_a_template_reads_as_its_message_object_wherever_a_body_goes():
    template = Template("basket_reminder", "en_US")
    assert dict(template) == {"type": "template", "template": {
        "name": "basket_reminder", "language": {"code": "en_US"}}}
    assert template == template.to_body() and template["type"] == "template"


def test_a_message_object_reads_back_into_the_same_template():
    template = Template(
        "order_followup", "en_US",
        body={"first_name": "Ana", "total": Currency("$1.00", "USD", 1000),
              "shipped": DateTime("July 3")},
        header=Image(id="55"),
        buttons=[QuickReply(0, "stop"), CopyCode(2, "SAVE10"), FlowButton(3, "tok", {"a": 1}),
                 UrlButton(1, "x")])
    again = Template.from_body(template.to_body())
    assert again.to_body() == template.to_body()
    positional = Template("t", "en", body=["a", "b"], header=Location(1.0, 2.0),
                          buttons=[UrlButton(0, "x")])
    assert Template.from_body(positional.to_body()).to_body() == positional.to_body()
    document = Template("t", "en", header=Document(link="https://x.example/r.pdf",
                                                   filename="r.pdf"))
    assert Template.from_body(document.to_body()).to_body() == document.to_body()


def test_reading_back_refuses_what_it_cannot_check():
    with pytest.raises(ValueError, match="not a template message"):
        Template.from_body({"type": "text", "text": {"body": "hi"}})
    carousel = {"type": "template", "template": {"name": "c", "language": {"code": "en"},
                                                 "components": [{"type": "carousel"}]}}
    with pytest.raises(UnsupportedTemplate, match="'carousel' component"):
        Template.from_body(carousel)
    catalog = {"type": "template", "template": {"name": "c", "language": {"code": "en"},
               "components": [{"type": "button", "sub_type": "catalog", "index": "0"}]}}
    with pytest.raises(UnsupportedTemplate, match="catalog button"):
        Template.from_body(catalog)


@pytest.mark.parametrize(("kwargs", "error", "says"), [
    ({"name": ""}, ValueError, "needs a name"),
    ({"body": "Ana"}, TypeError, "body is a list"),
    ({"body": [3]}, TypeError, "not int"),
    ({"body": {"a": Text("x", name="b")}}, ValueError, "named 'b' too"),
    ({"header": {"a": "x", "b": "y"}}, ValueError, "at most one parameter"),
    ({"header": 5}, TypeError, "a header is"),
    ({"buttons": ["x"]}, TypeError, "buttons take"),
])
def test_building_a_template_refuses_what_cannot_be_a_template(kwargs, error, says):
    with pytest.raises(error, match=says):
        Template(**{"name": "t", "language": "en", **kwargs})


def test_parameters_refuse_impossible_values():
    with pytest.raises(ValueError, match="index is 0 to 9"):
        UrlButton(10, "x")
    with pytest.raises(ValueError, match="either link= or id="):
        Image()
    with pytest.raises(ValueError, match="not both"):
        Video(link="https://a.example/v.mp4", id="1")
    with pytest.raises(ValueError, match="parameter name"):
        Text("x", name="First Name").to_parameter()


# -- checking a definition before creating it -------------------------------------------------


@pytest.mark.parametrize("definition", [
    ORDER_CONFIRMATION, ORDER_FOLLOWUP, STORE_LOCATION, INVOICE_READY, PRODUCT_VIDEO,
    {"name": "verify_code", "language": "en_US", "category": "AUTHENTICATION", "components": [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]},
])
def test_well_formed_definitions_pass(definition):
    assert check_definition(definition)["name"] == definition["name"]


def test_every_problem_of_a_definition_is_reported_with_its_path():
    bad = {
        "name": "Order Update", "language": "english", "category": "PROMO",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{1}}{{3}}", "example": {"body_text": [["a"]]}},
            {"type": "FOOTER", "text": "Bye {{1}}"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Go", "url": "https://x.example/{{1}}/a"},
                {"type": "QUICK_REPLY", "text": "A label far longer than twenty-five"},
                {"type": "COPY_CODE", "example": "A-CODE-LONGER-THAN-15"}]},
            {"type": "BODY", "text": "again"},
        ],
    }
    with pytest.raises(TemplateDefinitionInvalid) as caught:
        check_definition(bad)
    problems = caught.value.problems
    expected = [
        "$.name: lowercase letters", "$.language: a language code", "$.category: one of",
        "$.components[0].example.header_handle", "$.components[1].text: parameters next to",
        "$.components[1].text: positional parameters must be numbered 1 to 2",
        "$.components[1].example.body_text: needs 2 sample",
        "$.components[2].text: a footer cannot have parameters",
        "$.components[3].buttons[0].url: one parameter, at the end",
        "$.components[3].buttons[1].text: at most 25", "$.components[3].buttons[2].example",
        "$.components[4]: a second BODY",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_named_definitions_need_named_samples_and_lowercase_names():
    definition = {"name": "n", "language": "en", "category": "UTILITY",
                  "parameter_format": "NAMED",
                  "components": [{"type": "BODY", "text": "Hi {{first_name}}, order {{Order}}",
                                  "example": {"body_text_named_params": [
                                      {"param_name": "first_name", "example": "Ana"}]}}]}
    with pytest.raises(TemplateDefinitionInvalid) as caught:
        check_definition(definition)
    assert caught.value.problems == [
        "$.components[0].text: named parameters are lowercase names such as {{first_name}}, "
        "got {{Order}}",
        "$.components[0].example.body_text_named_params: needs a sample for Order"]


def test_a_definition_without_body_or_components_is_refused():
    with pytest.raises(TemplateDefinitionInvalid, match="a BODY component is required"):
        check_definition({"name": "x", "language": "en", "category": "UTILITY",
                          "components": [{"type": "FOOTER", "text": "f"}]})
    with pytest.raises(TemplateDefinitionInvalid, match="non-empty list of components"):
        check_definition({"name": "x", "language": "en", "category": "UTILITY"})
    with pytest.raises(TemplateDefinitionInvalid, match="is a JSON object"):
        check_definition(["x"])
