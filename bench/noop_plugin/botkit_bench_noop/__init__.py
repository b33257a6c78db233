"""A botkit plugin that accepts every event and does nothing with it.

Benchmarks enable it so botkit's dispatcher has a real plugin to call while the figures measure
botkit itself. When ``BENCH_DISPATCH_LOG`` names a file, each dispatched event is counted there
(see ``dispatch_log``) so the harness can tell when a batch was fully dispatched.
"""

from botkit import hookimpl
from botkit_bench_noop.dispatch_log import record_dispatch


@hookimpl
def message_received(bot, message) -> None:
    """Count the message as dispatched; nothing else."""
    record_dispatch()


@hookimpl
def status_received(bot, status) -> None:
    """Count the status as dispatched; nothing else."""
    record_dispatch()
