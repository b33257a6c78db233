"""The Flows endpoint inside a real botkit app: settings, mounting, plugin hooks, real crypto."""

from __future__ import annotations

import asyncio
import logging
import tomllib
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flows_kit import (
    CUSTOMER,
    PASSPHRASE,
    PHONE_NUMBER_ID,
    declare_flow_hooks,
    flows_settings,
    key_pair,
    running_app,
    write_key,
)
from quart.testing.app import LifespanError

from botkit import hookimpl
from botkit.app import create_app
from botkit.errors import PluginError, SettingsError
from botkit.flows import FlowErrorNotification, FlowHandlers, FlowRequest, FlowResponse
from botkit.flows.app import attach_flow_tokens, gather_flow_handlers, install_flows
from botkit.flows.testing import MetaFlowsClient
from botkit.settings import Settings
from botkit.testing import APP_SECRET, VERIFY_TOKEN, make_settings

BOOKING = "1234567890123456"
SURVEY = "6543210987654321"


@pytest.fixture(autouse=True)
def flow_hooks(monkeypatch):
    declare_flow_hooks(monkeypatch)


def key_lines() -> list[str]:
    """The base64 lines of the private key, to prove none reaches an error message."""
    return [line for line in key_pair()[0].decode().splitlines() if "-----" not in line]


def settings_problems(folder: Path, flows: dict, env: dict | None = None) -> list[str]:
    data = {"whatsapp": {"verify_token": "v", "app_secret": "s"}, "flows": flows}
    with pytest.raises(SettingsError) as caught:
        Settings.from_dict(data, env=env or {}, base_dir=folder)
    message = str(caught.value)
    assert all(line not in message for line in key_lines())
    assert PASSPHRASE not in message
    return caught.value.problems


# -- settings ---------------------------------------------------------------------------------


def test_an_unreadable_key_is_a_problem_of_flows_private_key(tmp_path):
    (tmp_path / "damaged.pem").write_text("-----BEGIN PRIVATE KEY-----\n"
                                          + "\n".join(key_lines()[:5])
                                          + "\n-----END PRIVATE KEY-----\n")
    problems = settings_problems(tmp_path, {"private_key": {"file": "damaged.pem"}})
    assert problems == ["flows.private_key: the Flows private key is not a readable PEM "
                        "private key"]


def test_a_wrong_passphrase_is_a_problem_of_flows_passphrase(tmp_path):
    write_key(tmp_path)
    problems = settings_problems(tmp_path, {"private_key": {"file": "flows-private.pem"},
                                            "passphrase": {"env": "FLOWS_PASSPHRASE"}},
                                 env={"FLOWS_PASSPHRASE": "not the passphrase"})
    assert problems == ["flows.passphrase: the passphrase does not decrypt the Flows private key"]


def test_a_missing_passphrase_names_the_passphrase(tmp_path):
    write_key(tmp_path)
    problems = settings_problems(tmp_path, {"private_key": {"file": "flows-private.pem"}})
    assert problems == ["flows.passphrase: the Flows private key is encrypted: give its "
                        "passphrase"]


def test_a_key_too_small_is_a_problem_of_flows_private_key(tmp_path):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = small.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    problems = settings_problems(tmp_path, {"private_key": {"env": "FLOWS_KEY"}},
                                 env={"FLOWS_KEY": pem})
    assert problems == ["flows.private_key: the Flows private key has 1024 bits; Meta requires "
                        "at least 2048"]
    assert all(line not in "\n".join(problems) for line in pem.splitlines()[1:-1])


def test_every_problem_is_reported_together(tmp_path):
    problems = settings_problems(tmp_path, {"private_key": {"env": "NOT_SET"}, "path": "/webhook"})
    assert problems == ["flows.private_key: environment variable NOT_SET is not set",
                        "flows.path: /webhook is the webhook's path (server.path); give the "
                        "Flows endpoint a path of its own"]


def test_the_key_may_come_from_the_environment_with_escaped_line_breaks(tmp_path):
    escaped = key_pair()[0].decode().replace("\n", "\\n")
    settings = Settings.from_dict(
        {"whatsapp": {"verify_token": "v", "app_secret": "s"},
         "flows": {"private_key": {"env": "KEY"}, "passphrase": {"env": "PASS"}}},
        env={"KEY": escaped, "PASS": PASSPHRASE})
    assert settings.flows is not None and settings.flows.key is not None
    assert settings.flows.key.private_numbers() == key_pair()[2].private_numbers()
    assert (settings.flows.path, settings.flows.token_ttl_seconds) == ("/flows", 86400)
    assert PASSPHRASE not in repr(settings) and "PRIVATE KEY" not in repr(settings)


