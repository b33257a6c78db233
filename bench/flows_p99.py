"""Latency of a Flows endpoint under a steady load of real encrypted data_exchange requests.

    .venv/bin/python bench/flows_p99.py --demo
    .venv/bin/python bench/flows_p99.py --url http://127.0.0.1:8000/flows \\
        --private-key secrets/flows-private.pem --passphrase-env WHATSAPP_FLOWS_PASSPHRASE \\
        --plugin booking --flow-id 1234567890123456 --screen WHEN --data '{"day": "Friday"}'

Every request is sealed the way WhatsApp seals it (a fresh AES-128 key, RSA-OAEP for the
endpoint's public key, AES-GCM), signed with the app secret, and carries a flow token issued
with the endpoint's own key, so the endpoint does all of its real work: signature, RSA
decryption, token check, handler, encryption. Requests are sealed before the clock starts (each
with its own key, so none is answered from the replay memory) and sent open loop: request i
leaves at start + i / rate whether or not earlier answers came back, and its latency runs from
that planned moment to its answer, so a stalled server shows up in the figures instead of
slowing the load down. Prints p50, p90, p99 and the worst latency, and the failures by status.

``--demo`` serves a FlowsEndpoint with a one-line handler in a child process on a loopback port
(pinned to CPU 0, the load to CPU 1 when there are two) and measures that. Against your own
bot, run it with ``[flows]`` and a plugin whose handler answers ``--plugin``, ``--flow-id`` and
``--screen``; the load stays on loopback unless ``--allow-remote`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from botkit.flows import FlowTokens, generate_key_pair, load_private_key, token_secret_from_key
from botkit.flows.testing import SealedRequest, open_response, seal_request, signature

MAX_RATE, MAX_DURATION = 2000.0, 120.0  # the load is bounded whatever the arguments say
DEMO_FLOW, DEMO_PLUGIN, DEMO_SCREEN = "1234567890123456", "bench", "FORM"


@dataclass(frozen=True)
class Outcome:
    planned: float
    latency: float
    status: int


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/flows_p99.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true",
                        help="serve a demo endpoint on loopback and measure it")
    parser.add_argument("--url", help="the Flows endpoint, e.g. http://127.0.0.1:8000/flows")
    parser.add_argument("--private-key", type=Path, help="the endpoint's private key (PEM)")
    parser.add_argument("--passphrase-env", help="environment variable holding its passphrase")
    parser.add_argument("--app-secret-env", default="WHATSAPP_APP_SECRET",
                        help="environment variable holding the app secret (default: %(default)s)")
    parser.add_argument("--plugin", default=DEMO_PLUGIN, help="the token's plugin claim")
    parser.add_argument("--flow-id", default=DEMO_FLOW, help="the token's Flow id claim")
    parser.add_argument("--screen", default=DEMO_SCREEN, help="the screen that submits")
    parser.add_argument("--data", default='{"name": "Ana"}', help="the submitted data (JSON)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (100)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (10)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a target outside the loopback range")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= MAX_RATE or not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--rate must be in (0, {MAX_RATE:g}], --duration in (0, {MAX_DURATION:g}]")
    if not args.demo and not (args.url and args.private_key):
        parser.error("give --demo, or --url and --private-key")
    return args


def on_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_demo(private_pem: bytes, passphrase: str, app_secret: str, port: int) -> None:
    """The child process: a FlowsEndpoint whose handler echoes the submitted name."""
    import uvicorn

    from botkit.flows import FlowHandlers, FlowRequest, FlowResponse, FlowsEndpoint

    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {0})
    key = load_private_key(private_pem, passphrase)
    handlers = FlowHandlers(DEMO_PLUGIN)

    @handlers.on_data_exchange(flow_id=DEMO_FLOW, screen=DEMO_SCREEN)
    async def submitted(request: FlowRequest) -> FlowResponse:
        return FlowResponse.screen("THANKS", {"name": request.data.get("name", "")})

    tokens = FlowTokens(token_secret_from_key(key), clock=time.time)
    endpoint = FlowsEndpoint(key, [app_secret], handlers, tokens, time.time, path="/flows")
    uvicorn.run(endpoint, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def wait_until_up(url: str, ping: SealedRequest, app_secret: str,
                        timeout: float = 20.0) -> None:
    """Until the endpoint answers Meta's health check (an encrypted ping) with 200."""
    headers = {"content-type": "application/json",
               "x-hub-signature-256": signature(ping.body, app_secret)}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            try:
                answer = await http.post(url, content=ping.body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            if answer.status_code == 200:
                return
            raise SystemExit(f"the endpoint at {url} answered the health check with "
                             f"{answer.status_code}: check the key and the app secret")
    raise SystemExit(f"the endpoint at {url} did not come up within {timeout:g} s")


async def drive(url: str, sealed: list[SealedRequest], app_secret: str,
                rate: float) -> list[Outcome]:
    """Send every sealed request open loop at ``rate``; collect each one's outcome."""
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def one(request: SealedRequest, planned: float) -> None:
            headers = {"content-type": "application/json",
                       "x-hub-signature-256": signature(request.body, app_secret)}
            try:
                response = await http.post(url, content=request.body, headers=headers)
                status = response.status_code
                if status == 200:
                    open_response(response.text, request.aes_key, request.iv)  # must decrypt
            except httpx.HTTPError:
                status = 0
            outcomes.append(Outcome(planned, time.perf_counter() - planned, status))

        tasks = []
        start = time.perf_counter() + 0.2
        for index, request in enumerate(sealed):
            planned = start + index / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request, planned)))
        await asyncio.gather(*tasks)
    return outcomes


