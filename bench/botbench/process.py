"""Run one server as a real process pinned to a CPU, wait until it answers, stop it cleanly."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from botbench.procstat import Usage, usage

SERVER_CPU = 0
LOAD_CPU = 1


class ServerError(RuntimeError):
    """A server did not start or answered its readiness probe wrongly."""


@dataclass(frozen=True)
class LaunchSpec:
    """How to start one server and how to tell it is ready."""

    target: str
    argv: list[str]
    port: int
    ready_path: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get_status(port: int, path: str, timeout: float = 1.0) -> int:
    """Status of one GET on loopback (raises OSError while nothing listens)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class ServerProcess:
    """A server pinned to ``cpu`` with ``taskset``; its output goes to ``log_path``."""

    def __init__(self, spec: LaunchSpec, log_path: Path, cpu: int = SERVER_CPU) -> None:
        self.spec = spec
        self.log_path = log_path
        self.cpu = cpu
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerError(f"{self.spec.target} server is not running")
        return self._process.pid

    @property
    def port(self) -> int:
        return self.spec.port

    def start(self, timeout: float = 60.0) -> None:
        """Launch and block until the readiness probe answers 200."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.spec.env}
        argv = ["taskset", "-c", str(self.cpu), *self.spec.argv]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                argv,
                cwd=self.spec.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout)

    def usage(self) -> Usage:
        return usage(self.pid)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful shutdown), then SIGKILL if it hangs; returns the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None
        return process.returncode

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_status: int | None = None
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise ServerError(
                    f"{self.spec.target} server exited with code {code} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                last_status = http_get_status(self.spec.port, self.spec.ready_path)
            except OSError:
                last_status = None
            if last_status == 200:
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(
            f"{self.spec.target} server was not ready after {timeout:.0f}s "
            f"(last probe status: {last_status}); log {self.log_path}:\n{self.log_tail()}"
        )
