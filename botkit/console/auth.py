"""Signing in to the console: the token check, session cookies, CSRF tokens, the login limit.

A session cookie is ``<session id>.<expiry>.<signature>``, signed with a key derived from the
console token. Any server that knows the token can check it, so sessions work behind a load
balancer and survive restarts; changing the token ends every session at once. The cookie never
holds the token, and nothing stored on the server can be turned back into it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

SESSION_KEY_LABEL = b"botkit console session v1"
CSRF_LABEL = b"csrf:"
FLASH_LABEL = b"flash:"
LOGIN_WINDOW_SECONDS = 60.0
MAX_TRACKED_ADDRESSES = 10_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_matches(given: str, token: str) -> bool:
    """Compare in constant time; hashing first hides the token's length as well."""
    digest = hashlib.sha256(given.encode("utf-8", errors="surrogatepass")).digest()
    return hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest())


@dataclass(frozen=True)
class Session:
    """A signed-in browser: ``csrf`` goes into every form it is shown."""

    id: str
    expires_at: float
    csrf: str


class SessionKeeper:
    """Issues and checks session cookies; remembers sessions ended by signing out until they
    would have expired anyway (per process: see the module docstring)."""

    def __init__(self, token: str, minutes: int, clock: Callable[[], float] = time.time) -> None:
        self._key = hmac.new(token.encode(), SESSION_KEY_LABEL, hashlib.sha256).digest()
        self.seconds = minutes * 60
        self.clock = clock
        self._ended: dict[str, float] = {}

    def _sign(self, label: bytes, text: str) -> str:
        return _b64(hmac.new(self._key, label + text.encode(), hashlib.sha256).digest())

    def _session(self, session_id: str, expires_at: float) -> Session:
        return Session(session_id, expires_at, self._sign(CSRF_LABEL, session_id))

    def start(self) -> tuple[Session, str]:
        """A new session and the cookie value that carries it."""
        session_id = _b64(secrets.token_bytes(18))
        expires_at = int(self.clock()) + self.seconds
        signed = f"{session_id}.{expires_at}"
        return self._session(session_id, expires_at), f"{signed}.{self._sign(b'', signed)}"

    def check(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, or ``None`` when it is forged, expired or ended."""
        if not cookie or len(cookie) > 200:
            return None
        session_id, _, rest = cookie.partition(".")
        expiry, _, signature = rest.partition(".")
        expected = self._sign(b"", f"{session_id}.{expiry}")
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        if not expiry.isdigit() or int(expiry) <= self.clock() or session_id in self._ended:
            return None
        return self._session(session_id, float(expiry))

    def csrf_matches(self, session: Session, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), session.csrf.encode())

    def end(self, session: Session) -> None:
        """Sign out: this session is refused from now on."""
        now = self.clock()
        self._ended = {sid: until for sid, until in self._ended.items() if until > now}
        self._ended[session.id] = session.expires_at

    def seal(self, text: str) -> str:
        """``text`` with a signature, for a short note the browser carries (flash messages)."""
        packed = _b64(text.encode())
        return f"{packed}.{self._sign(FLASH_LABEL, packed)}"

    def unseal(self, value: str | None) -> str | None:
        if not value:
            return None
        packed, _, signature = value.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(FLASH_LABEL, packed).encode()):
            return None
        try:
            return base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)).decode()
        except ValueError:
            return None


class LoginLimiter:
    """Failed sign-ins per client address over the last minute; past the limit an address is
    refused without its token being looked at."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address)
        if times is None:
            return deque()
        horizon = self.clock() - LOGIN_WINDOW_SECONDS
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._failures[address]
        return times

    def blocked(self, address: str) -> bool:
        return len(self._recent(address)) >= self.per_minute

    def failed(self, address: str) -> int:
        """Count a failure; returns the failures of the last minute, this one included."""
        times = self._recent(address)
        times.append(self.clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_TRACKED_ADDRESSES:  # a flood of addresses: oldest go
            self._failures.popitem(last=False)
        return len(times)
