"""Prometheus metrics of the Flows endpoint, per Flow and screen, in a registry of the caller's.

Meta watches a Flows endpoint's error rate and latency and stops sending a Flow whose endpoint
misbehaves; these series show the same picture from our side. Label values are the Flow id from a
verified token and the screen name from a signed request, so a stranger cannot grow them; "none"
stands for a value not known yet (a request refused before decryption).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

UNKNOWN = "none"
_MAX_LABEL = 64


def _label(value: str | None) -> str:
    return (value or UNKNOWN)[:_MAX_LABEL]


class FlowMetrics:
    """Requests, refusals and latency of the Flows endpoint."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("botkit_flow_requests", "Flows endpoint requests answered",
                                ["flow", "screen", "action"], registry=registry)
        self.errors = Counter("botkit_flow_errors", "Flows endpoint requests refused or failed",
                              ["flow", "screen", "status"], registry=registry)
        self.latency = Histogram("botkit_flow_request_seconds",
                                 "Time from the request's body to the answer",
                                 ["flow", "screen"], registry=registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.replays = Counter("botkit_flow_replays",
                               "Requests answered from the replay memory", registry=registry)

    def answered(self, flow: str | None, screen: str | None, action: str | None,
                 status: int, seconds: float) -> None:
        """Record one answered request (any status)."""
        flow_label, screen_label = _label(flow), _label(screen)
        self.requests.labels(flow_label, screen_label, _label(action)).inc()
        if status != 200:
            self.errors.labels(flow_label, screen_label, str(status)).inc()
        self.latency.labels(flow_label, screen_label).observe(seconds)
