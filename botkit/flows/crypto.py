"""Meta's Flows encryption: open a request, seal the answer with the same AES key.

Every request carries a fresh AES key encrypted for the business public key (RSA-OAEP, SHA-256,
MGF1 SHA-256, no label), the Flow data under AES-GCM (the last 16 bytes are the tag) and the IV.
The answer is AES-GCM with that key and the IV with every bit inverted, so only the device that
chose the key can read it.

Every failure is a :class:`FlowRequestError` with the status Meta acts on: 421 when the content
cannot be decrypted or does not authenticate (the client then refetches the public key and
retries; the usual cause is a key rotated on one side only), 400 when the request is not shaped
like a Flows request at all. All 421s carry the same text on purpose: telling an RSA failure from
a tag failure to the caller would help padding-oracle style probing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from botkit.errors import BotkitError

TAG_BYTES = 16
IV_BYTES = 16  # what Meta sends; GCM accepts it (it is hashed into the counter block)
AES_KEY_SIZES = frozenset({16, 24, 32})  # Meta uses 16 (AES-128)
FIELDS = ("encrypted_flow_data", "encrypted_aes_key", "initial_vector")
UNDECRYPTABLE = "the request cannot be decrypted with this endpoint's key"
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(),
                    label=None)


class FlowRequestError(BotkitError):
    """A request the endpoint refuses; ``status`` is the HTTP answer, ``reason`` the log text."""

    def __init__(self, status: int, reason: str, public: str | None = None) -> None:
        self.status = status
        self.reason = reason
        self.public = public or reason  # the text sent back; the reason may say more in the log
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True, repr=False)
class DecryptedRequest:
    """The decrypted payload and the key material the answer must be sealed with."""

    payload: dict[str, Any]
    aes_key: bytes
    iv: bytes

    def __repr__(self) -> str:  # never print keys or customer data by accident
        return f"DecryptedRequest(action={self.payload.get('action')!r})"


def _undecryptable(reason: str) -> FlowRequestError:
    return FlowRequestError(421, reason, UNDECRYPTABLE)


def _envelope(body: bytes) -> dict[str, bytes]:
    try:
        outer = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FlowRequestError(400, "body is not JSON") from None
    if not isinstance(outer, dict):
        raise FlowRequestError(400, "body is not a JSON object")
    fields: dict[str, bytes] = {}
    for name in FIELDS:
        value = outer.get(name)
        if value is None:
            raise FlowRequestError(400, f"field {name} is missing")
        if not isinstance(value, str):
            raise FlowRequestError(400, f"field {name} is not a string")
        try:
            fields[name] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise FlowRequestError(400, f"field {name} is not valid base64") from None
    return fields


def decrypt_request(body: bytes, private_key: RSAPrivateKey) -> DecryptedRequest:
    """Open a Flows request body; raises :class:`FlowRequestError` (400 or 421), never more."""
    fields = _envelope(body)
    iv = fields["initial_vector"]
    if len(iv) != IV_BYTES:
        raise FlowRequestError(400, f"initial_vector is {len(iv)} bytes, not {IV_BYTES}")
    try:
        aes_key = private_key.decrypt(fields["encrypted_aes_key"], OAEP)
    except ValueError:
        raise _undecryptable("the AES key does not decrypt with the private key") from None
    if len(aes_key) not in AES_KEY_SIZES:
        raise _undecryptable(f"the AES key is {len(aes_key)} bytes")
    sealed = fields["encrypted_flow_data"]
    if len(sealed) < TAG_BYTES:
        raise _undecryptable("encrypted_flow_data is shorter than its tag")
    try:
        plain = AESGCM(aes_key).decrypt(iv, sealed, None)
    except InvalidTag:
        raise _undecryptable("encrypted_flow_data does not authenticate") from None
    try:
        payload = orjson.loads(plain)
    except orjson.JSONDecodeError:
        raise FlowRequestError(400, "decrypted data is not JSON") from None
    if not isinstance(payload, dict):
        raise FlowRequestError(400, "decrypted data is not a JSON object")
    return DecryptedRequest(payload, aes_key, iv)


def inverted_iv(iv: bytes) -> bytes:
    """The IV of the answer: every bit of the request's IV flipped."""
    return bytes(b ^ 0xFF for b in iv)


def encrypt_response(payload: dict[str, Any], aes_key: bytes, iv: bytes) -> str:
    """Base64 of AES-GCM(ciphertext + tag) of ``payload`` as JSON, under the inverted IV."""
    sealed = AESGCM(aes_key).encrypt(inverted_iv(iv), orjson.dumps(payload), None)
    return base64.b64encode(sealed).decode("ascii")
