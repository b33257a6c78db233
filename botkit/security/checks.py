"""Settings checks for HTTPS, mutual TLS and the webhook's networks, on plain values.

They take plain values rather than the settings classes so that ``botkit.settings`` (the bottom
layer) can call them while validating itself, and no security module needs the settings to be
imported first.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from botkit.security.names import ssl_reason
from botkit.security.networks import NetworkFileError, parse_network, read_network_file


def check_tls_files(certfile: str | None, keyfile: str | None, client_ca: str | None
                    ) -> list[str]:
    """Every problem with the configured certificate, key and CA bundle, as settings problems."""
    found: list[str] = []
    if bool(certfile) != bool(keyfile):
        given, missing = ("certfile", "keyfile") if certfile else ("keyfile", "certfile")
        found.append(f"server.{missing}: needed with server.{given} (HTTPS needs both)")
    if client_ca and not certfile:
        found.append("server.client_ca: mutual TLS needs HTTPS: set server.certfile and "
                     "server.keyfile too")
    if certfile and keyfile:
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile)
        except OSError as exc:
            found.append(f"server.certfile: cannot load {certfile} with key {keyfile}: "
                         f"{ssl_reason(exc)}")
    if client_ca:
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_verify_locations(cafile=client_ca)
            if not context.get_ca_certs():
                found.append(f"server.client_ca: {client_ca} holds no CA certificate")
        except OSError as exc:
            found.append(f"server.client_ca: cannot load {client_ca}: {ssl_reason(exc)}")
    return found


def check_networks(*, allowed_networks: Sequence[str] | None, allowed_networks_file: str | None,
                   trusted_proxies: Sequence[str], client_cn_header: str | None,
                   client_ca: str | None) -> list[str]:
    """Every problem of the ``[security]`` table, with its settings path."""
    found = []
    for i, text in enumerate(allowed_networks or ()):
        try:
            parse_network(text)
        except ValueError as exc:
            found.append(f"security.allowed_networks[{i}]: {exc}")
    if allowed_networks_file:
        try:
            read_network_file(allowed_networks_file)
        except NetworkFileError as exc:
            found.append(f"security.allowed_networks.file: {exc}")
    for i, text in enumerate(trusted_proxies):
        try:
            parse_network(text)
        except ValueError as exc:
            found.append(f"security.trusted_proxies[{i}]: {exc}")
    if client_cn_header and not trusted_proxies:
        found.append("security.client_cn_header: needs security.trusted_proxies (the header "
                     "is believed only from a proxy)")
    if client_cn_header and client_ca:
        found.append("security.client_cn_header: mutual TLS is checked either here "
                     "(server.client_ca) or by the proxy (client_cn_header), not both")
    return found
