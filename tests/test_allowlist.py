"""The webhook allow-list: networks, the client address behind proxies, a proxy's client subject,
settings checks, and a live bot refusing other addresses before anything is stored."""

from __future__ import annotations

import ipaddress
import logging

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from samples import db_rows, payload_bytes

from botkit import SettingsError
from botkit.security.allowlist import (
    Refused,
    WatchedNetworkFile,
    client_address,
    parse_address,
)
from botkit.security.networks import NetworkSet, parse_network
from botkit.testing import APP_SECRET, BotRunner, make_settings, signed_headers

META_SUBJECT = "CN=client.webhooks.fbclientcerts.com,O=Meta Platforms\\, Inc.,L=Menlo Park,C=US"
BODY = payload_bytes("message_text.json")


def networks(*texts: str) -> NetworkSet:
    return NetworkSet(parse_network(text) for text in texts)


def scope(peer: str, *headers: tuple[str, str]) -> dict:
    return {"client": (peer, 5000),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers]}


# -- networks ----------------------------------------------------------------------------------


def test_membership_covers_ipv4_and_ipv6_bounds():
    allowed = networks("157.240.0.0/16", "2a03:2880::/32", "31.13.24.0/21", "31.13.32.0/21")
    assert ipaddress.ip_address("157.240.0.0") in allowed
    assert ipaddress.ip_address("157.240.255.255") in allowed
    assert ipaddress.ip_address("157.241.0.0") not in allowed
    assert ipaddress.ip_address("157.239.255.255") not in allowed
    assert ipaddress.ip_address("31.13.39.255") in allowed  # two adjacent ranges, merged
    assert ipaddress.ip_address("2a03:2880:f12f::1") in allowed
    assert ipaddress.ip_address("2a03:2881::1") not in allowed
    assert ipaddress.ip_address("::ffff:157.240.1.1") not in allowed  # parse_address maps it
    assert len(allowed) == 4


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)), max_size=12),
       st.integers(0, 2**32 - 1))
def test_membership_agrees_with_checking_every_network(raw, probe):
    nets = [ipaddress.ip_network((value, prefix), strict=False) for value, prefix in raw]
    address = ipaddress.IPv4Address(probe)
    assert (address in NetworkSet(nets)) == any(address in net for net in nets)


def test_networks_are_parsed_strictly_with_a_hint():
    with pytest.raises(ValueError, match=r"host bits set \(did you mean 10.0.0.0/8\?\)"):
        parse_network("10.1.2.3/8")
    with pytest.raises(ValueError, match="not a network in CIDR form"):
        parse_network("meta")


def test_addresses_as_servers_and_proxies_write_them():
    assert parse_address("::ffff:192.0.2.7") == ipaddress.ip_address("192.0.2.7")
    assert parse_address("192.0.2.7:443") == ipaddress.ip_address("192.0.2.7")
    assert parse_address("[2001:db8::1]:443") == ipaddress.ip_address("2001:db8::1")
    assert parse_address(" 2001:db8::2 ") == ipaddress.ip_address("2001:db8::2")
    with pytest.raises(Refused, match="'unknown' is not an IP address"):
        parse_address("unknown")


# -- the client's address ----------------------------------------------------------------------


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    trusted = networks("10.0.0.0/8")
    request = scope("198.51.100.9", ("X-Forwarded-For", "157.240.1.1"))
    assert str(client_address(request, trusted)) == "198.51.100.9"


def test_forwarded_for_is_walked_from_the_right_past_trusted_proxies():
    trusted = networks("10.0.0.0/8")
    request = scope("10.0.0.1", ("X-Forwarded-For", "6.6.6.6, 157.240.1.1"),
                    ("X-Forwarded-For", "10.2.2.2"))
    # 6.6.6.6 was written by the client itself; the first untrusted hop from the right is Meta
    assert str(client_address(request, trusted)) == "157.240.1.1"


