"""`botkit send-test`, `botkit doctor signature` and `botkit new`, through click's runner against
a real bot on a loopback port."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import socket
import threading

import pytest
from click.testing import CliRunner
from samples import Recorder, payload_bytes, published_signatures

from botkit.cli.main import cli as botkit_cli
from botkit.cli.tools import diagnose_signature, register_tool_commands
from botkit.testing import APP_SECRET, BotRunner, make_settings, signature
from botkit.testing.payloads import text_message, wire_bytes

SECRET = [("the app secret", APP_SECRET)]
WIRE = payload_bytes("raw_wire_text_escaped.json").rstrip(b"\n")  # Meta's exact bytes
VERIFY_TOKEN_ENV = {"WHATSAPP_VERIFY_TOKEN": "vt"}


@pytest.fixture
def cli():
    register_tool_commands(botkit_cli)
    return botkit_cli


def run(cli, *args: str, env: dict[str, str] | None = None):
    return CliRunner(env={"BOTKIT_CONFIG": None, "WHATSAPP_APP_SECRET": None, **(env or {})}
                     ).invoke(cli, list(args))


class ThreadedBot:
    """A bot served from a thread of its own, so that the CLI's own event loop can talk to it."""

    def __init__(self, settings, recorder: Recorder) -> None:
        self.runner = BotRunner(settings, extra_plugins={"rec": recorder})
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def __enter__(self) -> ThreadedBot:
        self.thread.start()
        self.call(self.runner.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.runner.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def settle(self) -> None:
        self.call(self.runner.settle())


@pytest.fixture
def bot(tmp_path, recorder):
    with ThreadedBot(make_settings(tmp_path, enabled_plugins=["rec"]), recorder) as running:
        yield running


def messages(recorder: Recorder) -> list:
    return [e for e in recorder.events if e.kind == "message"]


# -- send-test -------------------------------------------------------------------------------


def test_send_test_posts_a_signed_sample(cli, bot, recorder):
    result = run(cli, "send-test", "--url", bot.runner.url, "--secret", APP_SECRET)
    assert result.exit_code == 0, result.output
    assert f"sent 1 POST(s) (1 items) to {bot.runner.url}" in result.output
    assert "200: 1" in result.output
    bot.settle()
    [message] = messages(recorder)
    assert message.type == "text" and message.text


def test_send_test_batches_and_repeats_fresh_samples(cli, bot, recorder):
    result = run(cli, "send-test", "--url", bot.runner.url, "--secret", APP_SECRET,
                 "--kind", "image", "--repeat", "3", "--batch", "4", "--concurrency", "2",
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["posts"], report["items"], report["statuses"]) == (3, 12, {"200": 3})
    bot.settle()
    assert [m.type for m in messages(recorder)] == ["image"] * 12


def test_send_test_duplicates_are_acknowledged_and_dispatched_once(cli, bot, recorder):
    result = run(cli, "send-test", "--url", bot.runner.url, "--secret", APP_SECRET,
                 "--kind", "status_read", "--repeat", "5", "--duplicate")
    assert result.exit_code == 0, result.output
    assert "sent 10 POST(s) (10 items, each twice)" in result.output and "200: 10" in result.output
    assert "posting" in result.stderr  # ten posts get a progress bar
    bot.settle()
    assert len({e.key for e in recorder.events}) == len(recorder.events) == 5


def test_send_test_posts_a_file_byte_for_byte(cli, bot, recorder, tmp_path):
    body = tmp_path / "batch.json"
    body.write_bytes(payload_bytes("statuses_batch.json"))
    result = run(cli, "send-test", "--url", bot.runner.url, "--secret", APP_SECRET,
                 "--file", str(body), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == 50
    bot.settle()
    assert recorder.counts()["status_received"] == 50


def test_send_test_fails_when_the_bot_refuses(cli, bot):
    result = run(cli, "send-test", "--url", bot.runner.url, "--secret", "not-the-secret")
    assert result.exit_code == 1
    assert "403: 1" in result.output and "signature" in result.output
    assert "not-the-secret" not in result.output


def test_send_test_reports_an_unreachable_server(cli):
    with socket.socket() as sock:  # a port that was just free, so nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(cli, "send-test", "--url", f"http://127.0.0.1:{port}/webhook", "--secret", "s",
                 "--timeout", "2")
    assert result.exit_code == 1
    assert "error (ConnectError): 1" in result.output


def test_send_test_takes_secret_and_url_from_the_settings(cli, bot, recorder, tmp_path):
    host, port = bot.runner.server.url.removeprefix("http://").split(":")
    config = tmp_path / "botkit.toml"
    config.write_text(f'[whatsapp]\nverify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}\n'
                      f'app_secrets = ["{APP_SECRET}"]\n\n[server]\nbind = "{host}:{port}"\n')
    result = run(cli, "send-test", "--config", str(config), env=VERIFY_TOKEN_ENV)
    assert result.exit_code == 0, result.output
    assert f"to http://{host}:{port}/webhook" in result.output
    result = run(cli, "send-test", "--url", bot.runner.url,
                 env={"WHATSAPP_APP_SECRET": APP_SECRET})
    assert result.exit_code == 0, result.output
    bot.settle()
    assert len(messages(recorder)) == 2


def test_send_test_usage_errors(cli, tmp_path):
    result = run(cli, "send-test", "--url", "http://127.0.0.1:9/webhook")
    assert result.exit_code == 2 and "no app secret" in result.output
    body = tmp_path / "b.json"
    body.write_text("{}")
    result = run(cli, "send-test", "--file", str(body), "--batch", "2", "--secret", "s")
    assert result.exit_code == 2 and "--batch" in result.output
    result = run(cli, "send-test", "--url", "127.0.0.1:8000", "--secret", "s")
    assert result.exit_code == 2 and "http://" in result.output
    result = run(cli, "send-test", "--kind", "telegram", "--secret", "s")
    assert result.exit_code == 2 and "telegram" in result.output


# -- doctor signature --------------------------------------------------------------------------


def test_signature_ok_names_the_matching_secret():
    header = published_signatures()[("message_text.json", "test-secret")]
    rotation = [("old", "fake_app_secret_0123456789abcdef"), ("new", "test-secret")]
    assert diagnose_signature(payload_bytes("message_text.json"), header, rotation) == (
        True, "OK: the signature matches the body with new.")


@pytest.mark.parametrize(("header", "expected"), [
    ("", "header missing"),
    ("   ", "header missing"),
    ("sha256=abc", "header malformed: 'sha256=abc': expected 'sha256=' followed by 64 hex"),
    ("0" * 64, "the 'sha256=' prefix is missing"),
    ("md5=" + "0" * 32, "header malformed"),
])
def test_signature_header_problems(header, expected):
    ok, message = diagnose_signature(WIRE, header, SECRET)
    assert not ok and expected in message


def test_signature_whole_header_line_and_upper_case_hex_are_accepted():
    header = signature(WIRE, APP_SECRET)
    assert diagnose_signature(WIRE, "X-Hub-Signature-256: " + header, SECRET)[0]
    assert diagnose_signature(WIRE, "sha256=" + header[7:].upper(), SECRET)[0]


def test_signature_legacy_sha1_header():
    import hashlib
    import hmac

    sha1 = "sha1=" + hmac.new(APP_SECRET.encode(), WIRE, hashlib.sha1).hexdigest()
    ok, message = diagnose_signature(WIRE, sha1, SECRET)
    assert not ok and "legacy header" in message and "matches with the app secret" in message


def test_signature_made_with_another_secret():
    header = signature(WIRE, "the-staging-app-secret")
    others = [("--other-secret #1", "old"), ("--other-secret #2", "the-staging-app-secret")]
    ok, message = diagnose_signature(WIRE, header, SECRET, others)
    assert not ok and message.startswith("wrong secret: the body was signed with "
                                         "--other-secret #2, not with the app secret the "
                                         "server uses (the app secret)")
    ok, message = diagnose_signature(WIRE, header, SECRET)
    assert not ok and message.startswith("no match: the signature matches none of the 1 secret")


def test_signature_after_the_body_was_reserialised():
    header = signature(WIRE, APP_SECRET)
    redone = json.dumps(json.loads(WIRE)).encode()  # what a body parser + json.dumps sends
    ok, message = diagnose_signature(redone, header, SECRET)
    assert not ok and "the body was re-serialised" in message
    assert "'/' escaping changed" in message and "whitespace changed: signed compact, " \
                                                 "yours spaced" in message
    compact_raw = json.dumps(json.loads(WIRE), separators=(",", ":"), ensure_ascii=False)
    ok, message = diagnose_signature(compact_raw.replace("/", "\\/").encode(), header, SECRET)
    assert not ok and message.startswith("body changed after signing: non-ASCII escaping "
                                         "changed: the signed body had \\uXXXX escapes and "
                                         "yours has the characters themselves.")
    indented = json.dumps(json.loads(WIRE), indent=3).encode()  # not a form botkit tries
    ok, message = diagnose_signature(indented, signature(
        json.dumps(json.loads(WIRE), separators=(",", ":")).encode(), APP_SECRET), SECRET)
    assert not ok and "re-serialised: the signed bytes were compact JSON, non-ASCII as " \
                      "\\uXXXX, / raw" in message


@pytest.mark.parametrize(("received", "expected"), [
    (WIRE + b"\n", "a trailing newline was added after signing"),
    (WIRE + b"\r\n", "a trailing CRLF line break was added"),
    (b'{"a": 1,\n "b": 2}', None),
])
def test_signature_after_newline_changes(received, expected):
    signed = WIRE if expected else b'{"a": 1,\r\n "b": 2}'
    ok, message = diagnose_signature(received, signature(signed, APP_SECRET), SECRET)
    assert not ok
    assert (expected or "line endings were changed from CRLF to LF") in message


def test_signature_after_a_stripped_newline_or_a_re_encoding():
    pretty = payload_bytes("message_text.json")
    ok, message = diagnose_signature(pretty.rstrip(b"\n"), signature(pretty, APP_SECRET), SECRET)
    assert not ok and "a trailing newline was stripped" in message
    signed = '{"body":"café"}'.encode()
    mangled = signed.decode("latin-1").encode("utf-8")
    ok, message = diagnose_signature(mangled, signature(signed, APP_SECRET), SECRET)
    assert not ok and "re-encoded" in message


def test_doctor_signature_command(cli, tmp_path):
    body = tmp_path / "body.json"
    body.write_bytes(WIRE)
    good = signature(WIRE, APP_SECRET)
    result = run(cli, "doctor", "signature", "--body", str(body), "--header", good,
                 "--secret", APP_SECRET)
    assert (result.exit_code, result.output) == (0, "OK: the signature matches the body with "
                                                    "--secret #1.\n")
    result = run(cli, "doctor", "signature", "--body", str(body), "--header", good,
                 env={"WHATSAPP_APP_SECRET": "another-secret"})
    assert result.exit_code == 1 and result.output.startswith("no match")
    assert "another-secret" not in result.output
    config = tmp_path / "botkit.toml"
    config.write_text('[whatsapp]\nverify_token = "vt"\n'
                      f'app_secrets = ["older-secret", "{APP_SECRET}"]\n')
    result = run(cli, "doctor", "signature", "--config", str(config), "--body", str(body),
                 "--header", good)
    assert result.exit_code == 0 and f"whatsapp.app_secrets[1] of {config}" in result.output
    result = run(cli, "doctor", "signature", "--body", str(body))
    assert result.exit_code == 2 and "no app secret" in result.output


# -- new ---------------------------------------------------------------------------------


def test_new_refuses_bad_names(cli, tmp_path):
    result = run(cli, "new", "plugin", "Order_Status", "--no-input", "--output-dir",
                 str(tmp_path))
    assert result.exit_code == 2 and "use lower-case letters, digits and single hyphens" \
        in result.output
    result = run(cli, "new", "bot", "shop", "--no-input", "--set", "oops")
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_renders_the_template(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(cookiecutter_config(tmp_path)))
    result = run(cli, "new", "plugin", "order-status", "--no-input", "--output-dir",
                 str(tmp_path), "--set", "author=Ana Souza")
    assert result.exit_code == 0, result.output
    project = tmp_path / "botkit-order-status"
    assert f"created {project}" in result.output
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "botkit-order-status"' in pyproject
    assert 'order-status = "botkit_order_status"' in pyproject and "Ana Souza" in pyproject
    assert (project / "botkit_order_status" / "config.schema.json").is_file()
    again = run(cli, "new", "plugin", "order-status", "--no-input", "--output-dir", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.output


def cookiecutter_config(tmp_path):
    """A cookiecutter user config that keeps its replay files inside the test's folder."""
    config = tmp_path.parent / f"{tmp_path.name}-cookiecutter.yaml"
    config.write_text(f"replay_dir: {tmp_path.parent / (tmp_path.name + '-replay')}\n"
                      f"cookiecutters_dir: {tmp_path.parent / (tmp_path.name + '-cc')}\n")
    return config


class CapturingWebhook(http.server.ThreadingHTTPServer):
    """A plain HTTP server on loopback that keeps every POST's raw bytes and headers and
    answers 200: what send-test really puts on the wire, before any parser touches it."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/webhook"

    def __enter__(self) -> CapturingWebhook:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def meta_wire_form(body: bytes) -> bytes:
    """The document re-encoded the way Meta sends it (compact, ASCII only, "/" escaped),
    written out here independently of the kit's own encoder."""
    text = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def test_built_samples_are_signed_over_the_wire_bytes(cli):
    with CapturingWebhook() as server:
        result = run(cli, "send-test", "--url", server.url, "--secret", APP_SECRET,
                     "--kind", "image", "--repeat", "2")
    assert result.exit_code == 0, result.output
    assert len(server.received) == 2 and server.received[0][0] != server.received[1][0]
    for body, headers in server.received:
        assert body == meta_wire_form(body) and b"\\/" in body  # the image URLs are escaped
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-hub-signature-256"] == expected
    # Non-ASCII text is escaped too, so a built body is signed in the form Meta signs.
    built = wire_bytes(text_message("Ol\N{LATIN SMALL LETTER A WITH ACUTE} / 1"))
    assert built == meta_wire_form(built) and b'"Ol\\u00e1 \\/ 1"' in built
