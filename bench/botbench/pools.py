"""Pre-signed request pools: wrk's Lua has no HMAC, so every request is signed ahead of time.

A pool is two files. The blob holds complete HTTP/1.1 POST requests back to back (headers with
``X-Hub-Signature-256`` plus body); the index holds one ``offset length`` line per request, in
sending order. Load generators cycle through the index, so distinct bodies reach the server and
dedupe never hides work. A second index over the same blob gives another order (duplicates).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from botbench.payloads import count_events

WEBHOOK_PATH = "/webhook"


@dataclass(frozen=True)
class RequestPool:
    """A signed request pool on disk and what each request carries."""

    name: str
    blob: Path
    index: Path
    requests: int
    distinct: int
    events_per_request: float
    mean_body_bytes: int


def signature_header(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta would send for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def http_post(body: bytes, signature: str, path: str = WEBHOOK_PATH) -> bytes:
    """A complete keep-alive POST as Meta's webhook client sends it."""
    head = (
        f"POST {path} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "User-Agent: facebookexternalua\r\n"
        "Accept: */*\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Hub-Signature-256: {signature}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def write_pool(
    directory: Path, name: str, bodies: Iterable[bytes], secret: str, path: str = WEBHOOK_PATH
) -> RequestPool:
    """Sign every body and write the pool; the index follows the bodies' order."""
    directory.mkdir(parents=True, exist_ok=True)
    blob_path = directory / f"{name}.requests"
    index_path = directory / f"{name}.index"
    offset = 0
    count = 0
    events = 0
    body_bytes = 0
    with blob_path.open("wb") as blob, index_path.open("w", encoding="ascii") as index:
        for body in bodies:
            request = http_post(body, signature_header(body, secret), path)
            blob.write(request)
            index.write(f"{offset} {len(request)}\n")
            offset += len(request)
            count += 1
            events += count_events(body)
            body_bytes += len(body)
    if count == 0:
        raise ValueError(f"pool {name!r} got no bodies")
    return RequestPool(
        name=name,
        blob=blob_path,
        index=index_path,
        requests=count,
        distinct=count,
        events_per_request=events / count,
        mean_body_bytes=body_bytes // count,
    )


def with_duplicates(pool: RequestPool, name: str, every: int = 5, seed: int = 7) -> RequestPool:
    """Same blob, new order: every ``every``-th request repeats one sent shortly before it.

    The repeat is drawn from the previous 100 requests, like a redelivery that arrives while
    the original is still recent.
    """
    entries = pool.index.read_text(encoding="ascii").splitlines()
    rng = random.Random(seed)
    order: list[str] = []
    fresh = iter(entries)
    for position in range(len(entries)):
        if position % every == every - 1 and order:
            order.append(order[-rng.randint(1, min(100, len(order)))])
        else:
            order.append(next(fresh))
    index_path = pool.index.with_name(f"{name}.index")
    index_path.write_text("\n".join(order) + "\n", encoding="ascii")
    return RequestPool(
        name=name,
        blob=pool.blob,
        index=index_path,
        requests=len(order),
        distinct=len(set(order)),
        events_per_request=pool.events_per_request,
        mean_body_bytes=pool.mean_body_bytes,
    )


def read_requests(pool: RequestPool, start: int = 0, limit: int | None = None) -> list[bytes]:
    """Requests of the pool in sending order from ``start`` (for Python-side load generators)."""
    lines = pool.index.read_text(encoding="ascii").splitlines()
    chosen = lines[start:] if limit is None else lines[start : start + limit]
    requests = []
    with pool.blob.open("rb") as blob:
        for line in chosen:
            offset, length = (int(part) for part in line.split())
            blob.seek(offset)
            requests.append(blob.read(length))
    return requests
