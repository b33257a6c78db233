"""Meta's Flows encryption, both sides: every malformed or foreign body gets its 400 or 421."""

from __future__ import annotations

import base64
import json

import orjson
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from botkit.flows import FlowRequestError, decrypt_request, encrypt_response
from botkit.flows.crypto import OAEP, UNDECRYPTABLE, inverted_iv
from botkit.flows.testing import open_response, seal_request

PING = {"version": "3.0", "action": "ping"}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def envelope(**fields) -> bytes:
    return json.dumps(fields).encode()


def refused(body: bytes, key) -> FlowRequestError:
    with pytest.raises(FlowRequestError) as caught:
        decrypt_request(body, key)
    return caught.value


def test_request_sealed_like_meta_decrypts(key):
    sealed = seal_request(PING, key.public_key())
    request = decrypt_request(sealed.body, key)
    assert request.payload == PING
    assert request.aes_key == sealed.aes_key and len(request.aes_key) == 16
    assert request.iv == sealed.iv and len(request.iv) == 16
    assert "aes_key" not in repr(request) and repr(request) == "DecryptedRequest(action='ping')"


def test_answer_uses_the_same_key_and_the_inverted_iv(key):
    sealed = seal_request(PING, key.public_key(), iv=bytes(range(16)))
    request = decrypt_request(sealed.body, key)
    answer = encrypt_response({"data": {"status": "active"}}, request.aes_key, request.iv)
    flipped = bytes(255 - b for b in range(16))
    assert inverted_iv(request.iv) == flipped
    raw = base64.b64decode(answer)
    assert AESGCM(sealed.aes_key).decrypt(flipped, raw, None) == b'{"data":{"status":"active"}}'
    assert open_response(answer, sealed.aes_key, sealed.iv) == {"data": {"status": "active"}}
    with pytest.raises(InvalidTag):  # the request's own IV must not open it
        AESGCM(sealed.aes_key).decrypt(sealed.iv, raw, None)


@pytest.mark.parametrize("body, reason", [
    (b"", "body is not JSON"),
    (b"\xff\xfe\x00garbage", "body is not JSON"),
    (b"[1, 2]", "body is not a JSON object"),
    (b'"text"', "body is not a JSON object"),
    (envelope(encrypted_aes_key="AA==", initial_vector="AA=="),
     "field encrypted_flow_data is missing"),
    (envelope(encrypted_flow_data=1, encrypted_aes_key="AA==", initial_vector="AA=="),
     "field encrypted_flow_data is not a string"),
    (envelope(encrypted_flow_data="AA==", encrypted_aes_key=None, initial_vector="AA=="),
     "field encrypted_aes_key is missing"),
    (envelope(encrypted_flow_data="AA==", encrypted_aes_key="AA==", initial_vector=["x"]),
     "field initial_vector is not a string"),
    (envelope(encrypted_flow_data="not base64!", encrypted_aes_key="AA==", initial_vector="AA=="),
     "field encrypted_flow_data is not valid base64"),
    (envelope(encrypted_flow_data="AA==", encrypted_aes_key="AA=", initial_vector="AA=="),
     "field encrypted_aes_key is not valid base64"),
    (envelope(encrypted_flow_data="AA==", encrypted_aes_key="AA==", initial_vector="AAAA"),
     "initial_vector is 3 bytes, not 16"),
])
def test_malformed_bodies_are_400(key, body, reason):
    error = refused(body, key)
    assert (error.status, error.reason) == (400, reason)


def test_aes_key_for_another_private_key_is_421(key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    error = refused(seal_request(PING, other.public_key()).body, key)
    assert (error.status, error.public) == (421, UNDECRYPTABLE)
    assert error.reason == "the AES key does not decrypt with the private key"


def test_aes_key_of_the_wrong_length_in_rsa_is_421(key):
    sealed = json.loads(seal_request(PING, key.public_key()).body)
    sealed["encrypted_aes_key"] = b64(b"\x00" * 17)
    error = refused(json.dumps(sealed).encode(), key)
    assert error.status == 421


def test_aes_key_of_a_size_aes_does_not_have_is_421(key):
    sealed = json.loads(seal_request(PING, key.public_key()).body)
    sealed["encrypted_aes_key"] = b64(key.public_key().encrypt(b"\x01" * 20, OAEP))
    error = refused(json.dumps(sealed).encode(), key)
    assert (error.status, error.reason) == (421, "the AES key is 20 bytes")


def test_tampered_ciphertext_is_421(key):
    sealed = json.loads(seal_request(PING, key.public_key()).body)
    data = bytearray(base64.b64decode(sealed["encrypted_flow_data"]))
    data[0] ^= 1
    sealed["encrypted_flow_data"] = b64(bytes(data))
    error = refused(json.dumps(sealed).encode(), key)
    assert (error.status, error.reason) == (421, "encrypted_flow_data does not authenticate")
    assert error.public == UNDECRYPTABLE


def test_truncated_tag_is_421(key):
    sealed = json.loads(seal_request(PING, key.public_key()).body)
    sealed["encrypted_flow_data"] = b64(base64.b64decode(sealed["encrypted_flow_data"])[:10])
    error = refused(json.dumps(sealed).encode(), key)
    assert (error.status, error.reason) == (421, "encrypted_flow_data is shorter than its tag")


def test_another_iv_does_not_authenticate(key):
    sealed = json.loads(seal_request(PING, key.public_key()).body)
    sealed["initial_vector"] = b64(b"\x07" * 16)
    assert refused(json.dumps(sealed).encode(), key).status == 421


@pytest.mark.parametrize("plain, reason", [
    (b"not json", "decrypted data is not JSON"),
    (b"", "decrypted data is not JSON"),
    (b"[]", "decrypted data is not a JSON object"),
    (b"null", "decrypted data is not a JSON object"),
])
def test_decrypted_data_that_is_not_an_object_is_400(key, plain, reason):
    error = refused(seal_request(plain, key.public_key()).body, key)
    assert (error.status, error.reason) == (400, reason)


def test_unicode_payload_round_trips(key):
    payload = {"action": "data_exchange", "data": {"name": "Zoë 🌷", "n": [1, 2.5, None]}}
    request = decrypt_request(seal_request(payload, key.public_key()).body, key)
    assert request.payload == payload
    answer = encrypt_response({"screen": "A", "data": request.payload["data"]}, request.aes_key,
                              request.iv)
    assert orjson.loads(AESGCM(request.aes_key).decrypt(
        inverted_iv(request.iv), base64.b64decode(answer), None))["data"]["name"] == "Zoë 🌷"