def test_a_settings_file_names_the_key_file_relative_to_itself(tmp_path):
    write_key(tmp_path)
    config = tmp_path / "botkit.toml"
    config.write_text('[whatsapp]\nverify_token = "v"\napp_secret = "s"\nwaba_id = "104996"\n'
                      '[flows]\npath = "/wa-flows"\nprivate_key = { file = "flows-private.pem" }\n'
                      'passphrase = { env = "PASS" }\ntoken_ttl_seconds = 600\n')
    assert "flows" in tomllib.loads(config.read_text())
    settings = Settings.from_file(config, env={"PASS": PASSPHRASE})
    assert settings.flows is not None and settings.flows.key is not None
    assert (settings.flows.path, settings.flows.token_ttl_seconds) == ("/wa-flows", 600)
    assert settings.whatsapp.waba_id == "104996"


def test_without_secrets_the_key_is_not_loaded(tmp_path):
    write_key(tmp_path)
    settings = Settings.from_dict(
        {"whatsapp": {"verify_token": "v", "app_secret": "s"},
         "flows": {"private_key": {"file": "flows-private.pem"}, "passphrase": {"env": "UNSET"}}},
        env={}, base_dir=tmp_path, secrets=False)
    assert settings.flows is not None and settings.flows.key is None
    app = create_app(make_settings(tmp_path))
    assert install_flows(app, app.extensions["botkit"]) is None  # no [flows]: nothing to do


# -- the app ----------------------------------------------------------------------------------


class Booking:
    """A plugin with its own Flow handlers; answers INIT and a screen submission."""

    def __init__(self) -> None:
        self.flows = FlowHandlers("booking")
        self.bots: list[object] = []
        self.notes: list[FlowErrorNotification] = []
        self.noted = asyncio.Event()

        @self.flows.on_init(flow_id=BOOKING)
        def opened(request: FlowRequest) -> FlowResponse:
            self.bots.append(request.context)
            return FlowResponse.screen("WHEN", {"days": ["Friday", "Saturday"]})

        @self.flows.on_data_exchange(flow_id=BOOKING, screen="WHEN")
        async def chosen(request: FlowRequest) -> FlowResponse:
            return FlowResponse.close({"day": request.data["day"]})

    @hookimpl
    def register_flow_handlers(self, register) -> None:
        register(self.flows)

    @hookimpl
    async def flow_error_received(self, bot, notification) -> None:
        self.notes.append(notification)
        self.noted.set()


class Survey:
    """A second plugin: its handlers answer only the tokens it issued."""

    def __init__(self) -> None:
        self.flows = FlowHandlers("survey")
        self.flows.add("INIT", lambda request: FlowResponse.screen("QUESTION", {"n": 1}))

    @hookimpl
    async def register_flow_handlers(self, bot, register) -> None:
        register(self.flows)


async def test_the_endpoint_answers_at_its_path_next_to_the_webhook(tmp_path):
    booking = Booking()
    settings = flows_settings(tmp_path, enabled_plugins=["booking"], path="/wa-flows")
    async with running_app(settings, {"booking": booking}) as (app, _, server), \
            httpx.AsyncClient(base_url=server.url) as http:
        bot = app.extensions["botkit"]
        token = bot.flow_tokens.issue(PHONE_NUMBER_ID, CUSTOMER, "booking", BOOKING, 600)
        async with MetaFlowsClient(server.url + "/wa-flows", key_pair()[2].public_key(),
                                   APP_SECRET) as meta:
            opened = await meta.send({"version": "3.0", "action": "INIT", "flow_token": token})
        assert opened.status == 200
        assert opened.payload == {"screen": "WHEN", "data": {"days": ["Friday", "Saturday"]}}
        assert booking.bots == [bot]
        verified = await http.get("/webhook", params={"hub.mode": "subscribe",
                                                      "hub.verify_token": VERIFY_TOKEN,
                                                      "hub.challenge": "1158201444"})
        assert (verified.status_code, verified.text) == (200, "1158201444")
        assert (await http.get("/wa-flows")).status_code == 405
        unsigned = await http.post("/wa-flows", content=b"{}")
        assert unsigned.status_code == 432
        assert (await http.get("/healthz")).text == "ok"
        exposed = (await http.get("/metrics")).text
        assert f'botkit_flow_requests_total{{action="INIT",flow="{BOOKING}",screen="none"}} 1.0' \
            in exposed
        assert 'botkit_flow_errors_total{flow="none",screen="none",status="432"} 1.0' in exposed


async def test_hook_register_flow_handlers(tmp_path):
    booking, survey = Booking(), Survey()
    settings = flows_settings(tmp_path, enabled_plugins=["booking", "survey"])
    async with running_app(settings, {"booking": booking, "survey": survey}) as (
            app, endpoint, server):
        tokens = app.extensions["botkit"].flow_tokens
        booked = tokens.issue(PHONE_NUMBER_ID, CUSTOMER, "booking", BOOKING, 600)
        surveyed = tokens.issue(PHONE_NUMBER_ID, CUSTOMER, "survey", SURVEY, 600)
        async with MetaFlowsClient(server.url + "/flows", key_pair()[2].public_key(),
                                   APP_SECRET) as meta:
            opened = await meta.send({"version": "3.0", "action": "INIT", "flow_token": booked})
            done = await meta.send({"version": "3.0", "action": "data_exchange",
                                    "screen": "WHEN", "data": {"day": "Friday"},
                                    "flow_token": booked})
            asked = await meta.send({"version": "3.0", "action": "INIT",
                                     "flow_token": surveyed})
            wrong = await meta.send({"version": "3.0", "action": "data_exchange",
                                     "screen": "QUESTION", "data": {}, "flow_token": surveyed})
    assert opened.payload["screen"] == "WHEN"
    assert done.payload == {"screen": "SUCCESS", "data": {"extension_message_response": {
        "params": {"day": "Friday", "flow_token": booked}}}}
    assert asked.payload == {"screen": "QUESTION", "data": {"n": 1}}
    assert wrong.status == 400  # the survey has no handler for it; booking's do not answer it
    assert len(endpoint.handlers) == 3


