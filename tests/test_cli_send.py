"""`botkit send` against the fake Graph API: the same builders, checks and text splitting as a
bot, one ``sent <wamid>`` line per message, one ``error:`` line and exit 1 or 2 otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from botkit.cli.send import send
from botkit.testing import APP_SECRET, VERIFY_TOKEN
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.harness import ACCESS_TOKEN

PNID = "106540352242922"
TO = "16505551234"
NO_ENV = {"WHATSAPP_ACCESS_TOKEN": None, "BOTKIT_CONFIG": None}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def settings_file(folder: Path, graph: FakeGraphAPI, *, token: str | None = ACCESS_TOKEN) -> str:
    path = folder / "botkit.toml"
    line = f'access_token = "{token}"\n' if token else ""
    path.write_text(f'[whatsapp]\nverify_token = "{VERIFY_TOKEN}"\napp_secret = "{APP_SECRET}"\n'
                    f'{line}graph_url = "{graph.url}"\n', encoding="utf-8")
    return str(path)


@pytest.fixture
def botkit_send(tmp_path, fake_graph):
    config = settings_file(tmp_path, fake_graph)

    def run(*args: str, env: dict[str, str] | None = None, with_config: bool = True) -> Result:
        options = ["--config", config] if with_config else []
        return CliRunner().invoke(send, [*options, *args], env={**NO_ENV, **(env or {})})
    return run


def sent_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("sent wamid.")]


def test_a_text(botkit_send, fake_graph):
    result = botkit_send("--to", "+1 650-555-1234", "--from", PNID, "--text", "Your order shipped")
    assert result.exit_code == 0, result.output
    assert len(sent_lines(result)) == 1 and result.stderr == ""
    [message] = fake_graph.sent_messages(PNID)
    assert message["to"] == TO
    assert message["text"] == {"body": "Your order shipped"}
    assert "Your order shipped" not in result.output and ACCESS_TOKEN not in result.output


def test_a_long_text_goes_out_in_order_in_several_messages(botkit_send, fake_graph):
    text = " ".join(f"Sentence number {n} of a long story." for n in range(300))
    result = botkit_send("--to", TO, "--from", PNID, "--text", text)
    assert result.exit_code == 0, result.output
    parts = [m["text"]["body"] for m in fake_graph.sent_messages()]
    assert len(parts) == 3 and "".join(parts) == text
    assert [line.rpartition("(")[2] for line in sent_lines(result)] == [
        "part 1 of 3)", "part 2 of 3)", "part 3 of 3)"]


def test_an_image_is_uploaded_then_sent_by_id(botkit_send, fake_graph, tmp_path):
    image = tmp_path / "fern.png"
    image.write_bytes(PNG)
    result = botkit_send("--to", TO, "--from", PNID, "--image", str(image), "--body", "A fern")
    assert result.exit_code == 0, result.output
    assert [r.path for r in fake_graph.requests] == [f"/v23.0/{PNID}/media",
                                                     f"/v23.0/{PNID}/messages"]
    [message] = fake_graph.sent_messages()
    assert message["image"]["caption"] == "A fern"
    assert fake_graph.state.media[message["image"]["id"]].content == PNG


def test_a_document_keeps_its_file_name(botkit_send, fake_graph, tmp_path):
    document = tmp_path / "invoice 42.pdf"
    document.write_bytes(b"%PDF-1.7 invoice")
    result = botkit_send("--to", TO, "--from", PNID, "--document", str(document))
    assert result.exit_code == 0, result.output
    [message] = fake_graph.sent_messages()
    assert message["document"]["filename"] == "invoice 42.pdf"


def test_buttons_and_more_choices_as_a_list(botkit_send, fake_graph):
    assert botkit_send("--to", TO, "--from", PNID, "--buttons", "Yes, No",
                       "--body", "Deliver tomorrow?").exit_code == 0
    assert botkit_send("--to", TO, "--from", PNID, "--buttons", "Mon,Tue,Wed,Thu,Fri",
                       "--body", "Which day?").exit_code == 0
    buttons, days = (m["interactive"] for m in fake_graph.sent_messages())
    assert buttons["type"] == "button" and buttons["body"] == {"text": "Deliver tomorrow?"}
    assert [b["reply"] for b in buttons["action"]["buttons"]] == [
        {"id": "Yes", "title": "Yes"}, {"id": "No", "title": "No"}]
    assert days["type"] == "list"
    assert [r["title"] for r in days["action"]["sections"][0]["rows"]] == [
        "Mon", "Tue", "Wed", "Thu", "Fri"]


def test_the_access_token_may_come_from_the_environment(tmp_path, fake_graph):
    config = settings_file(tmp_path, fake_graph, token=None)
    result = CliRunner().invoke(send, ["--config", config, "--to", TO, "--from", PNID,
                                       "--text", "hi"],
                                env={**NO_ENV, "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN})
    assert result.exit_code == 0, result.output
    assert fake_graph.requests[0].bearer == ACCESS_TOKEN


@pytest.mark.parametrize(("args", "says"), [
    ([], "exactly one of --text, --image, --document or --buttons"),
    (["--text", "a", "--buttons", "A"], "(got --text, --buttons)"),
    (["--buttons", "A,B"], "--buttons needs --body"),
    (["--buttons", "A,,B", "--body", "b"], "empty choice"),
    (["--text", "hi", "--body", "b"], "--body goes with"),
    (["--buttons", ",".join("ABCDEFGHIJK"), "--body", "b"], "at most 10"),
    (["--buttons", "A much too long button title", "--body", "b"], "20 characters"),
    (["--text", " "], "must not be empty"),
    (["--image", "no-such-file.png"], "does not exist"),
    (["--document", "pyproject.gif"], "does not exist"),
], ids=["nothing", "two kinds", "buttons without body", "empty choice", "body with text",
        "11 choices", "long title", "blank text", "missing image",
        "missing document"])
def test_bad_input_is_one_line_and_exit_2_before_any_call(botkit_send, fake_graph, args, says):
    result = botkit_send("--to", TO, "--from", PNID, *args)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and says in line
    assert fake_graph.requests == []


def test_a_file_meta_would_refuse_is_exit_2(botkit_send, fake_graph, tmp_path):
    gif = tmp_path / "cat.gif"
    gif.write_bytes(b"GIF89a")
    result = botkit_send("--to", TO, "--from", PNID, "--image", str(gif))
    assert result.exit_code == 2
    assert "cannot be 'image/gif' for image media" in result.stderr
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (5 * 2**20 + 1))
    result = botkit_send("--to", TO, "--from", PNID, "--image", str(big))
    assert result.exit_code == 2 and "limited to 5 MB" in result.stderr
    assert fake_graph.requests == []


def test_the_business_number_token_and_recipient_are_required(tmp_path, fake_graph, botkit_send):
    result = botkit_send("--to", TO, "--text", "hi")
    assert result.exit_code == 2 and "give --from PHONE_NUMBER_ID" in result.stderr
    result = botkit_send("--to", "call me", "--from", PNID, "--text", "hi")
    assert result.exit_code == 2 and "--to must be a phone number" in result.stderr
    result = botkit_send("--to", TO, "--from", "12/34", "--text", "hi")
    assert result.exit_code == 2 and "--from must be a phone number id" in result.stderr
    config = settings_file(tmp_path, fake_graph, token=None)
    result = CliRunner().invoke(send, ["--config", config, "--to", TO, "--from", PNID,
                                       "--text", "hi"], env=NO_ENV)
    assert result.exit_code == 2 and "no access token" in result.stderr
    assert fake_graph.requests == []


def test_a_refusal_is_exit_1_and_says_which_parts_were_not_sent(botkit_send, fake_graph):
    fake_graph.fail_next(1, status=400, code=131026, path_contains="/messages")
    result = botkit_send("--to", TO, "--from", PNID, "--text", "hello")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Graph API error 131026") and ACCESS_TOKEN not in line

    fake_graph.reset()
    text = " ".join(f"Sentence number {n} of a long story." for n in range(300))
    fake_graph.fail_next(1, status=400, code=131026, path_contains="/messages")
    result = botkit_send("--to", TO, "--from", PNID, "--text", text)
    assert result.exit_code == 1
    assert "parts 1 to 3 were not sent" in result.stderr
    assert fake_graph.sent_messages() == []
