"""Who may reach the webhook path: allowed networks, trusted proxies, a proxy's client subject.

Meta's webhook servers live in Meta's own address space (AS32934). An allow-list of those
networks, and a check of the client certificate subject that a TLS-terminating proxy forwards,
complement the signature check: a refused request gets a 403 before its body is read. The client
address is the socket's peer, or, when that peer is a trusted proxy, the rightmost
``X-Forwarded-For`` entry that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.security.names import common_names_in_dn, names_match
from botkit.security.networks import (
    Address,
    NetworkFileError,
    NetworkSet,
    parse_network,
    read_network_file,
)

if TYPE_CHECKING:
    from botkit.metrics import Stats
    from botkit.settings import Settings

log = logging.getLogger("botkit.allowlist")

FORWARDED_FOR = b"x-forwarded-for"
TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")


class Refused(Exception):
    """Why a request may not reach the webhook."""


class WatchedNetworkFile:
    """The networks of a file, re-read when it changes; a broken new version keeps the old list.

    The file is looked at (one ``stat``) at most every ``recheck_seconds``, on the request path,
    so a running server follows ``botkit meta-networks`` without a restart.
    """

    def __init__(self, path: str | os.PathLike[str], recheck_seconds: float = 5.0, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._version = _file_version(self.path)
        self._networks = read_network_file(self.path)
        self._next_check = clock() + recheck_seconds

    def current(self) -> NetworkSet:
        now = self.clock()
        if now >= self._next_check:
            self._next_check = now + self.recheck_seconds
            self._reload_if_changed()
        return self._networks

    def _reload_if_changed(self) -> None:
        version = _file_version(self.path)
        if version == self._version:
            return
        self._version = version  # a broken version is reported once, not on every check
        try:
            networks = read_network_file(self.path)
        except NetworkFileError as exc:
            log.error("allowed networks not reloaded, keeping the previous %d: %s",
                      len(self._networks), exc)
            return
        old, new = set(self._networks.networks), set(networks.networks)
        self._networks = networks
        log.info("allowed networks reloaded from %s: %d networks (%d added, %d removed)",
                 self.path, len(new), len(new - old), len(old - new))


def _file_version(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


# -- the client's address ------------------------------------------------------------------


def parse_address(text: str) -> Address:
    """An address as servers and proxies write it: IPv4-mapped IPv6 becomes IPv4; a port or
    brackets around IPv6 are dropped."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise Refused(f"{text!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(scope: dict[str, Any], trusted_proxies: NetworkSet) -> Address:
    """The client's address: the peer, or behind trusted proxies the rightmost untrusted hop."""
    client = scope.get("client")
    if not client:
        raise Refused("the server gave no client address")
    address = parse_address(client[0])
    if address not in trusted_proxies:
        return address
    hops = [hop for name, value in scope["headers"] if name == FORWARDED_FOR
            for hop in value.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address not in trusted_proxies:
            return address
    return address


# -- settings checks -------------------------------------------------------------------------


# -- the guard in front of the webhook -----------------------------------------------------


class NetworkGuard:
    """ASGI middleware: refuses webhook requests from outside the allowed networks, or without
    the verified client subject a trusted proxy must forward; other paths pass untouched."""

    def __init__(self, app: Any, *, path: str, allowed: Callable[[], NetworkSet] | None,
                 trusted_proxies: NetworkSet, subject_header: str | None = None,
                 client_cn: str = "", stats: Stats | None = None) -> None:
        self.app = app
        self.path = path
        self.allowed = allowed
        self.trusted_proxies = trusted_proxies
        self.subject_header = subject_header.lower().encode("latin-1") if subject_header else None
        self.subject_header_name = subject_header
        self.client_cn = client_cn
        self.stats = stats

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        try:
            self.check(scope)
        except Refused as exc:
            await self.refuse(scope, send, str(exc))
            return
        await self.app(scope, receive, send)

    def check(self, scope: dict[str, Any]) -> None:
        """Raise :class:`Refused` when the request may not reach the webhook."""
        address = client_address(scope, self.trusted_proxies)
        if self.allowed is not None and address not in self.allowed():
            raise Refused(f"{address} is not in the allowed networks")
        if self.subject_header is not None:
            self.check_forwarded_subject(scope)

    def check_forwarded_subject(self, scope: dict[str, Any]) -> None:
        peer = parse_address(scope["client"][0])
        if peer not in self.trusted_proxies:
            raise Refused(f"{self.subject_header_name} is believed only from a trusted proxy, "
                          f"and {peer} is not one")
        values = [value for name, value in scope["headers"] if name == self.subject_header]
        if len(values) != 1:
            raise Refused(f"expected one {self.subject_header_name} header from the proxy, "
                          f"got {len(values)}")
        names = common_names_in_dn(values[0].decode("latin-1"))
        if not names_match(names, self.client_cn):
            shown = ", ".join(names) or "no common name"
            raise Refused(f"client certificate names {shown}, not {self.client_cn}")

    async def refuse(self, scope, send, reason: str) -> None:
        client = scope.get("client") or ("?", 0)
        log.warning("webhook %s 403 from %s: %s", scope["method"], client[0], reason)
        if self.stats is not None:
            self.stats.responses.labels(403).inc()
        body = b"forbidden"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [TEXT_PLAIN, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def guard_webhook(app: Any, settings: Settings, stats: Stats | None = None) -> Any:
    """``app`` behind a :class:`NetworkGuard` when ``[security]`` restricts the webhook."""
    security = settings.security
    allowed: Callable[[], NetworkSet] | None = None
    if security.allowed_networks_file:
        allowed = WatchedNetworkFile(security.allowed_networks_file,
                                     security.recheck_seconds).current
    elif security.allowed_networks:
        fixed = NetworkSet(parse_network(text) for text in security.allowed_networks)

        def allowed() -> NetworkSet:
            return fixed
    if allowed is None and not security.client_cn_header:
        return app
    return NetworkGuard(
        app, path=settings.server.path, allowed=allowed,
        trusted_proxies=NetworkSet(parse_network(t) for t in security.trusted_proxies),
        subject_header=security.client_cn_header, client_cn=settings.server.client_cn,
        stats=stats,
    )
