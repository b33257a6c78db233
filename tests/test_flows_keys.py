"""Loading the Flows private key: every way it can be unusable has its own named error."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from botkit.errors import BotkitError
from botkit.flows import (
    FlowKeyError,
    NotRSAKeyError,
    PassphraseRequiredError,
    UnexpectedPassphraseError,
    UnreadableKeyError,
    WeakKeyError,
    WrongPassphraseError,
    generate_key_pair,
    load_private_key,
    public_key_pem,
    token_secret_from_key,
)
from botkit.flows.crypto import OAEP

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, bytes]:
    return generate_key_pair(PASSPHRASE)


def pem(key, passphrase: bytes | None = None, fmt=serialization.PrivateFormat.PKCS8) -> bytes:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def assert_no_secret(error: Exception, *secrets: bytes | str) -> None:
    text = str(error) + repr(error)
    for secret in secrets:
        secret_text = secret.decode() if isinstance(secret, bytes) else secret
        assert secret_text not in text
    assert "MII" not in text  # the start of any DER key in base64
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_generated_pair_round_trips(key_pair):
    private_pem, public_pem = key_pair
    assert private_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    key = load_private_key(private_pem, PASSPHRASE)
    assert key.key_size == 2048
    assert public_key_pem(key) == public_pem
    public = serialization.load_pem_public_key(public_pem)
    assert isinstance(public, rsa.RSAPublicKey)
    assert key.decrypt(public.encrypt(b"sixteen byte key", OAEP), OAEP) == b"sixteen byte key"


def test_key_may_be_text_and_passphrase_bytes(key_pair):
    assert load_private_key(key_pair[0], PASSPHRASE.encode()).key_size == 2048
    assert load_private_key(key_pair[0].decode(), PASSPHRASE).key_size == 2048


def test_generating_needs_a_passphrase():
    with pytest.raises(ValueError, match="passphrase"):
        generate_key_pair("")


def test_encrypted_key_without_passphrase(key_pair):
    for missing in (None, ""):
        with pytest.raises(PassphraseRequiredError) as caught:
            load_private_key(key_pair[0], missing)
        assert "encrypted" in str(caught.value)
        assert_no_secret(caught.value, PASSPHRASE)


def test_wrong_passphrase(key_pair):
    with pytest.raises(WrongPassphraseError) as caught:
        load_private_key(key_pair[0], "hunter2-not-it")
    assert_no_secret(caught.value, "hunter2-not-it", PASSPHRASE)


def test_wrong_passphrase_on_a_traditional_openssl_key(key_pair):
    key = load_private_key(key_pair[0], PASSPHRASE)
    traditional = pem(key, b"s3cret-words", serialization.PrivateFormat.TraditionalOpenSSL)
    assert b"Proc-Type: 4,ENCRYPTED" in traditional
    assert load_private_key(traditional, "s3cret-words").key_size == 2048
    with pytest.raises(WrongPassphraseError) as caught:
        load_private_key(traditional, "other-words")
    assert_no_secret(caught.value, "other-words", "s3cret-words")
    with pytest.raises(PassphraseRequiredError):
        load_private_key(traditional)


def test_passphrase_for_a_plain_key(key_pair):
    plain = pem(load_private_key(key_pair[0], PASSPHRASE))
    assert load_private_key(plain).key_size == 2048
    with pytest.raises(UnexpectedPassphraseError) as caught:
        load_private_key(plain, "unneeded-words")
    assert_no_secret(caught.value, "unneeded-words")


@pytest.mark.parametrize("data", [
    b"",
    b"not a key at all",
    b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ==\n-----END PUBLIC KEY-----\n",
    b"-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n",
    b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
    b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n",
])
def test_unreadable_data(data):
    with pytest.raises(UnreadableKeyError) as caught:
        load_private_key(data)
    assert "not a readable PEM private key" in str(caught.value)
    assert_no_secret(caught.value, data[30:60] if len(data) > 60 else b"\x00")


def test_damaged_encrypted_key_reads_as_a_wrong_passphrase(key_pair):
    lines = key_pair[0].splitlines()
    damaged = b"\n".join([lines[0], lines[1][:-8] + b"AAAAAAAA", *lines[2:]])
    with pytest.raises(WrongPassphraseError):
        load_private_key(damaged, PASSPHRASE)


@pytest.mark.parametrize("make, kind", [
    (lambda: ec.generate_private_key(ec.SECP256R1()), "an EC key"),
    (ed25519.Ed25519PrivateKey.generate, "an Ed25519 key"),
])
def test_not_rsa(make, kind):
    data = pem(make())
    with pytest.raises(NotRSAKeyError) as caught:
        load_private_key(data)
    assert str(caught.value) == f"the Flows private key must be an RSA key, not {kind}"
    assert_no_secret(caught.value, data[40:80])


def test_rsa_key_under_2048_bits():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(WeakKeyError) as caught:
        load_private_key(pem(small, b"pass-words"), "pass-words")
    assert "1024 bits" in str(caught.value) and "2048" in str(caught.value)
    assert_no_secret(caught.value, "pass-words")


def test_every_key_error_is_a_botkit_error():
    for cls in (UnreadableKeyError, PassphraseRequiredError, WrongPassphraseError,
                UnexpectedPassphraseError, NotRSAKeyError, WeakKeyError):
        assert issubclass(cls, FlowKeyError) and issubclass(cls, BotkitError)


def test_token_secret_is_stable_per_key_and_differs_between_keys(key_pair):
    key = load_private_key(key_pair[0], PASSPHRASE)
    again = load_private_key(pem(key))
    other = load_private_key(generate_key_pair("x")[0], "x")
    assert token_secret_from_key(key) == token_secret_from_key(again)
    assert len(token_secret_from_key(key)) == 32
    assert token_secret_from_key(key) != token_secret_from_key(other)
