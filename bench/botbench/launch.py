"""Start any target for one scenario in a fresh working folder, and always stop it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from botbench.process import ServerProcess, free_port
from botbench.targets import BotkitOptions, Secrets, botkit_spec, peer_spec


@dataclass(frozen=True)
class Running:
    """A started server; ``dispatch_log`` is set for botkit (the no-op plugin writes it)."""

    server: ServerProcess
    dispatch_log: Path | None


@contextmanager
def running(
    target: str,
    server: str,
    secrets: Secrets,
    log_path: Path,
    botkit_options: BotkitOptions | None = None,
) -> Iterator[Running]:
    """A fresh process (and, for botkit, a fresh store) per scenario, so runs never mix."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{target}-") as folder:
        run_dir = Path(folder)
        port = free_port()
        dispatch_log = None
        if target == "botkit":
            dispatch_log = run_dir / "dispatch.log"
            options = replace(botkit_options or BotkitOptions(), dispatch_log=dispatch_log)
            spec = botkit_spec(server, port, secrets, run_dir, options)
        else:
            spec = peer_spec(target, server, port, secrets, run_dir)
        process = ServerProcess(spec, log_path)
        process.start()
        try:
            yield Running(process, dispatch_log)
        finally:
            process.stop()
