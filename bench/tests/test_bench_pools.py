import hashlib
import hmac

from botbench.pools import read_requests, signature_header, with_duplicates


def _split(request: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    assert lines[0] == "POST /webhook HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return headers, body


def test_every_request_is_signed_over_its_exact_body(text_pool, bench_secrets):
    requests = read_requests(text_pool)
    assert len(requests) == text_pool.requests == 300
    for request in requests:
        headers, body = _split(request)
        assert int(headers["Content-Length"]) == len(body)
        expected = hmac.new(bench_secrets.app_secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Hub-Signature-256"] == f"sha256={expected}"


def test_signature_header_changes_with_one_byte():
    assert signature_header(b'{"a":1}', "k") != signature_header(b'{"a":2}', "k")


def test_read_requests_honours_start_and_limit(text_pool):
    everything = read_requests(text_pool)
    assert read_requests(text_pool, start=10, limit=5) == everything[10:15]


def test_duplicate_order_repeats_one_in_five_earlier_requests(text_pool):
    dup = with_duplicates(text_pool, "text-dup")
    order = read_requests(dup)
    assert dup.blob == text_pool.blob and len(order) == text_pool.requests
    seen: set[bytes] = set()
    repeats = 0
    for position, request in enumerate(order):
        if position % 5 == 4:
            assert request in seen, "a repeat must be of an earlier request"
            repeats += 1
        else:
            assert request not in seen, "non-repeat positions carry fresh bodies"
        seen.add(request)
    assert repeats == len(order) // 5
    assert dup.distinct == len(order) - repeats
