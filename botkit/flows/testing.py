"""Play Meta's side of a Flows endpoint in tests: encrypt, sign, post, decrypt the answer.

Meta's client picks a fresh AES-128 key and a 16-byte IV per request, encrypts the request JSON
with AES-GCM, encrypts the key for the business public key with RSA-OAEP (SHA-256), and signs the
body with the app secret. :class:`MetaFlowsClient` does exactly that against a running endpoint,
so a plugin's Flow handlers are tested through the real protocol.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from botkit.flows.crypto import OAEP, inverted_iv


def signature(body: bytes, app_secret: str) -> str:
    """``X-Hub-Signature-256`` of ``body``: HMAC-SHA256 with the app secret, in hex."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SealedRequest:
    """A request body as Meta sends it, and the key material needed to read the answer."""

    body: bytes
    aes_key: bytes
    iv: bytes


def seal_request(payload: Any, public_key: RSAPublicKey, *, aes_key: bytes | None = None,
                 iv: bytes | None = None) -> SealedRequest:
    """Encrypt ``payload`` (any JSON value, or raw bytes as the plaintext) the way Meta does."""
    aes_key = aes_key if aes_key is not None else os.urandom(16)
    iv = iv if iv is not None else os.urandom(16)
    plain = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    envelope = {
        "encrypted_flow_data": base64.b64encode(AESGCM(aes_key).encrypt(iv, plain, None)).decode(),
        "encrypted_aes_key": base64.b64encode(public_key.encrypt(aes_key, OAEP)).decode(),
        "initial_vector": base64.b64encode(iv).decode(),
    }
    return SealedRequest(orjson.dumps(envelope), aes_key, iv)


def open_response(text: str, aes_key: bytes, iv: bytes) -> Any:
    """Decrypt an endpoint's base64 answer with the request's key and the inverted IV."""
    plain = AESGCM(aes_key).decrypt(inverted_iv(iv), base64.b64decode(text), None)
    return orjson.loads(plain)


@dataclass(frozen=True)
class FlowsAnswer:
    """What the endpoint answered: the status, the raw text, and the decrypted JSON if 200."""

    status: int
    text: str
    payload: Any


class MetaFlowsClient:
    """Send Flows requests to ``url`` as Meta would, signed with ``app_secret``."""

    def __init__(self, url: str, public_key: RSAPublicKey, app_secret: str,
                 http: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.public_key = public_key
        self.app_secret = app_secret
        # A connection per request, like independent deliveries; it also keeps a test server
        # whose sockets lack TCP_NODELAY from stalling every kept-alive answer on delayed ACKs.
        self._http = http or httpx.AsyncClient(
            timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
        self._own_http = http is None

    async def __aenter__(self) -> MetaFlowsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_http:
            await self._http.aclose()

    async def post(self, body: bytes, *, sign: bool = True,
                   headers: list[tuple[str, str]] | None = None) -> httpx.Response:
        """POST raw ``body``, signed unless ``sign`` is False, with extra ``headers``."""
        sent = [("content-type", "application/json")]
        if sign:
            sent.append(("x-hub-signature-256", signature(body, self.app_secret)))
        return await self._http.post(self.url, content=body, headers=sent + (headers or []))

    async def deliver(self, sealed: SealedRequest) -> FlowsAnswer:
        """POST an already sealed request (to deliver the same bytes twice) and read the answer."""
        response = await self.post(sealed.body)
        payload = None
        if response.status_code == 200:
            payload = open_response(response.text, sealed.aes_key, sealed.iv)
        return FlowsAnswer(response.status_code, response.text, payload)

    async def send(self, payload: Any) -> FlowsAnswer:
        """Encrypt, sign and POST ``payload``; decrypt the answer when it is a 200."""
        return await self.deliver(seal_request(payload, self.public_key))
