"""The RSA key pair of the Flows endpoint: load the private key, make a new pair.

Meta encrypts every Flows request with the business public key (RSA, at least 2048 bits) and the
endpoint needs the matching private key. A key that cannot be used must stop the server at start
with an error saying exactly what is wrong, not fail on the first request; and since the key and
its passphrase are secrets, no error message ever repeats either of them.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, x448, x25519
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, generate_private_key

from botkit.errors import BotkitError

MIN_KEY_BITS = 2048  # Meta refuses smaller business keys


class FlowKeyError(BotkitError):
    """The Flows private key cannot be used; the subclass says why."""


class UnreadableKeyError(FlowKeyError):
    """The data is not a PEM private key (or its PEM content is damaged)."""

    def __init__(self) -> None:
        super().__init__("the Flows private key is not a readable PEM private key")


class PassphraseRequiredError(FlowKeyError):
    """The key is encrypted and no passphrase was given."""

    def __init__(self) -> None:
        super().__init__("the Flows private key is encrypted: give its passphrase")


class WrongPassphraseError(FlowKeyError):
    """The key is encrypted and the passphrase does not decrypt it."""

    def __init__(self) -> None:
        super().__init__("the passphrase does not decrypt the Flows private key")


class UnexpectedPassphraseError(FlowKeyError):
    """A passphrase was given for a key that is not encrypted (most likely the wrong key)."""

    def __init__(self) -> None:
        super().__init__("the Flows private key is not encrypted but a passphrase was given: "
                         "remove the passphrase or use the encrypted key")


class NotRSAKeyError(FlowKeyError):
    """The key is readable but is not an RSA key."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"the Flows private key must be an RSA key, not {kind}")


class WeakKeyError(FlowKeyError):
    """The RSA key is shorter than Meta accepts."""

    def __init__(self, bits: int) -> None:
        super().__init__(f"the Flows private key has {bits} bits; Meta requires at least "
                         f"{MIN_KEY_BITS}")


def _is_encrypted(pem: bytes) -> bool:
    """PKCS#8 (``ENCRYPTED PRIVATE KEY``) and traditional (``Proc-Type: 4,ENCRYPTED``) PEM."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem or b"Proc-Type: 4,ENCRYPTED" in pem


def _kind(key: object) -> str:
    kinds: list[tuple[type, str]] = [
        (ec.EllipticCurvePrivateKey, "an EC key"), (ed25519.Ed25519PrivateKey, "an Ed25519 key"),
        (ed448.Ed448PrivateKey, "an Ed448 key"), (x25519.X25519PrivateKey, "an X25519 key"),
        (x448.X448PrivateKey, "an X448 key")]
    return next((name for cls, name in kinds if isinstance(key, cls)), "another kind of key")


def load_private_key(pem: bytes | str, passphrase: str | bytes | None = None) -> RSAPrivateKey:
    """The RSA private key in ``pem``, decrypted with ``passphrase`` when it is encrypted.

    ``pem`` may be text, as secrets from the environment are. An empty passphrase counts as
    none, so an unset environment variable reads as "no passphrase". Raises a
    :class:`FlowKeyError` subclass naming the problem.
    """
    if isinstance(pem, str):
        pem = pem.encode("utf-8", "replace")
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    secret = secret or None
    if b"-----BEGIN" not in pem or b"PRIVATE KEY-----" not in pem:
        raise UnreadableKeyError()
    encrypted = _is_encrypted(pem)
    if encrypted and secret is None:
        raise PassphraseRequiredError()
    if not encrypted and secret is not None:
        raise UnexpectedPassphraseError()
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except (ValueError, TypeError):
        # cryptography reports a wrong passphrase and damaged data alike as ValueError; the PEM
        # header already told us whether a passphrase was involved.
        raise (WrongPassphraseError() if encrypted else UnreadableKeyError()) from None
    except Exception:  # an unsupported algorithm in a damaged key, never a reason to crash
        raise UnreadableKeyError() from None
    if not isinstance(key, RSAPrivateKey):
        raise NotRSAKeyError(_kind(key))
    if key.key_size < MIN_KEY_BITS:
        raise WeakKeyError(key.key_size)
    return key


def public_key_pem(private_key: RSAPrivateKey) -> bytes:
    """The public half as PEM ``SubjectPublicKeyInfo``: the form Meta's API takes."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_key_pair(passphrase: str) -> tuple[bytes, bytes]:
    """A new 2048-bit RSA pair: (private PEM encrypted with ``passphrase``, public PEM).

    The private key is written encrypted so a copied file alone is useless; register the public
    key with Meta (``POST /<phone-number-id>/whatsapp_business_encryption``).
    """
    if not passphrase:
        raise ValueError("a passphrase is required to encrypt the new private key")
    key = generate_private_key(public_exponent=65537, key_size=MIN_KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()))
    return private_pem, public_key_pem(key)


def token_secret_from_key(private_key: RSAPrivateKey) -> bytes:
    """A 32-byte secret for signing flow tokens, derived from the private key.

    Every instance holding the key derives the same secret, so a bot needs no separate token
    secret setting; a new key invalidates outstanding tokens, which is what rotating means.
    """
    der = private_key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return hmac.new(der, b"botkit flow tokens v1", hashlib.sha256).digest()
