"""Meta's webhook source networks: the route objects of AS32934 from a whois server (RADb).

The list changes over time, so ``botkit meta-networks`` refreshes a file that the settings name
(``allowed_networks = { file = "meta-networks.txt" }``); a running server re-reads it. The file is
replaced atomically, and only when the answer held routes, so a failed refresh never leaves the
server with an empty or half-written list.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from botkit.errors import BotkitError
from botkit.security.networks import Network, network_sort_key, parse_network, parse_network_text

RADB = "whois.radb.net"
WHOIS_PORT = 43
META_ASN = "AS32934"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)
_ROUTE = re.compile(r"^(route6?):\s*(\S+)", re.IGNORECASE)
_REFRESHED = re.compile(r"^#.*\brefreshed (\S+)")


class MetaNetworksError(BotkitError):
    """The whois server could not be asked, gave no routes, or the file could not be written."""


@dataclass(frozen=True)
class NetworkChange:
    """What a refresh changed, compared with the file it replaced."""

    added: tuple[Network, ...]
    removed: tuple[Network, ...]
    previous_refresh: str | None = None
    had_previous: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def normalise_asn(asn: str) -> str:
    """``32934`` or ``as32934`` as ``AS32934``; ValueError for anything else."""
    match = _ASN.match(asn.strip())
    if match is None:
        raise ValueError(f"{asn!r} is not an AS number (e.g. AS32934)")
    return f"AS{match.group(1)}"


def query_whois(query: str, server: str = RADB, port: int = WHOIS_PORT, *,
                timeout: float = 30.0) -> str:
    """Ask a whois server (RFC 3912: the query and CRLF, then read until the server closes)."""
    chunks, size = [], 0
    try:
        with socket.create_connection((server, port), timeout=timeout) as sock:
            sock.sendall(query.encode("ascii") + b"\r\n")
            while chunk := sock.recv(65536):
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise MetaNetworksError(f"whois server {server}:{port} sent more than "
                                            f"{MAX_ANSWER_BYTES} bytes; is it a whois server?")
                chunks.append(chunk)
    except TimeoutError:
        raise MetaNetworksError(f"whois server {server}:{port} did not answer within "
                                f"{timeout:g} s") from None
    except OSError as exc:
        raise MetaNetworksError(f"cannot ask whois server {server}:{port}: "
                                f"{exc.strerror or exc}") from None
    return b"".join(chunks).decode("utf-8", "replace")


def routes_in_whois(answer: str) -> tuple[list[Network], list[str]]:
    """The networks of the ``route:`` and ``route6:`` attributes, and the values that are not."""
    networks, bad = [], []
    for line in answer.splitlines():
        match = _ROUTE.match(line)
        if match is None:
            continue
        value = match.group(2).split("#", 1)[0]
        try:
            networks.append(parse_network(value))
        except ValueError:
            bad.append(f"{match.group(1)}: {value}")
    return networks, bad


def fetch_routes(asn: str = META_ASN, server: str = RADB, port: int = WHOIS_PORT, *,
                 timeout: float = 30.0) -> list[Network]:
    """The routes whose origin is ``asn``, sorted and without duplicates."""
    asn = normalise_asn(asn)
    answer = query_whois(f"-i origin {asn}", server, port, timeout=timeout)
    networks, bad = routes_in_whois(answer)
    if bad:
        raise MetaNetworksError(f"whois server {server}:{port} gave route values that are not "
                                f"networks: {', '.join(bad[:5])}")
    if not networks:
        first = next((line for line in answer.splitlines() if line.strip()), "an empty answer")
        raise MetaNetworksError(f"whois server {server}:{port} gave no routes for {asn} "
                                f"(it said: {first.strip()[:200]}); the file was left as it was")
    return sorted(set(networks), key=network_sort_key)


def render_network_file(networks: list[Network], *, asn: str, server: str,
                        refreshed: datetime) -> str:
    stamp = refreshed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"# Networks of {asn} (route and route6 objects from {server}),",
        f"# refreshed {stamp} by `botkit meta-networks`; the next refresh replaces this file.",
        *(str(network) for network in sorted(set(networks), key=network_sort_key)),
    ]
    return "\n".join(lines) + "\n"


def write_network_file(path: str | os.PathLike[str], networks: list[Network], *, asn: str,
                       server: str) -> NetworkChange:
    """Replace ``path`` atomically with ``networks``; report what changed since the last file."""
    path = Path(path)
    previous, previous_refresh, had_previous = _read_previous(path)
    text = render_network_file(networks, asn=asn, server=server,
                               refreshed=datetime.now(UTC))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise MetaNetworksError(f"cannot write {path}: {exc.strerror or exc}") from None
    new = set(networks)
    return NetworkChange(
        added=tuple(sorted(new - previous, key=network_sort_key)),
        removed=tuple(sorted(previous - new, key=network_sort_key)),
        previous_refresh=previous_refresh,
        had_previous=had_previous,
    )


def _read_previous(path: Path) -> tuple[set[Network], str | None, bool]:
    """The networks and refresh time of the file being replaced (its broken lines are skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return set(), None, False
    except (OSError, UnicodeDecodeError) as exc:
        raise MetaNetworksError(f"cannot read the previous {path}: {exc}") from None
    networks, _ = parse_network_text(text)
    refreshed = next((m.group(1) for line in text.splitlines()
                      if (m := _REFRESHED.match(line))), None)
    return set(networks), refreshed, True