def report(outcomes: list[Outcome], rate: float, duration: float) -> None:
    ok = sorted(o.latency * 1000 for o in outcomes if o.status == 200)
    failures = Counter(o.status for o in outcomes if o.status != 200)
    span = max(o.planned for o in outcomes) - min(o.planned for o in outcomes)
    print(f"sent {len(outcomes)} data_exchange requests in {span:.1f} s "
          f"(asked: {rate:g}/s for {duration:g} s)")
    print(f"answered 200: {len(ok)}; failed: "
          + (", ".join(f"{n} x {s or 'no answer'}" for s, n in sorted(failures.items()))
             or "none"))
    if ok:
        print(f"latency ms: p50 {percentile(ok, 0.50):.2f}  p90 {percentile(ok, 0.90):.2f}  "
              f"p99 {percentile(ok, 0.99):.2f}  max {ok[-1]:.2f}  "
              f"mean {statistics.fmean(ok):.2f}")


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    child = None
    if args.demo:
        passphrase, app_secret = "bench passphrase", "bench app secret"
        private_pem, _ = generate_key_pair(passphrase)
        port = free_port()
        url = f"http://127.0.0.1:{port}/flows"
        child = multiprocessing.get_context("spawn").Process(
            target=serve_demo, args=(private_pem, passphrase, app_secret, port), daemon=True)
        child.start()
        plugin, flow_id, screen = DEMO_PLUGIN, DEMO_FLOW, DEMO_SCREEN
    else:
        url, plugin, flow_id, screen = args.url, args.plugin, args.flow_id, args.screen
        if not on_loopback(url) and not args.allow_remote:
            raise SystemExit(f"{url} is not on loopback; add --allow-remote to load it anyway")
        passphrase = os.environ.get(args.passphrase_env or "", "") or None
        app_secret = os.environ.get(args.app_secret_env, "")
        if not app_secret:
            raise SystemExit(f"set the app secret in ${args.app_secret_env}")
        private_pem = args.private_key.read_bytes()
    key = load_private_key(private_pem, passphrase)
    tokens = FlowTokens(token_secret_from_key(key), clock=time.time)
    token = tokens.issue("0", "0", plugin, flow_id, 3600)
    data: Any = json.loads(args.data)
    count = max(1, int(args.rate * args.duration))
    sealed = [seal_request({"version": "3.0", "action": "data_exchange", "screen": screen,
                            "data": data, "flow_token": token}, key.public_key())
              for _ in range(count)]
    if (os.cpu_count() or 1) >= 2 and args.demo:
        os.sched_setaffinity(0, {1})
    try:
        asyncio.run(wait_until_up(url, seal_request({"version": "3.0", "action": "ping"},
                                                    key.public_key()), app_secret))
        load_before = os.getloadavg()[0]
        outcomes = asyncio.run(drive(url, sealed, app_secret, args.rate))
    finally:
        if child is not None:
            child.terminate()
            child.join(10)
    report(outcomes, args.rate, args.duration)
    print(f"machine load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} "
          f"after, on {os.cpu_count()} CPUs; figures from a busy machine are not comparable")


if __name__ == "__main__":
    main(sys.argv[1:])
