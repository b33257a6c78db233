"""The baseline servers must really check signatures, or the comparison means nothing."""

import http.client

import pytest
from botbench.pools import read_requests, signature_header
from botbench.process import http_get_status
from botbench.scenarios import post_once
from botbench.setup_tools import ensure_peers_venv


def _post(port: int, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/webhook", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize("target", ["raw", "quart"])
def test_baseline_accepts_signed_and_rejects_the_rest(target, start_peer, bench_secrets, text_pool):
    port = start_peer(target).port
    status, _ = post_once(port, read_requests(text_pool, limit=1)[0])
    assert status == 200
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    good = signature_header(body, bench_secrets.app_secret)
    assert _post(port, body, {"X-Hub-Signature-256": good}) == 200
    assert _post(port, body, {}) == 401
    assert _post(port, body, {"X-Hub-Signature-256": "sha1=abc"}) == 401
    forged = signature_header(body, "some-other-secret")
    assert _post(port, body, {"X-Hub-Signature-256": forged}) == 403
    tampered = body.replace(b"entry", b"entrx")
    assert _post(port, tampered, {"X-Hub-Signature-256": good}) == 403
    not_json = b"not json"
    signed = signature_header(not_json, bench_secrets.app_secret)
    assert _post(port, not_json, {"X-Hub-Signature-256": signed}) == 400
    token = bench_secrets.verify_token
    ok = f"/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1"
    assert http_get_status(port, ok) == 200
    assert http_get_status(port, "/webhook?hub.mode=subscribe&hub.verify_token=x") == 403


def test_raw_server_runs_on_hypercorn_too(start_peer, text_pool):
    server = start_peer("raw", server="hypercorn")
    status, _ = post_once(server.port, read_requests(text_pool, limit=1)[0])
    assert status == 200


def test_pywa_checks_signatures_like_the_others(start_peer, text_pool, forged_pool):
    ensure_peers_venv()
    port = start_peer("pywa").port
    assert post_once(port, read_requests(text_pool, limit=1)[0])[0] == 200
    assert post_once(port, read_requests(forged_pool, limit=1)[0])[0] == 403