def test_all_hops_trusted_gives_the_leftmost_and_no_header_gives_the_proxy():
    trusted = networks("10.0.0.0/8")
    assert str(client_address(scope("10.0.0.1", ("X-Forwarded-For", "10.9.9.9, 10.8.8.8")),
                              trusted)) == "10.9.9.9"
    assert str(client_address(scope("10.0.0.1"), trusted)) == "10.0.0.1"


def test_a_forwarded_entry_that_is_not_an_address_is_refused():
    with pytest.raises(Refused, match="not an IP address"):
        client_address(scope("10.0.0.1", ("X-Forwarded-For", "1.2.3.4, garbage")),
                       networks("10.0.0.0/8"))
    with pytest.raises(Refused, match="no client address"):
        client_address({"client": None, "headers": []}, networks())


# -- the networks file, re-read when it changes -------------------------------------------------


def test_watched_file_reloads_changes_and_keeps_the_old_list_when_broken(tmp_path, caplog):
    path = tmp_path / "nets.txt"
    path.write_text("# comment\n192.0.2.0/24\n")
    now = [0.0]
    watched = WatchedNetworkFile(path, recheck_seconds=5, clock=lambda: now[0])
    inside, outside = ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("198.51.100.1")
    assert inside in watched.current() and outside not in watched.current()

    path.write_text("198.51.100.0/24\n2001:db8::/32\n")
    now[0] = 4.9
    assert inside in watched.current()  # not looked at before recheck_seconds
    now[0] = 5.0
    assert outside in watched.current() and inside not in watched.current()

    caplog.set_level(logging.ERROR, "botkit.allowlist")
    path.write_text("198.51.100.0/24\nnot-a-network\n")
    for now[0] in (10.0, 15.0, 20.0):
        assert outside in watched.current()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once per broken version, not once per check
    assert "keeping the previous 2" in errors[0] and "line 2" in errors[0]

    path.unlink()
    now[0] = 30.0
    assert outside in watched.current()


# -- settings ----------------------------------------------------------------------------------


def test_every_security_problem_is_reported_with_its_path(tmp_path):
    (tmp_path / "broken.txt").write_text("192.0.2.0/24\n\nfoo\n")
    with pytest.raises(SettingsError) as error:
        make_settings(tmp_path, security={"allowed_networks": ["192.0.2.1/24", "2001:db8::/32"],
                                          "trusted_proxies": ["nope"],
                                          "client_cn_header": "X-Client-Cert-Subject"})
    assert error.value.problems == [
        "security.allowed_networks[0]: '192.0.2.1/24' has host bits set (did you mean "
        "192.0.2.0/24?)",
        "security.trusted_proxies[0]: 'nope' is not a network in CIDR form, e.g. 192.0.2.0/24 "
        "or 2001:db8::/32",
    ]
    with pytest.raises(SettingsError) as error:
        make_settings(tmp_path, security={
            "allowed_networks": {"file": str(tmp_path / "broken.txt")},
            "client_cn_header": "X-Client-Cert-Subject"})
    assert error.value.problems == [
        f"security.allowed_networks.file: {tmp_path / 'broken.txt'}: line 3: 'foo' is not a "
        "network in CIDR form, e.g. 192.0.2.0/24 or 2001:db8::/32",
        "security.client_cn_header: needs security.trusted_proxies (the header is believed "
        "only from a proxy)",
    ]


def test_a_relative_networks_file_resolves_from_the_settings_folder(tmp_path):
    (tmp_path / "meta-networks.txt").write_text("157.240.0.0/16\n")
    path = tmp_path / "botkit.toml"
    path.write_text('[whatsapp]\nverify_token = "vt"\napp_secret = "s"\n'
                    '[security]\nallowed_networks = { file = "meta-networks.txt" }\n')
    from botkit.settings import Settings

    settings = Settings.from_file(path, env={})
    assert settings.security.allowed_networks_file == str(tmp_path / "meta-networks.txt")
    (tmp_path / "meta-networks.txt").unlink()
    with pytest.raises(SettingsError, match="no such file; write it with `botkit meta-networks"):
        Settings.from_file(path, env={})


