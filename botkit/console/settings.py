"""The ``[console]`` settings: whether the operator console is served, where, and who may sign in.

The console can replay events and purge dead letters, so it is off unless enabled, and an
enabled console refuses to start without a long access token: a short one could be guessed
through the sign-in form faster than the rate limit makes worthwhile to defend against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_TOKEN_LENGTH = 32
# A URL path of plain segments: no trailing slash, no query, nothing to escape.
PATH_FORMAT = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


@dataclass(frozen=True)
class ConsoleSettings:
    """What ``install_console`` needs; ``token`` is the secret itself, already resolved from
    the environment or a file (never logged, never shown)."""

    enabled: bool = False
    token: str | None = None
    path: str = "/console"
    session_minutes: int = 720
    max_failed_logins_per_minute: int = 5

    def __repr__(self) -> str:
        shown = "None" if self.token is None else "'***'"
        return (f"ConsoleSettings(enabled={self.enabled}, token={shown}, path={self.path!r}, "
                f"session_minutes={self.session_minutes}, "
                f"max_failed_logins_per_minute={self.max_failed_logins_per_minute})")


def console_settings_problems(settings: ConsoleSettings, *, webhook_path: str | None = None
                              ) -> list[str]:
    """Every problem with ``settings``, each as ``console.<name>: what is wrong``; empty when the
    console may start. A disabled console has no problems: nothing of it is served."""
    if not settings.enabled:
        return []
    problems = []
    if not settings.token:
        problems.append("console.token: missing; an enabled console needs an access token "
                        f"of at least {MIN_TOKEN_LENGTH} characters")
    elif len(settings.token) < MIN_TOKEN_LENGTH:
        problems.append(f"console.token: {len(settings.token)} characters is too short; use at "
                        f"least {MIN_TOKEN_LENGTH} (for example: openssl rand -hex 32)")
    if not PATH_FORMAT.match(settings.path):
        problems.append(f"console.path: {settings.path!r} is not a path like '/console' "
                        "(a leading slash, no trailing slash, letters, digits, . _ ~ -)")
    elif webhook_path is not None and (
            webhook_path == settings.path or webhook_path.startswith(settings.path + "/")):
        problems.append(f"console.path: {settings.path!r} would take over the webhook at "
                        f"{webhook_path!r}; choose another path")
    if settings.session_minutes < 1:
        problems.append("console.session_minutes: must be at least 1")
    if settings.max_failed_logins_per_minute < 1:
        problems.append("console.max_failed_logins_per_minute: must be at least 1")
    return problems
