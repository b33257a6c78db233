"""IP networks and addresses: parsing, files of networks, and a fast membership test.

A leaf module (no botkit imports but the error base), used by the allow-list guard, the
``botkit meta-networks`` command and the settings validation.
"""

from __future__ import annotations

import bisect
import ipaddress
import os
from collections.abc import Iterable
from pathlib import Path

from botkit.errors import BotkitError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class NetworkFileError(BotkitError):
    """A networks file is missing, unreadable or holds something that is not a network."""


class NetworkSet:
    """Networks with a membership test in O(log n): merged integer ranges, searched by bisect."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(sorted(set(networks), key=network_sort_key))
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._ends: dict[int, list[int]] = {4: [], 6: []}
        for network in self.networks:
            starts, ends = self._starts[network.version], self._ends[network.version]
            first, last = int(network.network_address), int(network.broadcast_address)
            if ends and first <= ends[-1] + 1:
                ends[-1] = max(ends[-1], last)
            else:
                starts.append(first)
                ends.append(last)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            return False
        value = int(address)
        starts = self._starts[address.version]
        index = bisect.bisect_right(starts, value) - 1
        return index >= 0 and value <= self._ends[address.version][index]

    def __len__(self) -> int:
        return len(self.networks)

    def __repr__(self) -> str:
        return f"NetworkSet({len(self.networks)} networks)"


def network_sort_key(network: Network) -> tuple[int, int, int]:
    """IPv4 before IPv6, then by address, then by prefix length."""
    return network.version, int(network.network_address), network.prefixlen


def parse_network(text: str) -> Network:
    """A network in CIDR form (a bare address is a /32 or /128); ValueError says what is wrong."""
    text = text.strip()
    try:
        return ipaddress.ip_network(text)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"{text!r} has host bits set (did you mean {fixed}?)") from None
        raise ValueError(f"{text!r} is not a network in CIDR form, e.g. 192.0.2.0/24 or "
                         "2001:db8::/32") from None


def parse_network_text(text: str) -> tuple[list[Network], list[str]]:
    """Networks of a networks file (one per line, ``#`` comments), and its problems by line."""
    networks, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            networks.append(parse_network(line))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return networks, problems


def read_network_file(path: str | os.PathLike[str]) -> NetworkSet:
    """The networks of ``path``; NetworkFileError when it cannot be read or holds no networks."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetworkFileError(f"{path}: no such file; write it with `botkit meta-networks "
                               f"--output {path}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{path}: cannot read it: {exc}") from None
    networks, problems = parse_network_text(text)
    if problems:
        raise NetworkFileError(f"{path}: " + "; ".join(problems))
    if not networks:
        raise NetworkFileError(f"{path}: holds no networks, so no address could reach the "
                               "webhook")
    return NetworkSet(networks)
