"""What ``GET /metrics`` of ``trunkbot serve`` reports, with prometheus-client.

Each webhook app has its own :class:`~prometheus_client.CollectorRegistry` (never the
library's global one), so two apps in one process (the tests start many) count apart.
The webhook endpoint's counters are prometheus-client Counters, incremented where it
decides; what the runner counts (events handled, events in flight) is read from it at
scrape time by a collector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.gateway_config import WATCH_STATS

#: The text format ``generate_latest`` writes (Prometheus 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REJECT_REASONS = ("signature", "too_large", "malformed", "stopping")
KINDS = ("message", "card")


class _RunnerCollector(Collector):
    """The runner's own counts, read when Prometheus scrapes."""

    def __init__(self, handled: Callable[[], int], in_flight: Callable[[], int]) -> None:
        self._handled = handled
        self._in_flight = in_flight

    def collect(self) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "trunkbot_events_handled",
            "Messages and card submissions the router has handled (redeliveries excluded).",
            value=self._handled(),
        )
        yield GaugeMetricFamily(
            "trunkbot_commands_in_flight",
            "Events being handled right now.",
            value=self._in_flight(),
        )
        # The gateway watch (commands.gateway.watch): this process's counts.
        yield CounterMetricFamily(
            "trunkbot_trunk_watch_looks",
            "Trunk status requests (GET trunk) the gateway watch made.",
            value=WATCH_STATS.looks,
        )
        yield CounterMetricFamily(
            "trunkbot_trunk_watch_failed_looks",
            "Gateway watch requests Webex didn't answer (tried again later).",
            value=WATCH_STATS.failed_looks,
        )
        ended = CounterMetricFamily(
            "trunkbot_trunk_watches_ended",
            "Gateway watches ended, by outcome (online, gave_up, gone).",
            labels=["outcome"],
        )
        ended.add_metric(["online"], WATCH_STATS.online)
        ended.add_metric(["gave_up"], WATCH_STATS.gave_up)
        ended.add_metric(["gone"], WATCH_STATS.gone)
        yield ended


class WebhookMetrics:
    """The counters of one webhook app, in a registry of their own."""

    def __init__(self, *, handled: Callable[[], int], in_flight: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "trunkbot_webhooks_received",
            "Webhook deliveries received on /webhook.",
            registry=self.registry,
        )
        self.rejected = Counter(
            "trunkbot_webhooks_rejected",
            "Webhook deliveries refused, by reason (signature: missing or wrong "
            "X-Spark-Signature).",
            ["reason"],
            registry=self.registry,
        )
        self.accepted = Counter(
            "trunkbot_webhooks_accepted",
            "Signed webhook deliveries taken for handling, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "trunkbot_webhooks_ignored",
            "Signed webhook deliveries for other resources or events, or the bot's own posts.",
            registry=self.registry,
        )
        self.fetch_failed = Counter(
            "trunkbot_webhook_fetch_failures",
            "Messages or card submissions a webhook named that couldn't be fetched from Webex.",
            registry=self.registry,
        )
        for reason in REJECT_REASONS:  # every series from the start, at 0
            self.rejected.labels(reason=reason)
        for kind in KINDS:
            self.accepted.labels(kind=kind)
        self.registry.register(_RunnerCollector(handled, in_flight))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """The current value of sample ``name`` (e.g. ``trunkbot_webhooks_rejected_total``)
        with ``labels``; 0 for a series not seen yet."""
        found = self.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found
