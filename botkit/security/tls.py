"""TLS for ``botkit serve``, and Meta's mutual TLS checked during the handshake.

Python's ``ssl`` module verifies the client's chain (``CERT_REQUIRED`` against ``client_ca``) but
has no hook for the subject name. The context therefore makes its TLS objects from a subclass of
:class:`ssl.SSLObject` whose handshake fails when the verified certificate names anyone but
``client_cn``. uvicorn and hypercorn (on asyncio or uvloop) both drive the handshake through
``SSLContext.wrap_bio``, so a wrong name ends the connection before any HTTP byte is read: the
app never sees it.

Behind a TLS-terminating proxy the same name check runs on the subject the proxy forwards in a
header; :func:`common_names_in_dn` reads the usual spellings of that subject.
"""

from __future__ import annotations

import logging
import re
import ssl
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit.settings import ServerSettings

log = logging.getLogger("botkit.tls")

META_CLIENT_CN = "client.webhooks.fbclientcerts.com"
_COMMON_NAME_TYPES = frozenset({"cn", "commonname", "2.5.4.3", "oid.2.5.4.3"})
_CERTIFICATE_REASONS = frozenset({
    "PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED", "CERTIFICATE_REQUIRED",
})


def server_context(server: ServerSettings) -> ssl.SSLContext | None:
    """The TLS context of ``server``; None when no certificate is configured (plain HTTP).

    With ``client_ca`` set, a client must present a certificate that chains to that bundle and
    whose subject common name is ``client_cn``; any other handshake fails.
    """
    if not server.certfile:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.load_cert_chain(server.certfile, server.keyfile)
    context.set_alpn_protocols(["http/1.1"])
    if server.client_ca:
        context.load_verify_locations(cafile=server.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
        context.sslobject_class = _name_checking_class(server.client_cn)
    return context


def check_tls_files(server: ServerSettings) -> list[str]:
    """Every problem with the configured certificate, key and CA bundle, as settings problems."""
    found: list[str] = []
    if bool(server.certfile) != bool(server.keyfile):
        given, missing = ("certfile", "keyfile") if server.certfile else ("keyfile", "certfile")
        found.append(f"server.{missing}: needed with server.{given} (HTTPS needs both)")
    if server.client_ca and not server.certfile:
        found.append("server.client_ca: mutual TLS needs HTTPS: set server.certfile and "
                     "server.keyfile too")
    if server.certfile and server.keyfile:
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(server.certfile,
                                                                     server.keyfile)
        except OSError as exc:
            found.append(f"server.certfile: cannot load {server.certfile} with key "
                         f"{server.keyfile}: {_ssl_reason(exc)}")
    if server.client_ca:
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_verify_locations(cafile=server.client_ca)
            if not context.get_ca_certs():
                found.append(f"server.client_ca: {server.client_ca} holds no CA certificate")
        except OSError as exc:
            found.append(f"server.client_ca: cannot load {server.client_ca}: {_ssl_reason(exc)}")
    return found


def names_match(names: Iterable[str], expected: str) -> bool:
    """True when there is a common name and every one equals ``expected`` (DNS: any case)."""
    names = [name.strip().lower() for name in names]
    return bool(names) and all(name == expected.lower() for name in names)


def subject_common_names(peer_certificate: dict[str, Any] | None) -> list[str]:
    """The common names in the subject of ``SSLObject.getpeercert()``."""
    if not peer_certificate:
        return []
    return [value for rdn in peer_certificate.get("subject", ()) for key, value in rdn
            if key == "commonName"]


def common_names_in_dn(subject: str) -> list[str]:
    """The common names in a subject as proxies forward it.

    Reads RFC 4514 (``CN=a,O=Meta Platforms\\, Inc.``: nginx ``$ssl_client_s_dn``, AWS ALB
    ``X-Amzn-Mtls-Clientcert-Subject``) and the legacy slash form (``/C=US/O=.../CN=a``).
    """
    subject = subject.strip()
    if subject.startswith("/"):
        pairs = [part.partition("=") for part in subject[1:].split("/") if part]
        return [value for key, _, value in pairs if key.strip().lower() in _COMMON_NAME_TYPES]
    names = []
    for attribute in _split_unescaped(subject, ",+;"):
        key, value = _split_type_value(attribute)
        if key is not None and key.lower() in _COMMON_NAME_TYPES:
            names.append(value)
    return names


# -- the handshake-time name check -------------------------------------------------------------


class _ClientNameCheck(ssl.SSLObject):
    """An SSLObject whose server-side handshake also requires the client's common name."""

    expected_name: str = META_CLIENT_CN

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as exc:
            if getattr(exc, "reason", None) in _CERTIFICATE_REASONS:
                log.warning("TLS client refused: %s", _ssl_reason(exc))
            raise
        names = subject_common_names(self.getpeercert())
        if not names_match(names, self.expected_name):
            shown = ", ".join(names) or "no common name"
            log.warning("TLS client refused: its certificate names %s, not %s", shown,
                        self.expected_name)
            raise ssl.SSLCertVerificationError(
                f"client certificate common name is {shown}, expected {self.expected_name}")


def _name_checking_class(expected_name: str) -> type[ssl.SSLObject]:
    return type("ClientNameCheck", (_ClientNameCheck,), {"expected_name": expected_name})


def _ssl_reason(exc: OSError) -> str:
    """A readable reason: OpenSSL's reason code, else the OS error text."""
    if isinstance(exc, ssl.SSLError):
        if exc.reason is None and "PEM lib" in str(exc):
            return "no PEM certificate with its key in it (is the key missing or encrypted?)"
        detail = getattr(exc, "verify_message", None) or exc.reason or str(exc)
        return str(detail).replace("_", " ").lower()
    return exc.strerror or str(exc)


def _split_unescaped(text: str, separators: str) -> list[str]:
    parts, current, escaped, quoted = [], [], False, False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _split_type_value(attribute: str) -> tuple[str | None, str]:
    match = re.match(r"\s*([A-Za-z][\w-]*|[0-9.]+|OID\.[0-9.]+)\s*=(.*)$", attribute)
    if match is None:
        return None, ""
    value = match.group(2).strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return match.group(1), _unescape(value)


def _unescape(value: str) -> str:
    """Undo RFC 4514 escapes: ``\\,`` is a comma, ``\\C3\\A9`` the UTF-8 bytes of an e-acute."""
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        pair = value[index + 1:index + 3]
        if char == "\\" and len(pair) == 2 and all(c in string.hexdigits for c in pair):
            out.append(int(pair, 16))
            index += 3
        elif char == "\\" and pair:
            out += pair[0].encode()
            index += 2
        else:
            out += char.encode()
            index += 1
    return out.decode("utf-8", "replace")
