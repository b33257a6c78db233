"""Who a certificate names: common names in peer certificates and in proxy-forwarded subjects.

A leaf module (no botkit imports), shared by the TLS handshake check, the proxy header check
and the settings validation.
"""

from __future__ import annotations

import re
import ssl
import string
from collections.abc import Iterable
from typing import Any

META_CLIENT_CN = "client.webhooks.fbclientcerts.com"

_COMMON_NAME_TYPES = frozenset({"cn", "commonname", "2.5.4.3", "oid.2.5.4.3"})

CERTIFICATE_REASONS = frozenset({
    "PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED", "CERTIFICATE_REQUIRED",
})


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


def ssl_reason(exc: OSError) -> str:
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
