"""Prometheus metrics of one bot (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Stats:
    """Counters the webhook and the dispatcher update; served at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.responses = Counter("botkit_webhook_responses", "Webhook answers by status code",
                                 ["status"], registry=r)
        self.signature_failures = Counter("botkit_signature_failures",
                                          "Rejected signatures by cause", ["cause"], registry=r)
        self.events = Counter("botkit_events", "Events accepted by kind and business number "
                              "(empty for account-level events)", ["kind", "number"], registry=r)
        self.duplicates = Counter("botkit_duplicates", "Events acknowledged as duplicates",
                                  registry=r)
        self.stale = Counter("botkit_stale_events", "Events older than the dedupe window",
                             registry=r)
        self.quarantined = Counter("botkit_quarantined", "Items kept in quarantine by stage",
                                   ["stage"], registry=r)
        self.deliveries = Counter("botkit_deliveries", "Plugin deliveries by outcome",
                                  ["plugin", "outcome"], registry=r)
        self.latency = Histogram("botkit_delivery_seconds", "Time a plugin took for an event",
                                 ["plugin"], registry=r)
        self.dead_letters = Counter("botkit_dead_letters", "Events a plugin gave up on",
                                    ["plugin"], registry=r)
        self._per_plugin: dict[str, tuple] = {}
        self._per_status: dict[int, Counter] = {}
        self._per_kind: dict[tuple[str, str], Counter] = {}
        self.backlog = Gauge("botkit_backlog_events", "Events stored but not yet dispatched",
                             registry=r)
        self.backlog_age = Gauge("botkit_backlog_age_seconds",
                                 "Age of the oldest event not yet dispatched", registry=r)
        self.plugin_timeouts = Counter("botkit_plugin_timeouts",
                                       "Plugin calls cancelled at their time limit", ["plugin"],
                                       registry=r)
        self.stuck_calls = Gauge("botkit_dispatch_stuck_calls",
                                 "Plugin calls running longer than the dispatcher waits for "
                                 "before it stops counting them against concurrency",
                                 registry=r)
        self.purged = Counter("botkit_purged", "Rows and keys purged past their retention",
                              ["kind"], registry=r)

    def answered(self, status: int) -> None:
        child = self._per_status.get(status)
        if child is None:
            child = self._per_status[status] = self.responses.labels(status)
        child.inc()

    def accepted(self, kind: str, number: str, count: int) -> None:
        child = self._per_kind.get((kind, number))
        if child is None:
            child = self._per_kind[kind, number] = self.events.labels(kind, number)
        child.inc(count)

    def delivered(self, plugin: str, seconds: float) -> None:
        children = self._per_plugin.get(plugin)
        if children is None:  # label lookups cost more than the update: keep the children
            children = (self.deliveries.labels(plugin, "success"), self.latency.labels(plugin))
            self._per_plugin[plugin] = children
        children[0].inc()
        children[1].observe(seconds)

    def failed(self, plugin: str) -> None:
        self.deliveries.labels(plugin, "failure").inc()

    def timed_out(self, plugin: str) -> None:
        self.plugin_timeouts.labels(plugin).inc()

    def dead_letter(self, plugin: str) -> None:
        self.dead_letters.labels(plugin).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
