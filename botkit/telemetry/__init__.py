"""Traces of what botkit does with each message, as OpenTelemetry spans (``botkit[otel]``).

One trace follows a message from Meta's POST to the reply: the webhook request span's context is
stored with each event it produced, so the event's dispatch span, started later and maybe in
another process, is linked to it; plugin attempts and Graph API calls are children of the
dispatch span. A status Meta later reports for a sent message is linked to the span of the send
(by its message id). With ``[telemetry] enabled = false`` (the default) nothing here imports
OpenTelemetry and every call is a no-op, so the cost is one attribute check.
"""

from __future__ import annotations

from botkit.telemetry.tracing import NO_TRACING, Tracing, open_tracing

__all__ = ["NO_TRACING", "Tracing", "open_tracing"]