async def test_hook_flow_error_received(tmp_path, caplog):
    booking = Booking()
    settings = flows_settings(tmp_path, enabled_plugins=["booking"])
    async with running_app(settings, {"booking": booking}) as (app, _, server):
        token = app.extensions["botkit"].flow_tokens.issue(PHONE_NUMBER_ID, CUSTOMER, "booking",
                                                           BOOKING, 600)
        async with MetaFlowsClient(server.url + "/flows", key_pair()[2].public_key(),
                                   APP_SECRET) as meta:
            answer = await meta.send({"version": "3.0", "action": "data_exchange",
                                      "screen": "WHEN", "flow_token": token,
                                      "data": {"error": "INVALID_SCREEN_DATA",
                                               "error_message": "days is not declared"}})
        await asyncio.wait_for(booking.noted.wait(), 5)
    assert answer.payload == {"data": {"acknowledged": True}}
    [note] = booking.notes
    assert (note.error, note.error_message, note.screen) == (
        "INVALID_SCREEN_DATA", "days is not declared", "WHEN")
    assert note.claims is not None and note.claims.plugin == "booking"


async def test_installing_twice_changes_nothing(tmp_path):
    app = create_app(flows_settings(tmp_path))
    bot = app.extensions["botkit"]
    first = install_flows(app, bot)
    mounted, tokens = app.asgi_app, bot.flow_tokens
    assert first is not None and install_flows(app, bot) is first
    assert app.asgi_app is mounted and bot.flow_tokens is tokens
    async with app.test_app():  # one gathering of handlers, one set of metrics
        assert len(first.handlers) == 0


async def test_a_process_without_the_endpoint_issues_the_same_tokens(tmp_path):
    """A worker only needs the key to send Flows; its tokens are accepted by the server's."""
    (tmp_path / "worker").mkdir()
    worker = create_app(flows_settings(tmp_path / "worker")).extensions["botkit"]
    tokens = attach_flow_tokens(worker)
    assert tokens is not None and attach_flow_tokens(worker) is tokens
    server_app = create_app(flows_settings(tmp_path))
    endpoint = install_flows(server_app, server_app.extensions["botkit"])
    token = tokens.issue(PHONE_NUMBER_ID, CUSTOMER, "booking", BOOKING, 600)
    assert server_app.extensions["botkit"].flow_tokens.verify(token).plugin == "booking"
    assert endpoint is not None
    unloaded = create_app(make_settings(tmp_path)).extensions["botkit"]
    assert attach_flow_tokens(unloaded) is None


async def test_without_flows_settings_the_path_is_quarts(tmp_path):
    async with running_app(make_settings(tmp_path)) as (app, endpoint, server), \
            httpx.AsyncClient(base_url=server.url) as http:
        assert endpoint is None and getattr(app.extensions["botkit"], "flow_tokens", None) is None
        assert (await http.post("/flows", content=b"{}")).status_code == 404


class Greedy:
    """Hands over another plugin's registry: a bug that must stop the start."""

    @hookimpl
    def register_flow_handlers(self, register) -> None:
        register(FlowHandlers("booking"))


class Twin:
    """Registers the very case a shared registry of another plugin already handles."""

    def __init__(self) -> None:
        self.flows = FlowHandlers()
        self.flows.add("INIT", lambda request: FlowResponse.screen("A"), flow_id=BOOKING)

    @hookimpl
    def register_flow_handlers(self, register) -> None:
        register(self.flows)


@pytest.mark.parametrize(("plugins", "expected"), [
    ({"greedy": Greedy()}, "plugin greedy: registered the Flow handlers of plugin 'booking'"),
    ({"one": Twin(), "two": Twin()}, "plugin two: "),
])
async def test_handlers_a_plugin_may_not_register_stop_the_start(tmp_path, caplog, plugins,
                                                                  expected):
    app = create_app(flows_settings(tmp_path, enabled_plugins=list(plugins)), plugins=plugins)
    install_flows(app, app.extensions["botkit"])
    caplog.set_level(logging.CRITICAL)
    with pytest.raises(LifespanError) as caught:
        async with app.test_app():
            pass
    assert f"Error during startup {expected}" in str(caught.value)
    with pytest.raises(PluginError, match=expected):
        await gather_flow_handlers(app.extensions["botkit"])
