"""Spans for the webhook, the store commit, dispatch, plugin attempts and Graph API calls."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

#: How many recent sends remember their span, so a status can link to the send it reports on.
SENT_SPANS_KEPT = 10_000
_NO_SPAN: contextlib.nullcontext[None] = contextlib.nullcontext()


class Tracing:
    """The no-op tracer: what botkit calls when telemetry is off."""

    enabled = False

    def span(self, name: str, attributes: Mapping[str, Any] | None = None,
             *, links_to: str | Sequence[str] | None = None
             ) -> contextlib.AbstractContextManager[None]:
        """A span around the block; ``links_to``: stored trace contexts to link to. Off, one
        shared empty context (no generator per call: dispatch asks for spans per event)."""
        return _NO_SPAN

    def current_context(self) -> str | None:
        """The current span as a W3C ``traceparent`` string, to store with an event."""
        return None

    def remember_send(self, message_id: str) -> None:
        """The current span sent ``message_id`` (a status for it will link here)."""

    def send_context(self, message_id: str) -> str | None:
        """The stored context of the span that sent ``message_id``."""
        return None

    def shutdown(self) -> None:
        """Flush and stop exporting."""


NO_TRACING = Tracing()


class OtelTracing(Tracing):
    """Spans through the OpenTelemetry SDK, exported where the settings say."""

    enabled = True

    def __init__(self, provider: Any) -> None:
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import (
            TraceContextTextMapPropagator,
        )

        self._trace = trace
        self._provider = provider
        self._tracer = provider.get_tracer("botkit")
        self._propagator = TraceContextTextMapPropagator()
        self._sent: OrderedDict[str, str] = OrderedDict()

    @contextlib.contextmanager
    def span(self, name: str, attributes: Mapping[str, Any] | None = None,
             *, links_to: str | Sequence[str] | None = None) -> Iterator[None]:
        links = []
        for context in [links_to] if isinstance(links_to, str) else links_to or ():
            linked = self._span_context(context)
            if linked is not None:
                links.append(self._trace.Link(linked))
        with self._tracer.start_as_current_span(
                name, attributes={k: v for k, v in (attributes or {}).items() if v is not None},
                links=links) as span:
            try:
                yield
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR,
                                                   type(exc).__name__))
                raise

    def current_context(self) -> str | None:
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier)
        return carrier.get("traceparent")

    def remember_send(self, message_id: str) -> None:
        context = self.current_context()
        if context is None:
            return
        self._sent[message_id] = context
        while len(self._sent) > SENT_SPANS_KEPT:
            self._sent.popitem(last=False)

    def send_context(self, message_id: str) -> str | None:
        return self._sent.get(message_id)

    def shutdown(self) -> None:
        self._provider.shutdown()

    def _span_context(self, traceparent: str) -> Any:
        context = self._propagator.extract({"traceparent": traceparent})
        span_context = self._trace.get_current_span(context).get_span_context()
        return span_context if span_context.is_valid else None


def open_tracing(enabled: bool, *, service_name: str = "botkit",
                 otlp_endpoint: str | None = None, exporter: Any = None) -> Tracing:
    """The tracer for the settings: the no-op one when off.

    ``exporter`` (a span exporter, e.g. the SDK's in-memory one in tests) replaces the OTLP
    exporter; spans are exported in batches off the request path either way.
    """
    if not enabled:
        return NO_TRACING
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        from botkit.errors import SettingsError

        raise SettingsError([f"telemetry.enabled: OpenTelemetry is not installed ({exc}); "
                             "install botkit[otel]"]) from None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=otlp_endpoint) if otlp_endpoint else OTLPSpanExporter()))
    return OtelTracing(provider)
