"""Why a webhook signature does not match: the checks behind ``botkit doctor signature``.

A mismatch is nearly always the body being changed before it was checked (re-encoded JSON, a
trailing newline, a different line ending) or the wrong secret. :func:`diagnose_signature`
tries each such change and each known secret, and says which one explains the header.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botkit.webhook.signature import hex_signature

SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class JsonForm:
    """One way of writing the same JSON value out."""

    layout: str  # compact, spaced, indent2, indent4
    ascii_escapes: bool
    slash_escapes: bool

    def dumps(self, value: Any) -> bytes:
        options: dict[str, Any] = {
            "compact": {"separators": (",", ":")}, "spaced": {"separators": (", ", ": ")},
            "indent2": {"indent": 2}, "indent4": {"indent": 4}}[self.layout]
        text = json.dumps(value, ensure_ascii=self.ascii_escapes, **options)
        return (text.replace("/", "\\/") if self.slash_escapes else text).encode()

    def describe(self) -> str:
        non_ascii = "as \\uXXXX" if self.ascii_escapes else "raw"
        slash = "as \\/" if self.slash_escapes else "raw"
        return f"{self.layout} JSON, non-ASCII {non_ascii}, / {slash}"


JSON_FORMS = [JsonForm(*form) for form in itertools.product(
    ("compact", "spaced", "indent2", "indent4"), (True, False), (True, False))]


def _byte_changes(body: bytes) -> Iterator[tuple[bytes, str]]:
    """(what may have been signed, what changed it into ``body``) for byte-level accidents."""
    if body.endswith(b"\r\n"):
        yield body[:-2], "a trailing CRLF line break was added after signing"
    if body.endswith(b"\n"):
        yield body[:-1], "a trailing newline was added after signing (an editor, echo or a " \
                         "here-document adds one when the body is saved)"
    yield body + b"\n", "a trailing newline was stripped from the body"
    if b"\r\n" in body:
        yield body.replace(b"\r\n", b"\n"), "line endings were changed from LF to CRLF"
    elif b"\n" in body:
        yield body.replace(b"\n", b"\r\n"), "line endings were changed from CRLF to LF"
    if body.startswith(b"\xef\xbb\xbf"):
        yield body[3:], "a UTF-8 byte-order mark was added at the start"
    try:
        latin = body.decode("utf-8").encode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        latin = body
    if latin != body:
        yield latin, ("the body was re-encoded: its bytes were read as Latin-1 and written out "
                      "as UTF-8 (mojibake such as 'caf\u00c3\u00a9')")


def _json_changes(body: bytes) -> Iterator[tuple[bytes, str]]:
    """(a form of the same JSON that may have been signed, how it differs from ``body``)."""
    try:
        value = json.loads(body)
    except ValueError:
        return
    received = next((f for f in JSON_FORMS if f.dumps(value) == body), None)
    for form in JSON_FORMS:
        candidate = form.dumps(value)
        if candidate != body:
            yield candidate, _json_difference(form, received)


def _json_difference(signed: JsonForm, received: JsonForm | None) -> str:
    if received is None:
        return (f"the body was re-serialised: the signed bytes were {signed.describe()}; "
                "something parsed the JSON and wrote it out again")
    changes = []
    if signed.ascii_escapes != received.ascii_escapes:
        changes.append("non-ASCII escaping changed: the signed body had "
                       + ("\\uXXXX escapes and yours has the characters themselves"
                          if signed.ascii_escapes else
                          "the characters themselves and yours has \\uXXXX escapes"))
    if signed.slash_escapes != received.slash_escapes:
        changes.append("'/' escaping changed: the signed body had "
                       + ("'\\/' and yours has '/'" if signed.slash_escapes else
                          "'/' and yours has '\\/'"))
    if signed.layout != received.layout:
        changes.append(f"whitespace changed: signed {signed.layout}, yours {received.layout}")
    if len(changes) == 1 and signed.ascii_escapes != received.ascii_escapes:
        return changes[0]  # the one change a proxy makes by re-encoding text
    return f"the body was re-serialised ({'; '.join(changes)})"


def diagnose_signature(body: bytes, header: str, secrets: Sequence[tuple[str, str]],
                       others: Sequence[tuple[str, str]] = ()) -> tuple[bool, str]:
    """Whether ``header`` signs ``body`` with one of ``secrets`` and, if not, the likeliest
    reason. ``secrets`` are the server's (label, secret); ``others`` are suspects (another app's
    secret, an old one). Labels are printed, secrets never."""
    header = header.strip()
    if ":" in header and header.split(":", 1)[0].strip().lower().startswith("x-hub-signature"):
        header = header.split(":", 1)[1].strip()  # the whole header line was pasted
    if not header:
        return False, ("header missing: the request has no X-Hub-Signature-256 header (or it is "
                       "empty). Meta signs every webhook POST; the request did not come from "
                       "Meta, or a proxy dropped the header.")
    if header.lower().startswith("sha1="):
        return False, _sha1_note(body, header, [*secrets, *others])
    if not SIGNATURE.fullmatch(header):
        hint = ("the 'sha256=' prefix is missing" if re.fullmatch(r"[0-9a-fA-F]{64}", header)
                else "expected 'sha256=' followed by 64 hex digits")
        return False, f"header malformed: {header[:80]!r}: {hint}."
    digest = header[7:].lower()

    def signer(candidate: bytes, pool: Sequence[tuple[str, str]]) -> str | None:
        return next((label for label, secret in pool if hmac.compare_digest(
            hex_signature(candidate, secret), digest)), None)

    if label := signer(body, secrets):
        return True, f"OK: the signature matches the body with {label}."
    if label := signer(body, others):
        accepted = ", ".join(name for name, _ in secrets)
        return False, (f"wrong secret: the body was signed with {label}, not with the app "
                       f"secret the server uses ({accepted}). Meta signs with the App Secret "
                       "of the app subscribed to the WhatsApp Business Account.")
    for candidate, change in itertools.chain(_byte_changes(body), _json_changes(body)):
        if label := signer(candidate, secrets):
            return False, f"body changed after signing: {change}. Verify the raw bytes as " \
                          "received, before any parsing or rewriting."
        if label := signer(candidate, others):
            return False, f"wrong secret ({label}), and the body changed after signing: {change}."
    return False, (f"no match: the signature matches none of the {len(secrets) + len(others)} "
                   "secret(s) given, and no common change to the body explains it. The body was "
                   "signed with another app secret (App Dashboard > Settings > Basic of the app "
                   "subscribed to the WABA), or something rewrote it beyond recognition.")


def _sha1_note(body: bytes, header: str, pool: Sequence[tuple[str, str]]) -> str:
    note = ("legacy header: this is an X-Hub-Signature (SHA-1) value; botkit checks "
            "X-Hub-Signature-256 (sha256=...), which Meta sends alongside.")
    digest = header[5:].strip().lower()
    for label, secret in pool:
        if hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(), digest):
            return note + f" The SHA-1 value matches with {label}, so the body is intact."
    return note