# -- a live bot ----------------------------------------------------------------------------------


def stored(runner: BotRunner) -> int:
    return db_rows(runner, "SELECT count(*) FROM events")[0][0]


def from_address(local: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=local), timeout=10)


async def post(client: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    sent = {**signed_headers(BODY, APP_SECRET), **headers}
    return await client.post(url, content=BODY, headers=sent)


async def test_other_addresses_get_403_and_nothing_is_stored(tmp_path, caplog):
    settings = make_settings(tmp_path, security={"allowed_networks": ["127.0.0.1/32"]})
    caplog.set_level(logging.WARNING, "botkit.allowlist")
    async with BotRunner(settings) as runner, from_address("127.0.0.2") as outsider:
        base = runner.server.url
        refused = await post(outsider, runner.url)
        assert refused.status_code == 403
        assert stored(runner) == 0
        verify = await outsider.get(runner.url, params={"hub.mode": "subscribe",
                                                         "hub.challenge": "1", "hub.verify_token":
                                                         "test-verify-token"})
        assert verify.status_code == 403
        assert (await outsider.get(f"{base}/healthz")).status_code == 200
        assert (await outsider.get(f"{base}/readyz")).status_code == 200
        assert (await runner.post(BODY)).status_code == 200
        assert stored(runner) > 0
        metrics = (await runner.client.get("/metrics")).text
    refusals = [r.getMessage() for r in caplog.records if r.name == "botkit.allowlist"]
    assert refusals == [
        "webhook POST 403 from 127.0.0.2: 127.0.0.2 is not in the allowed networks",
        "webhook GET 403 from 127.0.0.2: 127.0.0.2 is not in the allowed networks",
    ]
    assert 'botkit_webhook_responses_total{status="403"} 2.0' in metrics


async def test_behind_a_trusted_proxy_the_forwarded_address_decides(tmp_path):
    settings = make_settings(tmp_path, security={"allowed_networks": ["157.240.0.0/16"],
                                                 "trusted_proxies": ["127.0.0.1/32"]})
    async with BotRunner(settings) as runner, from_address("127.0.0.2") as outsider:
        meta = {"X-Forwarded-For": "157.240.22.7"}
        assert (await runner.post(BODY, headers={"X-Forwarded-For": "157.240.1.1, 10.1.1.1"})
                ).status_code == 403
        assert (await runner.post(BODY)).status_code == 403  # the proxy itself is not Meta
        assert (await post(outsider, runner.url, **meta)).status_code == 403  # not a proxy
        assert stored(runner) == 0
        assert (await runner.post(BODY, headers=meta)).status_code == 200
        assert stored(runner) > 0


async def test_a_proxy_forwarded_client_subject_must_name_meta(tmp_path):
    settings = make_settings(tmp_path, security={"trusted_proxies": ["127.0.0.1/32"],
                                                 "client_cn_header": "X-Client-Cert-Subject"})
    async with BotRunner(settings) as runner, from_address("127.0.0.2") as outsider:
        header = "X-Client-Cert-Subject"
        assert (await runner.post(BODY, headers={header: "CN=evil.example,O=Meta"})
                ).status_code == 403
        assert (await runner.post(BODY)).status_code == 403
        assert (await post(outsider, runner.url, **{header: META_SUBJECT})).status_code == 403
        assert stored(runner) == 0
        assert (await runner.post(BODY, headers={header: META_SUBJECT})).status_code == 200
        assert stored(runner) > 0
        legacy = "/C=US/O=Meta Platforms, Inc./CN=client.webhooks.fbclientcerts.com"
        assert (await runner.post(BODY, headers={header: legacy})).status_code == 200
