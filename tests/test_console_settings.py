"""The console's settings check and its sign-in building blocks: session cookies, CSRF tokens,
signed notes and the failed sign-in limit."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.console import ConsoleSettings, console_settings_problems, install_console
from botkit.console.auth import LoginLimiter, SessionKeeper, token_matches
from botkit.errors import SettingsError

TOKEN = "t" * 32


def test_a_disabled_console_needs_nothing():
    assert console_settings_problems(ConsoleSettings()) == []
    assert ConsoleSettings().path == "/console" and ConsoleSettings().session_minutes == 720


def test_an_enabled_console_needs_a_long_token():
    [missing] = console_settings_problems(ConsoleSettings(enabled=True))
    assert missing.startswith("console.token: missing")
    [short] = console_settings_problems(ConsoleSettings(enabled=True, token="t" * 31))
    assert short.startswith("console.token: 31 characters is too short")
    assert console_settings_problems(ConsoleSettings(enabled=True, token=TOKEN)) == []


def test_every_problem_is_reported_with_its_setting():
    problems = console_settings_problems(ConsoleSettings(
        enabled=True, token="x", path="console/", session_minutes=0,
        max_failed_logins_per_minute=0))
    assert [p.split(":")[0] for p in problems] == [
        "console.token", "console.path", "console.session_minutes",
        "console.max_failed_logins_per_minute"]
    [clash] = console_settings_problems(ConsoleSettings(enabled=True, token=TOKEN, path="/hooks"),
                                        webhook_path="/hooks/whatsapp")
    assert "would take over the webhook" in clash


def test_the_settings_are_frozen_and_never_show_the_token():
    settings = ConsoleSettings(enabled=True, token=TOKEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.token = "other"  # type: ignore[misc]
    assert TOKEN not in repr(settings) and "***" in repr(settings)


def test_install_refuses_a_console_without_a_token(tmp_path):
    from botkit.app import bot_of, create_app
    from botkit.testing import make_settings

    app = create_app(make_settings(tmp_path))
    with pytest.raises(SettingsError) as raised:
        install_console(app, bot_of(app), ConsoleSettings(enabled=True, token="hunter2-token"))
    assert "console.token" in str(raised.value) and "hunter2" not in str(raised.value)


def test_a_session_cookie_is_signed_expires_and_ends_at_sign_out():
    now = [1_000_000.0]
    keeper = SessionKeeper(TOKEN, minutes=1, clock=lambda: now[0])
    session, cookie = keeper.start()
    assert TOKEN not in cookie
    assert keeper.check(cookie) == session
    assert keeper.check(cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    sid, expiry, signature = cookie.split(".")
    assert keeper.check(f"{sid}.{int(expiry) + 3600}.{signature}") is None  # longer life: forged
    assert SessionKeeper("u" * 32, minutes=1, clock=lambda: now[0]).check(cookie) is None
    now[0] += 61
    assert keeper.check(cookie) is None
    now[0] -= 61
    keeper.end(session)
    assert keeper.check(cookie) is None


def test_csrf_tokens_belong_to_one_session():
    keeper = SessionKeeper(TOKEN, minutes=5)
    first, _ = keeper.start()
    second, _ = keeper.start()
    assert keeper.csrf_matches(first, first.csrf)
    assert not keeper.csrf_matches(first, second.csrf)
    assert not keeper.csrf_matches(first, None) and not keeper.csrf_matches(first, "")


@given(st.text(max_size=300))
def test_no_cookie_value_but_an_issued_one_is_accepted(value):
    assert SessionKeeper(TOKEN, minutes=5).check(value) is None


def test_notes_are_sealed():
    keeper = SessionKeeper(TOKEN, minutes=5)
    sealed = keeper.seal("ok|Dead letter <b>retried</b>")
    assert keeper.unseal(sealed) == "ok|Dead letter <b>retried</b>"
    packed, _, _ = sealed.partition(".")
    assert keeper.unseal(packed + ".forged") is None and keeper.unseal(None) is None


def test_token_comparison():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN[:-1], TOKEN) and not token_matches(TOKEN + "x", TOKEN)
    assert not token_matches("\udcff", TOKEN)  # text that is not valid Unicode is just wrong


def test_failed_sign_ins_are_limited_per_address_for_a_minute():
    now = [0.0]
    limiter = LoginLimiter(3, clock=lambda: now[0])
    for expected in (1, 2, 3):
        assert not limiter.blocked("10.0.0.1")
        assert limiter.failed("10.0.0.1") == expected
    assert limiter.blocked("10.0.0.1") and not limiter.blocked("10.0.0.2")
    now[0] = 59.0
    assert limiter.blocked("10.0.0.1")
    now[0] = 60.5
    assert not limiter.blocked("10.0.0.1")
